// Users and teams.
import type { FastifyRequest } from 'fastify';
import type { FastifyPluginCallbackZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { userAsSeenBy } from '../../domain/user';
import type { Services } from '../../services';
import { MAX_PASSWORD_LENGTH } from '../../services/passwords';
import { actorOf } from '../auth-hook';
import {
  createdUserResponse,
  passwordLinkSentSchema,
  teamSchema,
  teamsResponse,
  userAsSeenSchema,
  userSchema,
  usersResponse,
} from '../responses';
import { idParams, role } from '../schemas';

/** Where the admin reached Retain: set-password links point there unless RETAIN_PUBLIC_URL says. */
export function requestOrigin(request: FastifyRequest): string {
  return `${request.protocol}://${request.host}`;
}

export const userRoutes =
  (services: Services): FastifyPluginCallbackZod =>
  (app, _options, done) => {
    app.get(
      '/teams',
      {
        config: { access: 'read' },
        schema: {
          operationId: 'listTeams',
          response: { 200: teamsResponse },
          summary: 'List teams',
          tags: ['users'],
        },
      },
      async () => ({
        items: await services.users.listTeams(),
      }),
    );

    app.post(
      '/teams',
      {
        config: { access: 'users.manage' },
        schema: {
          operationId: 'createTeam',
          response: { 201: teamSchema },
          summary: 'Create a team',
          tags: ['users'],
          body: z.object({ name: z.string().min(1).max(100) }),
        },
      },
      async (request, reply) =>
        reply.status(201).send(await services.users.createTeam(actorOf(request), request.body.name)),
    );

    app.get(
      '/users',
      {
        config: { access: 'read' },
        schema: {
          operationId: 'listUsers',
          response: { 200: usersResponse },
          summary: 'List users',
          tags: ['users'],
        },
      },
      async (request) => ({
        items: (await services.users.listUsers()).map((user) => userAsSeenBy(actorOf(request), user)),
      }),
    );

    app.get(
      '/users/:id',
      {
        config: { access: 'read' },
        schema: {
          operationId: 'getUser',
          response: { 200: userAsSeenSchema },
          summary: 'Get a user',
          tags: ['users'],
          params: idParams,
        },
      },
      async (request) => userAsSeenBy(actorOf(request), await services.users.get(request.params.id)),
    );

    app.post(
      '/users',
      {
        config: { access: 'users.manage' },
        schema: {
          operationId: 'createUser',
          response: { 201: createdUserResponse },
          summary: 'Create a user; without a password, invite them by a set-password link',
          tags: ['users'],
          body: z.object({
            email: z.email().max(320),
            name: z.string().min(1).max(200),
            role,
            teamId: z.number().int().positive().nullable().optional(),
            password: z.string().max(MAX_PASSWORD_LENGTH).optional(),
          }),
        },
      },
      async (request, reply) =>
        reply
          .status(201)
          .send(await services.users.create(actorOf(request), request.body, requestOrigin(request))),
    );

    app.post(
      '/users/:id/invitation',
      {
        config: { access: 'users.manage' },
        schema: {
          operationId: 'resendInvitation',
          response: { 201: passwordLinkSentSchema },
          summary:
            'Send a new invitation to a user who has not chosen a password; earlier links stop working',
          tags: ['users'],
          params: idParams,
        },
      },
      async (request, reply) =>
        reply
          .status(201)
          .send(
            await services.passwordLinks.invite(actorOf(request), request.params.id, requestOrigin(request)),
          ),
    );

    app.post(
      '/users/:id/password-reset',
      {
        config: { access: 'users.manage' },
        schema: {
          operationId: 'sendPasswordReset',
          response: { 201: passwordLinkSentSchema },
          summary: "Send a password reset link; the user's sessions end and earlier links stop working",
          tags: ['users'],
          params: idParams,
        },
      },
      async (request, reply) =>
        reply
          .status(201)
          .send(
            await services.passwordLinks.reset(actorOf(request), request.params.id, requestOrigin(request)),
          ),
    );

    app.patch(
      '/users/:id',
      {
        config: { access: 'users.manage' },
        schema: {
          operationId: 'updateUser',
          response: { 200: userSchema },
          summary: 'Change a user (active: false deactivates them and ends their sessions)',
          tags: ['users'],
          params: idParams,
          body: z.object({
            name: z.string().min(1).max(200).optional(),
            role: role.optional(),
            teamId: z.number().int().positive().nullable().optional(),
            active: z.boolean().optional(),
            password: z.string().max(MAX_PASSWORD_LENGTH).optional(),
          }),
        },
      },
      (request) => services.users.update(actorOf(request), request.params.id, request.body),
    );
    done();
  };

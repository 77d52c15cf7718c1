// Login, logout, the current session, and API tokens.
import type { FastifyRequest } from 'fastify';
import type { FastifyPluginCallbackZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { AppError } from '../../domain/errors';
import type { Services } from '../../services';
import { MAX_PASSWORD_LENGTH } from '../../services/passwords';
import { actorOf, SESSION_COOKIE } from '../auth-hook';
import {
  apiTokensResponse,
  createdApiTokenResponse,
  loginResponse,
  logoutResponse,
  noContent,
  passwordSetResponse,
  sessionResponse,
} from '../responses';
import { idParams } from '../schemas';

/**
 * The session cookie's attributes, the same when it is set and when it is cleared (a browser only
 * replaces a cookie whose attributes match). `Secure` whenever the client reached Retain over HTTPS,
 * directly or through a trusted proxy (see the `trustProxy` option).
 */
function sessionCookie(request: FastifyRequest) {
  return { path: '/', httpOnly: true, sameSite: 'strict', secure: request.protocol === 'https' } as const;
}

/** Proof that this browser logged in to the user before (see services/auth and domain/login-throttle). */
export const DEVICE_COOKIE = 'retain_device';

export const authRoutes =
  (services: Services): FastifyPluginCallbackZod =>
  (app, _options, done) => {
    app.post(
      '/auth/login',
      {
        config: { access: 'public' },
        schema: {
          operationId: 'login',
          response: { 200: loginResponse },
          summary: 'Log in with e-mail and password',
          tags: ['auth'],
          body: z.object({
            email: z.string().min(3).max(320),
            password: z.string().min(1).max(MAX_PASSWORD_LENGTH),
          }),
        },
      },
      async (request, reply) => {
        const previous = request.cookies[SESSION_COOKIE];
        if (previous) await services.auth.logout(previous);
        const result = await services.auth.login(request.body.email, request.body.password, {
          address: request.ip,
          deviceToken: request.cookies[DEVICE_COOKIE],
        });
        void reply.setCookie(SESSION_COOKIE, result.sessionToken, {
          ...sessionCookie(request),
          expires: new Date(result.expiresAt),
        });
        // Sent back only to this route: it marks the browser as one the user logged in from.
        void reply.setCookie(DEVICE_COOKIE, result.deviceToken, {
          path: request.routeOptions.url ?? request.url,
          httpOnly: true,
          sameSite: 'strict',
          secure: request.protocol === 'https',
          expires: new Date(result.deviceExpiresAt),
        });
        return { user: result.user, csrfToken: result.csrfToken, expiresAt: result.expiresAt };
      },
    );

    app.post(
      '/auth/logout',
      {
        config: { access: 'public' },
        schema: {
          operationId: 'logout',
          response: { 200: logoutResponse },
          summary: 'Log out and end the session',
          tags: ['auth'],
        },
      },
      async (request, reply) => {
        const token = request.cookies[SESSION_COOKIE];
        if (token) await services.auth.logout(token);
        void reply.clearCookie(SESSION_COOKIE, sessionCookie(request));
        return { ok: true } satisfies z.output<typeof logoutResponse>;
      },
    );

    app.post(
      '/auth/set-password',
      {
        config: { access: 'public' },
        schema: {
          operationId: 'setPasswordByLink',
          response: { 200: passwordSetResponse },
          summary: 'Choose a password with the token of an invitation or reset link (used once)',
          tags: ['auth'],
          body: z.object({
            token: z.string().min(1).max(200),
            password: z.string().min(1).max(MAX_PASSWORD_LENGTH),
          }),
        },
      },
      (request) =>
        services.passwordLinks.setPassword(request.body.token, request.body.password, {
          address: request.ip,
        }),
    );

    app.get(
      '/auth/session',
      {
        config: { access: 'read' },
        schema: {
          operationId: 'getSession',
          response: { 200: sessionResponse },
          summary: 'The current session and user',
          tags: ['auth'],
        },
      },
      (request) => {
        const auth = request.auth;
        if (!auth) throw new AppError('UNAUTHENTICATED', 'Log in or send an API token.');
        return { user: auth.user, via: auth.via, csrfToken: auth.csrfToken };
      },
    );

    app.get(
      '/auth/tokens',
      {
        config: { access: 'read' },
        schema: {
          operationId: 'listApiTokens',
          response: { 200: apiTokensResponse },
          summary: 'List API tokens',
          tags: ['auth'],
        },
      },
      async (request) => ({
        items: await services.auth.listApiTokens(actorOf(request)),
      }),
    );

    app.post(
      '/auth/tokens',
      {
        config: { access: 'read' },
        schema: {
          operationId: 'createApiToken',
          response: { 201: createdApiTokenResponse },
          summary: 'Create an API token',
          tags: ['auth'],
          body: z.object({
            name: z.string().min(1).max(100),
            scope: z.enum(['full', 'ingest']).default('full'),
            userId: z.number().int().positive().optional(),
          }),
        },
      },
      async (request, reply) => {
        const created = await services.auth.createApiToken(actorOf(request), request.body);
        return reply.status(201).send({ token: created.token, apiToken: created.apiToken });
      },
    );

    app.delete(
      '/auth/tokens/:id',
      {
        config: { access: 'read' },
        schema: {
          operationId: 'revokeApiToken',
          response: { 204: noContent },
          summary: 'Revoke an API token',
          tags: ['auth'],
          params: idParams,
        },
      },
      async (request, reply) => {
        await services.auth.revokeApiToken(actorOf(request), request.params.id);
        return reply.status(204).send();
      },
    );
    done();
  };

// Accounts, their contacts, timeline and risk cases.
import type { FastifyPluginCallbackZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Services } from '../../services';
import { actorOf } from '../auth-hook';
import {
  accountPageResponse,
  accountSchema,
  auditEntriesResponse,
  contactSchema,
  contactsResponse,
  erasureResponse,
  noContent,
  riskCaseViewsResponse,
} from '../responses';
import { INPUT_LIMITS } from '../../domain/input-limits';
import { MAX_FILTER_LENGTH } from '../../domain/segment-filter';
import { ACCOUNT_SORTS } from '../../store/account.repository';
import { attributes, calendarDate, idParams, pageQuery } from '../schemas';

const ACCOUNT = INPUT_LIMITS.account;
const CONTACT = INPUT_LIMITS.contact;

const accountBody = z.object({
  externalId: z.string().trim().min(1).max(ACCOUNT.externalId),
  name: z.string().trim().min(1).max(ACCOUNT.name),
  ownerId: z.number().int().positive().nullable().optional(),
  teamId: z.number().int().positive().nullable().optional(),
  tier: z.string().max(ACCOUNT.tier).nullable().optional(),
  arr: z.number().min(0).max(1e12).optional(),
  renewalDate: calendarDate.nullable().optional(),
  lifecycleStage: z.string().max(ACCOUNT.lifecycleStage).nullable().optional(),
  attributes: attributes.optional(),
});

const contactBody = z.object({
  email: z
    .email()
    .max(CONTACT.email)
    .transform((email) => email.toLowerCase()),
  name: z.string().max(CONTACT.name).nullable().optional(),
  role: z.string().max(CONTACT.role).nullable().optional(),
  isChampion: z.boolean().optional(),
  attributes: attributes.optional(),
});

/** Which accounts a list or an export takes, and in what order. */
export const accountSelectionQuery = {
  q: z.string().max(200).optional().describe('Part of the name or external id, ignoring case'),
  ownerId: z.coerce.number().int().positive().optional(),
  teamId: z.coerce.number().int().positive().optional(),
  tier: z.string().max(100).optional(),
  lifecycleStage: z.string().max(100).optional(),
  renewalBefore: calendarDate.optional(),
  filter: z
    .string()
    .max(MAX_FILTER_LENGTH)
    .optional()
    .describe(
      'A filter in the segment language, e.g. `tier = "Enterprise" and health.score < 50`; ' +
        '400 INVALID_FILTER with the position of what does not read',
    ),
  dir: z
    .enum(['asc', 'desc'])
    .optional()
    .describe('Default: descending for ARR, last update and last activity, ascending otherwise'),
};

export const accountSort = z
  .enum(ACCOUNT_SORTS)
  .describe(
    'health_score: the latest score; owner: the owner’s name; last_activity: the latest signal. ' +
      'Accounts without one come last either way',
  );

export const accountRoutes =
  (services: Services): FastifyPluginCallbackZod =>
  (app, _options, done) => {
    app.addHook('onClose', () => services.accounts.close());

    app.get(
      '/accounts',
      {
        config: { access: 'read' },
        schema: {
          operationId: 'listAccounts',
          response: { 200: accountPageResponse },
          summary: 'List and search accounts',
          tags: ['accounts'],
          querystring: z.object({
            ...accountSelectionQuery,
            sort: accountSort.default('name'),
            ...pageQuery,
          }),
        },
      },
      async (request) => {
        const { sort, dir, limit, offset, ...selection } = request.query;
        return services.accounts.list(selection, sort, { limit, offset }, dir);
      },
    );

    app.post(
      '/accounts',
      {
        config: { access: 'account.write' },
        schema: {
          operationId: 'createAccount',
          response: { 201: accountSchema },
          summary: 'Create an account',
          tags: ['accounts'],
          body: accountBody,
        },
      },
      async (request, reply) =>
        reply.status(201).send(await services.accounts.create(actorOf(request), request.body)),
    );

    app.get(
      '/accounts/:id',
      {
        config: { access: 'read' },
        schema: {
          operationId: 'getAccount',
          response: { 200: accountSchema },
          summary: 'Get an account',
          tags: ['accounts'],
          params: idParams,
        },
      },
      (request) => services.accounts.get(request.params.id),
    );

    app.get(
      '/accounts/by-external-id/:externalId',
      {
        config: { access: 'read' },
        schema: {
          operationId: 'getAccountByExternalId',
          response: { 200: accountSchema },
          summary: 'Get an account by its external id',
          tags: ['accounts'],
          params: z.object({ externalId: z.string().min(1).max(200) }),
        },
      },
      (request) => services.accounts.getByExternalId(request.params.externalId),
    );

    app.patch(
      '/accounts/:id',
      {
        config: { access: 'account.write' },
        schema: {
          operationId: 'updateAccount',
          response: { 200: accountSchema },
          summary: 'Change an account',
          tags: ['accounts'],
          params: idParams,
          body: accountBody.partial().extend({ version: z.number().int().positive().optional() }).strict(),
        },
      },
      (request) => {
        const { version, ...changes } = request.body;
        return services.accounts.update(actorOf(request), request.params.id, changes, version);
      },
    );

    app.delete(
      '/accounts/:id',
      {
        config: { access: 'account.write' },
        schema: {
          operationId: 'deleteAccount',
          response: { 204: noContent },
          summary: 'Delete an account',
          tags: ['accounts'],
          params: idParams,
        },
      },
      async (request, reply) => {
        await services.accounts.delete(actorOf(request), request.params.id);
        return reply.status(204).send();
      },
    );

    app.get(
      '/accounts/:id/timeline',
      {
        config: { access: 'read' },
        schema: {
          operationId: 'getAccountTimeline',
          response: { 200: auditEntriesResponse },
          summary: "An account's timeline",
          tags: ['accounts'],
          params: idParams,
          querystring: z.object({
            limit: z.coerce.number().int().min(1).max(500).default(100),
            before: z.coerce.number().int().positive().optional(),
          }),
        },
      },
      async (request) => ({
        items: await services.accounts.timeline(request.params.id, request.query.limit, request.query.before),
      }),
    );

    app.get(
      '/accounts/:id/risk-cases',
      {
        config: { access: 'read' },
        schema: {
          operationId: 'listAccountRiskCases',
          response: { 200: riskCaseViewsResponse },
          summary: "An account's risk cases",
          tags: ['accounts'],
          params: idParams,
        },
      },
      async (request) => {
        await services.accounts.get(request.params.id);
        return { items: await services.riskCases.listForAccount(request.params.id) };
      },
    );

    app.get(
      '/accounts/:id/contacts',
      {
        config: { access: 'read' },
        schema: {
          operationId: 'listContacts',
          response: { 200: contactsResponse },
          summary: "An account's contacts",
          tags: ['contacts'],
          params: idParams,
        },
      },
      async (request) => ({
        items: await services.accounts.contacts(request.params.id),
      }),
    );

    app.post(
      '/accounts/:id/contacts',
      {
        config: { access: 'contact.write' },
        schema: {
          operationId: 'createContact',
          response: { 201: contactSchema },
          summary: 'Add a contact to an account',
          tags: ['contacts'],
          params: idParams,
          body: contactBody,
        },
      },
      async (request, reply) =>
        reply
          .status(201)
          .send(await services.accounts.addContact(actorOf(request), request.params.id, request.body)),
    );

    app.patch(
      '/contacts/:id',
      {
        config: { access: 'contact.write' },
        schema: {
          operationId: 'updateContact',
          response: { 200: contactSchema },
          summary: 'Change a contact',
          tags: ['contacts'],
          params: idParams,
          body: contactBody.partial().strict(),
        },
      },
      (request) => services.accounts.updateContact(actorOf(request), request.params.id, request.body),
    );

    app.delete(
      '/contacts/:id',
      {
        config: { access: 'contact.write' },
        schema: {
          operationId: 'deleteContact',
          response: { 204: noContent },
          summary: 'Delete a contact',
          tags: ['contacts'],
          params: idParams,
        },
      },
      async (request, reply) => {
        await services.accounts.deleteContact(actorOf(request), request.params.id);
        return reply.status(204).send();
      },
    );
    app.post(
      '/accounts/:id/erase',
      {
        config: { access: 'users.manage' },
        schema: {
          operationId: 'eraseAccount',
          response: { 200: erasureResponse },
          summary: 'Erase an account and all its data',
          tags: ['accounts'],
          description:
            'Erase the account for a privacy request (admins): it and all its data are deleted; its audit entries ' +
            'keep a tombstone (who, what, when) without the data.',
          params: idParams,
          body: z.object({ reason: z.string().trim().min(1).max(1000) }),
        },
      },
      (request) => services.accounts.erase(actorOf(request), request.params.id, request.body.reason),
    );
    done();
  };

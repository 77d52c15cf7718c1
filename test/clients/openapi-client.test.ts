// A client generated from the OpenAPI document alone (openapi-typescript types, openapi-fetch
// calls), as a customer's developer would build one. It is type-checked by `npm run check` with no
// cast anywhere: if the document stopped typing an answer, this file would stop compiling.
import type { AddressInfo } from 'node:net';
import createClient from 'openapi-fetch';
import { afterEach, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import type { paths } from './generated/retain-api';
import { apiWorld } from '../api/helpers';
import { PASSWORD } from '../helpers/book';
import { forEachStore } from '../helpers/stores';

let app: FastifyInstance | null = null;
afterEach(async () => {
  await app?.close();
  app = null;
});

/** Serves the API on a free port and returns its address. */
async function serve(server: FastifyInstance): Promise<string> {
  await server.listen({ port: 0, host: '127.0.0.1' });
  const address = server.server.address();
  if (address === null || typeof address === 'string') throw new Error('the server has no port');
  return `http://127.0.0.1:${(address satisfies AddressInfo).port}`;
}

forEachStore('a client generated from the OpenAPI document', (current) => {
  it('logs in, pages the worklist, opens a case and moves it, every answer typed', async () => {
    const w = await apiWorld(current());
    app = w.app;
    const baseUrl = await serve(app);

    const anonymous = createClient<paths>({ baseUrl });
    const login = await anonymous.POST('/api/v1/auth/login', {
      body: { email: 'csm.b@example.com', password: PASSWORD },
    });
    if (!login.data) throw new Error(`login failed: ${login.response.status}`);
    expect(login.data.user.role).toBe('csm');
    const cookie = login.response.headers
      .getSetCookie()
      .map((header) => header.split(';')[0])
      .join('; ');
    const client = createClient<paths>({
      baseUrl,
      headers: { cookie, 'x-csrf-token': login.data.csrfToken },
    });

    const first = await client.GET('/api/v1/risk-cases', { params: { query: { limit: 2, offset: 0 } } });
    const second = await client.GET('/api/v1/risk-cases', { params: { query: { limit: 2, offset: 2 } } });
    if (!first.data || !second.data) throw new Error('the worklist did not load');
    expect(first.data.total).toBe(3);
    const names = [...first.data.items, ...second.data.items].map((item) => item.account.name);
    expect(names.sort()).toEqual(['Acme Analytics', 'Birch Bakery', 'Cobalt Clinics']);
    expect(first.data.items[0]?.priority).toBeGreaterThanOrEqual(first.data.items[1]?.priority ?? 0);

    const fjord = w.book.accounts.find((account) => account.externalId === 'B-3');
    if (!fjord) throw new Error('the tiny book has no B-3');
    const opened = await client.POST('/api/v1/risk-cases', {
      body: { accountId: fjord.id, reasons: ['product_adoption'] },
    });
    if (!opened.data) throw new Error(`opening failed: ${opened.response.status}`);
    expect(opened.response.status).toBe(201);
    expect(opened.data.stage.key).toBe('at_risk');
    expect(opened.data.reasons.map((reason) => reason.key)).toEqual(['product_adoption']);

    const moved = await client.POST('/api/v1/risk-cases/{id}/stage', {
      params: { path: { id: opened.data.id } },
      body: { stage: 'plan_in_place', version: opened.data.version },
    });
    if (!moved.data) throw new Error(`moving failed: ${moved.response.status}`);
    expect(moved.data.stage.key).toBe('plan_in_place');
    expect(moved.data.stageHistory.map((entry) => entry.to)).toEqual(['at_risk', 'plan_in_place']);

    // A stale version is refused, and the error is typed too.
    const stale = await client.POST('/api/v1/risk-cases/{id}/stage', {
      params: { path: { id: opened.data.id } },
      body: { stage: 'saving', version: opened.data.version },
    });
    expect(stale.response.status).toBe(409);
    expect(stale.error?.error.code).toBe('VERSION_CONFLICT');
  });

  it('lists and reads accounts, their health and contacts, plays and tasks, every answer typed', async () => {
    const w = await apiWorld(current());
    app = w.app;
    const baseUrl = await serve(app);
    const admin = createClient<paths>({ baseUrl, headers: { authorization: `Bearer ${w.tokens.admin}` } });
    const csm = createClient<paths>({ baseUrl, headers: { authorization: `Bearer ${w.tokens.csmA}` } });

    const byArr = await csm.GET('/api/v1/accounts', { params: { query: { sort: 'arr', limit: 2 } } });
    if (!byArr.data) throw new Error(`listing accounts failed: ${byArr.response.status}`);
    expect(byArr.data.total).toBe(6);
    expect(byArr.data.items.map((account) => account.externalId)).toEqual(['A-3', 'B-3']);
    const largest = byArr.data.items[0];
    if (!largest) throw new Error('no account listed');
    expect(largest.attributes).toEqual({ region: 'EMEA' });
    expect(typeof largest.version).toBe('number');

    const health = await csm.GET('/api/v1/accounts/{id}/health', { params: { path: { id: largest.id } } });
    if (!health.data) throw new Error(`health failed: ${health.response.status}`);
    expect(health.data.accountId).toBe(largest.id);
    expect(health.data.changes.map((change) => change.days)).toEqual([3, 7, 14, 30, 90]);
    expect(health.data.current?.score ?? null).toBeNull();

    // csm.a owns Acme.
    const acme = w.book.accounts.find((account) => account.externalId === 'A-1');
    if (!acme) throw new Error('the tiny book has no A-1');
    const contact = await csm.POST('/api/v1/accounts/{id}/contacts', {
      params: { path: { id: acme.id } },
      body: { email: 'Pat@Acme.example', isChampion: true },
    });
    if (!contact.data) throw new Error(`adding a contact failed: ${contact.response.status}`);
    expect(contact.response.status).toBe(201);
    expect(contact.data.email).toBe('pat@acme.example');
    const contacts = await csm.GET('/api/v1/accounts/{id}/contacts', { params: { path: { id: acme.id } } });
    expect(contacts.data?.items.map((item) => [item.email, item.isChampion])).toEqual([
      ['pat@acme.example', true],
    ]);
    const removed = await csm.DELETE('/api/v1/contacts/{id}', { params: { path: { id: contact.data.id } } });
    expect(removed.response.status).toBe(204);

    const play = await admin.POST('/api/v1/plays', {
      body: {
        key: 'tell_the_channel',
        name: 'Tell the channel',
        definition: {
          trigger: { kind: 'case_opened' },
          steps: [
            { kind: 'webhook', url: 'https://hooks.slack.com/services/T0/B0/token', text: 'At risk' },
            {
              kind: 'task',
              title: 'Call {{account.name}}',
              dueInDays: 2,
              assignee: { kind: 'account_owner' },
            },
          ],
        },
      },
    });
    if (!play.data) throw new Error(`creating a play failed: ${play.response.status}`);
    expect(play.data.active).toBe(false);
    const [webhook] = play.data.definition.steps;
    expect(webhook?.kind === 'webhook' && webhook.url).toBe('https://hooks.slack.com/services/T0/B0/token');

    // A CSM reads the play without its webhook URL, which often holds a token.
    const plays = await csm.GET('/api/v1/plays');
    if (!plays.data) throw new Error(`listing plays failed: ${plays.response.status}`);
    const listed = plays.data.items.find((item) => item.key === 'tell_the_channel');
    const steps = listed?.definition.steps ?? [];
    expect(steps.map((step) => (step.kind === 'webhook' ? step.url : step.kind))).toEqual([
      '[hidden]',
      'task',
    ]);
    const versions = await csm.GET('/api/v1/plays/{ref}/versions', {
      params: { path: { ref: 'tell_the_channel' } },
    });
    expect(versions.data?.items.map((version) => version.version)).toEqual([1]);

    const tasks = await csm.GET('/api/v1/tasks', { params: { query: { state: 'all' } } });
    if (!tasks.data) throw new Error(`the task inbox failed: ${tasks.response.status}`);
    expect(tasks.data.total).toBe(tasks.data.items.length);

    const stages = await csm.GET('/api/v1/risk-stages');
    expect(stages.data?.items.find((stage) => stage.isEnd)?.outcome).toMatch(/^(recovered|lost)$/);
    const session = await csm.GET('/api/v1/auth/session');
    expect([session.data?.via, session.data?.user.email, session.data?.csrfToken]).toEqual([
      'token',
      w.book.users.csmA.email,
      null,
    ]);
  });
});

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

forEachStore('a client generated from the OpenAPI document', (current) => {
  it('logs in, pages the worklist, opens a case and moves it, every answer typed', async () => {
    const w = await apiWorld(current());
    app = w.app;
    await app.listen({ port: 0, host: '127.0.0.1' });
    const address = app.server.address();
    if (address === null || typeof address === 'string') throw new Error('the server has no port');
    const baseUrl = `http://127.0.0.1:${(address satisfies AddressInfo).port}`;

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
});

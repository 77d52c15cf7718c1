import { gzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../src/api/app';
import { DEFAULT_RULES } from '../../src/domain/detection';
import { DEFAULT_SCORECARD } from '../../src/domain/health';
import { createPlayRunner } from '../../src/jobs/play-runner';
import { unconfiguredMailer } from '../../src/services/messaging';
import { SYSTEM_ACTOR } from '../../src/domain/policy';
import { createServices } from '../../src/services';
import { openStore } from '../../src/store/db';
import type { RiskCaseDetail } from '../../src/services/risk-cases';
import { forEachStore } from '../helpers/stores';
import { apiWorld, errorCode, type ApiWorld, type Who } from './helpers';

const V1 = '/api/v1';

describe('HTTP API', () => {
  let app: FastifyInstance | null = null;
  afterEach(async () => {
    await app?.close();
    app = null;
  });
  const world = async (t: Parameters<typeof apiWorld>[0], options?: { cases?: boolean }) => {
    const w = await apiWorld(t, options);
    app = w.app;
    return w;
  };

  forEachStore('sessions and tokens', (current) => {
    it('logs in with a session cookie, demands the CSRF token on writes, and logs out', async () => {
      const w = await world(current(), { cases: false });
      const { cookie, csrf, response } = await w.login('Lead.A@example.com');
      expect(response.statusCode).toBe(200);
      const setCookie = String(response.headers['set-cookie']);
      expect(setCookie).toContain('HttpOnly');
      expect(setCookie).toContain('SameSite=Strict');
      expect(response.json()).toMatchObject({ user: { email: 'lead.a@example.com', role: 'lead' } });
      expect(JSON.stringify(response.json())).not.toContain('password');

      const session = await w.app.inject({ method: 'GET', url: `${V1}/auth/session`, headers: { cookie } });
      expect(session.json()).toMatchObject({ via: 'session', user: { email: 'lead.a@example.com' } });

      const body = { externalId: 'N-1', name: 'Nimbus Nursery', teamId: w.book.teams.a };
      const noCsrf = await w.app.inject({
        method: 'POST',
        url: `${V1}/accounts`,
        headers: { cookie },
        payload: body,
      });
      expect(noCsrf.statusCode).toBe(403);
      expect(errorCode(noCsrf)).toBe('CSRF_TOKEN_INVALID');
      const withCsrf = await w.app.inject({
        method: 'POST',
        url: `${V1}/accounts`,
        headers: { cookie, 'x-csrf-token': csrf },
        payload: body,
      });
      expect(withCsrf.statusCode).toBe(201);

      const out = await w.app.inject({ method: 'POST', url: `${V1}/auth/logout`, headers: { cookie } });
      expect(out.statusCode).toBe(200);
      const after = await w.app.inject({ method: 'GET', url: `${V1}/accounts`, headers: { cookie } });
      expect(after.statusCode).toBe(401);
      expect(errorCode(after)).toBe('UNAUTHENTICATED');
    });

    it('throttles repeated failed logins and lets the user back in after the window', async () => {
      const t = current();
      const w = await world(t, { cases: false });
      const wrong = await w.login('csm.a@example.com', 'not-the-password');
      expect(wrong.response.statusCode).toBe(401);
      expect(errorCode(wrong.response)).toBe('INVALID_CREDENTIALS');
      const unknown = await w.login('nobody@example.com', 'whatever-password');
      expect(errorCode(unknown.response)).toBe('INVALID_CREDENTIALS');
      for (let i = 0; i < 4; i += 1) await w.login('csm.a@example.com', 'not-the-password');
      const throttled = await w.login('csm.a@example.com');
      expect(throttled.response.statusCode).toBe(429);
      expect(errorCode(throttled.response)).toBe('LOGIN_THROTTLED');
      expect(Number(throttled.response.headers['retry-after'])).toBeGreaterThan(0);
      // Another user is not affected.
      expect((await w.login('csm.b@example.com')).response.statusCode).toBe(200);
      t.clock.advanceMinutes(16);
      expect((await w.login('csm.a@example.com')).response.statusCode).toBe(200);
    });

    it('sends security headers with a strict Content-Security-Policy', async () => {
      const w = await world(current(), { cases: false });
      const health = await w.app.inject({ method: 'GET', url: '/api/health' });
      const csp = String(health.headers['content-security-policy']);
      for (const directive of [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "object-src 'none'",
        "frame-ancestors 'none'",
      ])
        expect(csp).toContain(directive);
      expect(csp).not.toContain('unsafe');
      expect(health.headers).toMatchObject({
        'x-content-type-options': 'nosniff',
        'x-frame-options': 'DENY',
        'referrer-policy': 'no-referrer',
        'cache-control': 'no-store',
      });
      expect(health.headers['strict-transport-security']).toMatch(/max-age=\d+/);
      const docs = await w.app.inject({ method: 'GET', url: '/api/docs/ui/' });
      expect(docs.statusCode).toBe(200);
      const report = await w.as('leadA', {
        method: 'GET',
        url: `${V1}/reports/monthly?teamId=${w.book.teams.a}&month=2026-03&format=html`,
      });
      expect(report.headers['content-security-policy']).toBe(
        "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'",
      );
    });

    it('gives one login back every three minutes instead of a doubling lock-out, and a success clears the count', async () => {
      const t = current();
      const w = await world(t, { cases: false });
      for (let i = 0; i < 5; i += 1) await w.login('csm.a@example.com', 'not-the-password');
      const first = await w.login('csm.a@example.com');
      expect(errorCode(first.response)).toBe('LOGIN_THROTTLED');
      expect(first.response.headers['retry-after']).toBe('180');
      t.clock.advanceMinutes(3);
      expect(errorCode((await w.login('csm.a@example.com', 'still-wrong-password')).response)).toBe(
        'INVALID_CREDENTIALS',
      );
      const second = await w.login('csm.a@example.com');
      expect(errorCode(second.response)).toBe('LOGIN_THROTTLED');
      expect(second.response.headers['retry-after']).toBe('180');
      t.clock.advanceMinutes(2);
      expect(errorCode((await w.login('csm.a@example.com')).response)).toBe('LOGIN_THROTTLED');
      t.clock.advanceMinutes(1);
      expect((await w.login('csm.a@example.com')).response.statusCode).toBe(200);
      // A success clears the count: the next failures are just failures.
      for (let i = 0; i < 5; i += 1) {
        expect(errorCode((await w.login('csm.a@example.com', 'wrong-again-password')).response)).toBe(
          'INVALID_CREDENTIALS',
        );
      }
      expect(errorCode((await w.login('csm.a@example.com')).response)).toBe('LOGIN_THROTTLED');
    });

    it('expires idle sessions and slides the expiry while the session is used', async () => {
      const t = current();
      const w = await world(t, { cases: false });
      const { cookie } = await w.login('viewer@example.com');
      const get = () => w.app.inject({ method: 'GET', url: `${V1}/auth/session`, headers: { cookie } });
      t.clock.advanceHours(11);
      expect((await get()).statusCode).toBe(200);
      t.clock.advanceHours(11);
      expect((await get()).statusCode).toBe(200);
      t.clock.advanceHours(13);
      const expired = await get();
      expect(expired.statusCode).toBe(401);
      expect(errorCode(expired)).toBe('SESSION_EXPIRED');
    });

    it('shares sessions and login throttling between two servers on one store', async () => {
      const t = current();
      const w = await world(t, { cases: false });
      const secondStore = await openStore(t.target);
      const second = await buildApp(createServices(secondStore, t.clock));
      try {
        const { cookie } = await w.login('lead.a@example.com');
        const elsewhere = await second.inject({
          method: 'GET',
          url: `${V1}/auth/session`,
          headers: { cookie },
        });
        expect(elsewhere.json()).toMatchObject({ user: { email: 'lead.a@example.com' } });
        for (let i = 0; i < 3; i += 1) await w.login('csm.b@example.com', 'not-the-password');
        for (let i = 0; i < 2; i += 1) {
          await second.inject({
            method: 'POST',
            url: `${V1}/auth/login`,
            payload: { email: 'csm.b@example.com', password: 'still-not-it' },
          });
        }
        expect(errorCode((await w.login('csm.b@example.com')).response)).toBe('LOGIN_THROTTLED');
        await w.app.inject({ method: 'POST', url: `${V1}/auth/logout`, headers: { cookie } });
        const loggedOut = await second.inject({
          method: 'GET',
          url: `${V1}/auth/session`,
          headers: { cookie },
        });
        expect(loggedOut.statusCode).toBe(401);
      } finally {
        await second.close();
        await secondStore.close();
      }
    });

    it('authenticates API tokens, honours revocation and keeps ingest tokens to imports', async () => {
      const w = await world(current(), { cases: false });
      const created = await w.as('csmA', {
        method: 'POST',
        url: `${V1}/auth/tokens`,
        payload: { name: 'laptop' },
      });
      expect(created.statusCode).toBe(201);
      const { token, apiToken } = created.json<{ token: string; apiToken: { id: number } }>();
      expect(token).toMatch(/^rt_/);
      const mine = await w.app.inject({
        method: 'GET',
        url: `${V1}/auth/session`,
        headers: { authorization: `Bearer ${token}` },
      });
      expect(mine.json()).toMatchObject({ via: 'token', user: { email: 'csm.a@example.com' } });
      const listed = await w.as('csmA', { method: 'GET', url: `${V1}/auth/tokens` });
      expect(JSON.stringify(listed.json())).not.toContain(token);
      await w.as('csmA', { method: 'DELETE', url: `${V1}/auth/tokens/${apiToken.id}` });
      const revoked = await w.app.inject({
        method: 'GET',
        url: `${V1}/accounts`,
        headers: { authorization: `Bearer ${token}` },
      });
      expect(revoked.statusCode).toBe(401);
      const malformed = await w.app.inject({
        method: 'GET',
        url: `${V1}/accounts`,
        headers: { authorization: 'Basic x' },
      });
      expect(errorCode(malformed)).toBe('UNAUTHENTICATED');

      const imported = await w.as('ingest', {
        method: 'POST',
        url: `${V1}/imports/accounts`,
        headers: { 'content-type': 'text/csv' },
        payload: 'Account ID,Account Name\nW-1,Warehouse One\n',
      });
      expect(imported.statusCode).toBe(200);
      expect(imported.json()).toMatchObject({ created: 1 });
      const read = await w.as('ingest', { method: 'GET', url: `${V1}/accounts` });
      expect(read.statusCode).toBe(403);

      // A signal import says what detection did; an ingest token hears how many cases opened, not
      // which accounts they are on (it may not read the book), where an admin hears both.
      const day = current().clock.now().toISOString().slice(0, 10);
      const detractor = (account: string) =>
        `account,kind,occurred_at,score\n${account},nps,${day}T00:00:00Z,1\n`;
      const ingested = await w.as('ingest', {
        method: 'POST',
        url: `${V1}/imports/signals`,
        headers: { 'content-type': 'text/csv' },
        payload: detractor('W-1'),
      });
      expect(ingested.statusCode).toBe(200);
      expect(ingested.json()).toMatchObject({ created: 1, detection: { casesOpened: 1, opened: [] } });
      await w.as('admin', {
        method: 'POST',
        url: `${V1}/imports/accounts`,
        headers: { 'content-type': 'text/csv' },
        payload: 'Account ID,Account Name\nW-2,Warehouse Two\n',
      });
      const byAdmin = await w.as('admin', {
        method: 'POST',
        url: `${V1}/imports/signals`,
        headers: { 'content-type': 'text/csv' },
        payload: detractor('W-2'),
      });
      expect(byAdmin.json()).toMatchObject({
        detection: { casesOpened: 1, opened: [{ account: 'W-2', accountName: 'Warehouse Two' }] },
      });
    });
  });

  forEachStore('risk cases over HTTP', (current) => {
    it('walks a case through every stage, stops the clock at the end and runs it again on reopen', async () => {
      const t = current();
      const w = await world(t);
      const fjord = w.book.accounts[5];
      if (!fjord) throw new Error('missing account');
      const opened = await w.as('csmB', {
        method: 'POST',
        url: `${V1}/risk-cases`,
        payload: {
          accountId: fjord.id,
          reasons: ['support_issues', 'poor_engagement'],
          note: 'Ticket spike',
        },
      });
      expect(opened.statusCode).toBe(201);
      const id = opened.json<RiskCaseDetail>().id;
      expect(opened.json()).toMatchObject({ stage: { key: 'at_risk' }, status: 'open', arrAtRisk: 60_000 });

      const again = await w.as('csmB', {
        method: 'POST',
        url: `${V1}/risk-cases`,
        payload: { accountId: fjord.id, reasons: ['support_issues'] },
      });
      expect(again.statusCode).toBe(409);
      expect(again.json()).toMatchObject({
        error: { code: 'RISK_CASE_ALREADY_OPEN', details: { caseId: id, href: `${V1}/risk-cases/${id}` } },
      });

      const move = (stage: string) =>
        w.as('csmB', { method: 'POST', url: `${V1}/risk-cases/${id}/stage`, payload: { stage } });
      const get = async () =>
        (await w.as('viewer', { method: 'GET', url: `${V1}/risk-cases/${id}` })).json<RiskCaseDetail>();

      t.clock.advanceDays(2);
      expect((await get()).timeInStageDays).toBe(2);
      expect((await move('plan_in_place')).statusCode).toBe(200);
      t.clock.advanceDays(3);
      await move('saving');
      t.clock.advanceDays(4);
      const closed = (await move('closed_recovered')).json<RiskCaseDetail>();
      expect(closed).toMatchObject({ status: 'closed', outcome: 'recovered', totalOpenDays: 9 });
      t.clock.advanceDays(20);
      expect(await get()).toMatchObject({ totalOpenDays: 9, timeInStageDays: 20 });

      expect((await move('saving')).json()).toMatchObject({ status: 'open', closedAt: null });
      t.clock.advanceDays(1);
      expect(await get()).toMatchObject({ totalOpenDays: 10, timeInStageDays: 1 });
      await move('closed_lost');
      const final = await get();
      expect(final).toMatchObject({ status: 'closed', outcome: 'lost' });
      expect(final.stageTimes.map((s) => [s.key, s.days])).toEqual([
        ['at_risk', 2],
        ['plan_in_place', 3],
        ['saving', 5],
        ['closed_recovered', 20],
        ['closed_lost', 0],
      ]);
      expect(final.stageHistory.map((h) => [h.to, h.by])).toEqual([
        ['at_risk', 'csm.b@example.com'],
        ['plan_in_place', 'csm.b@example.com'],
        ['saving', 'csm.b@example.com'],
        ['closed_recovered', 'csm.b@example.com'],
        ['saving', 'csm.b@example.com'],
        ['closed_lost', 'csm.b@example.com'],
      ]);
      const audit = await w.as('viewer', { method: 'GET', url: `${V1}/risk-cases/${id}/audit` });
      expect(audit.json<{ items: unknown[] }>().items.length).toBeGreaterThanOrEqual(6);
    });

    it('places a case on the matrix, records the weekly update and lists overdue cases', async () => {
      const t = current();
      const w = await world(t);
      const id = w.book.cases.plan_in_place;
      const placed = await w.as('csmA', {
        method: 'PATCH',
        url: `${V1}/risk-cases/${id}`,
        payload: { expected: true, avoidable: false, ltv: 50_000 },
      });
      expect(placed.json()).toMatchObject({
        matrix: { quadrant: 'expected_unavoidable' },
        track: 'digital',
        ltvSource: 'given',
      });
      const update = await w.as('csmA', {
        method: 'POST',
        url: `${V1}/risk-cases/${id}/updates`,
        payload: { background: 'Budget cut.', doneSoFar: 'Exec call.', nextSteps: 'Send ROI deck.' },
      });
      expect(update.statusCode).toBe(201);
      t.clock.advanceDays(8);
      const overdue = await w.as('leadA', { method: 'GET', url: `${V1}/risk-cases?overdue=true` });
      expect(overdue.json<{ items: { id: number }[] }>().items.map((c) => c.id)).toContain(id);
      const matrix = await w.as('leadA', {
        method: 'GET',
        url: `${V1}/risk-cases/matrix?teamId=${w.book.teams.a}`,
      });
      const cells = matrix.json<{ cells: { quadrant: string; cases: number }[] }>().cells;
      expect(cells.find((cell) => cell.quadrant === 'expected_unavoidable')?.cases).toBe(1);
    });

    it('answers bad input with a stable code that names the field, and writes nothing', async () => {
      const w = await world(current());
      const missing = await w.as('admin', {
        method: 'POST',
        url: `${V1}/risk-cases`,
        payload: { reasons: [] },
      });
      expect(missing.statusCode).toBe(400);
      expect(errorCode(missing)).toBe('VALIDATION_FAILED');
      expect(missing.json<{ error: { message: string } }>().error.message).toMatch(/^body\.accountId/);
      const unknownField = await w.as('admin', {
        method: 'PATCH',
        url: `${V1}/accounts/${w.book.accounts[0]?.id}`,
        payload: { colour: 'blue' },
      });
      expect(errorCode(unknownField)).toBe('VALIDATION_FAILED');
      const badFilter = await w.as('admin', { method: 'GET', url: `${V1}/risk-cases?sort=loudest` });
      expect(badFilter.statusCode).toBe(400);
      expect(badFilter.json<{ error: { message: string } }>().error.message).toContain('querystring.sort');
      const badDate = await w.as('admin', {
        method: 'POST',
        url: `${V1}/accounts`,
        payload: { externalId: 'Z', name: 'Z', renewalDate: '2026-02-30' },
      });
      expect(badDate.statusCode).toBe(400);
      expect(badDate.json<{ error: { message: string } }>().error.message).toContain('renewalDate');
      const huge = await w.as('admin', {
        method: 'POST',
        url: `${V1}/accounts`,
        payload: { externalId: 'Z', name: 'x'.repeat(2 * 1024 * 1024) },
      });
      expect(huge.statusCode).toBe(413);
      expect(errorCode(huge)).toBe('PAYLOAD_TOO_LARGE');
      const wrongType = await w.as('admin', {
        method: 'POST',
        url: `${V1}/imports/accounts`,
        payload: { rows: [] },
      });
      expect(wrongType.statusCode).toBe(415);
      const badCsv = await w.as('admin', {
        method: 'POST',
        url: `${V1}/imports/accounts`,
        headers: { 'content-type': 'text/csv' },
        payload: 'id,name,arr\nQ-1,Quill,100\nQ-2,Quay,ten\n',
      });
      expect(badCsv.statusCode).toBe(422);
      expect(badCsv.json()).toMatchObject({
        error: { code: 'IMPORT_INVALID', details: { errors: [{ line: 3, column: 'arr' }] } },
      });
      const accounts = await w.as('admin', { method: 'GET', url: `${V1}/accounts` });
      expect(accounts.json<{ total: number }>().total).toBe(6);
      const partial = await w.as('admin', {
        method: 'POST',
        url: `${V1}/imports/accounts?partial=true`,
        headers: { 'content-type': 'text/csv' },
        payload: 'id,name,arr\nQ-1,Quill,100\nQ-2,Quay,ten\n',
      });
      expect(partial.json()).toMatchObject({ created: 1, rejected: 1 });
      const notFound = await w.as('admin', { method: 'GET', url: `${V1}/risk-cases/9999` });
      expect(notFound.statusCode).toBe(404);
      expect(errorCode(notFound)).toBe('RISK_CASE_NOT_FOUND');
    });

    it('serves health, the OpenAPI document and CSV exports', async () => {
      const w = await world(current());
      const health = await w.app.inject({ method: 'GET', url: '/api/health' });
      expect(health.json()).toMatchObject({ status: 'ok' });
      const docs = await w.app.inject({ method: 'GET', url: '/api/docs' });
      expect(docs.json<{ openapi: string }>().openapi).toMatch(/^3\./);
      const exported = await w.as('viewer', { method: 'GET', url: `${V1}/exports/cases?format=csv` });
      expect(exported.headers['content-type']).toContain('text/csv');
      expect(exported.body.trim().split('\n')).toHaveLength(6);
      // Reasons by key (for machines) and by name (for people).
      expect(exported.body.split('\n')[0]).toContain(',stage,status,reasons,reason_names,quadrant,');
      const reasons = await w.as('viewer', { method: 'GET', url: `${V1}/risk-reasons` });
      const names = reasons.json<{ name: string }[] | { items: { name: string }[] }>();
      const list = Array.isArray(names) ? names : names.items;
      expect(list.some((reason) => exported.body.includes(reason.name))).toBe(true);
    });
  });

  forEachStore('signals over HTTP', (current) => {
    it('takes signal batches from an ingest token and shows them on the account', async () => {
      const t = current();
      const w = await world(t, { cases: false });
      const signals = [
        {
          kind: 'usage',
          account: 'A-1',
          occurredAt: '2026-03-01T10:00:00Z',
          idempotencyKey: 'k1',
          data: { event: 'login' },
        },
        {
          kind: 'nps',
          account: 'A-1',
          occurredAt: '2026-03-01T11:00:00Z',
          idempotencyKey: 'k2',
          data: { score: 4 },
        },
      ];
      const first = await w.as('ingest', { method: 'POST', url: `${V1}/signals`, payload: { signals } });
      expect(first.statusCode).toBe(200);
      expect(first.json()).toMatchObject({ received: 2, inserted: 2, duplicates: 0 });
      const again = await w.as('ingest', { method: 'POST', url: `${V1}/signals`, payload: { signals } });
      expect(again.json()).toMatchObject({ inserted: 0, duplicates: 2 });
      const bad = await w.as('ingest', {
        method: 'POST',
        url: `${V1}/signals`,
        payload: { signals: [{ ...signals[0], idempotencyKey: 'k3', occurredAt: 'last tuesday' }] },
      });
      expect(bad.statusCode).toBe(422);
      expect(bad.json()).toMatchObject({
        error: { code: 'SIGNALS_INVALID', details: { errors: [{ index: 0, field: 'occurredAt' }] } },
      });
      const acme = w.book.accounts[0]?.id ?? 0;
      const listed = await w.as('viewer', { method: 'GET', url: `${V1}/accounts/${acme}/signals?kind=nps` });
      expect(listed.json()).toMatchObject({ items: [{ kind: 'nps', data: { score: 4 } }] });
      const rollups = await w.as('viewer', {
        method: 'GET',
        url: `${V1}/accounts/${acme}/rollups?metric=usage.logins&from=2026-03-01&to=2026-03-31`,
      });
      expect(rollups.json()).toMatchObject({
        items: [{ metric: 'usage.logins', day: '2026-03-01', value: 1 }],
      });
    });
  });

  forEachStore('segments over HTTP', (current) => {
    it('previews a filter, saves it as a segment and lists its members; a bad filter says where', async () => {
      const w = await world(current());
      const bad = await w.as('leadA', {
        method: 'POST',
        url: `${V1}/segments`,
        payload: { name: 'Broken', filter: 'tier = "Enterprise" and seats > 5' },
      });
      expect(bad.statusCode).toBe(400);
      expect(bad.json()).toMatchObject({
        error: { code: 'INVALID_FILTER', details: { position: 25, token: 'seats' } },
      });
      const preview = await w.as('viewer', {
        method: 'POST',
        url: `${V1}/segments/preview`,
        payload: { filter: 'risk.stage is not empty and arr >= 10000' },
      });
      expect(preview.json()).toMatchObject({
        count: 2,
        items: [{ externalId: 'A-1' }, { externalId: 'A-3' }],
      });
      const created = await w.as('leadA', {
        method: 'POST',
        url: `${V1}/segments`,
        payload: { name: 'Big risks', filter: 'risk.stage is not empty and arr >= 10000' },
      });
      expect(created.statusCode).toBe(201);
      const { id } = created.json<{ id: number }>();
      const members = await w.as('csmA', { method: 'GET', url: `${V1}/segments/${id}/members?limit=1` });
      expect(members.json()).toMatchObject({ total: 2, items: [{ externalId: 'A-1' }] });
      // Saving it counted its members: a refresh finds nothing new.
      const refreshed = await w.as('leadA', { method: 'POST', url: `${V1}/segments/refresh` });
      expect(refreshed.json<{ items: { key: string; entered: number }[] }>().items).toContainEqual(
        expect.objectContaining({ key: 'big_risks', entered: 0, members: 2 }),
      );
      const history = await w.as('viewer', { method: 'GET', url: `${V1}/segments/${id}/history` });
      expect(history.json<{ items: unknown[] }>().items).toHaveLength(2);
    });
  });

  forEachStore('playbooks over HTTP', (current) => {
    it('an admin turns a play on; the CSM finds the task in their inbox and completes it, moving the case', async () => {
      const t = current();
      const w = await world(t);
      const play = await w.as('viewer', { method: 'GET', url: `${V1}/plays/champion_loss` });
      expect(play.json()).toMatchObject({ key: 'champion_loss', active: false });
      const preview = await w.as('viewer', {
        method: 'POST',
        url: `${V1}/plays/champion_loss/dry-run`,
        payload: {},
      });
      expect(preview.json()).toMatchObject({ total: 0 });
      const denied = await w.as('leadA', {
        method: 'PATCH',
        url: `${V1}/plays/champion_loss`,
        payload: { active: true, version: 1 },
      });
      expect(denied.statusCode).toBe(403);
      const on = await w.as('admin', {
        method: 'PATCH',
        url: `${V1}/plays/champion_loss`,
        payload: { active: true, version: 1 },
      });
      expect(on.json()).toMatchObject({ active: true, version: 2 });
      const caseId = w.book.cases.at_risk ?? 0;
      const before = await w.as('csmA', { method: 'GET', url: `${V1}/risk-cases/${caseId}` });
      await w.as('csmA', {
        method: 'PUT',
        url: `${V1}/risk-cases/${caseId}/reasons`,
        payload: {
          reasons: ['product_adoption', 'leadership_change'],
          version: before.json<{ version: number }>().version,
        },
      });
      await createPlayRunner(t.services, { mailer: unconfiguredMailer }).drain();
      const inbox = await w.as('csmA', { method: 'GET', url: `${V1}/tasks` });
      const items = inbox.json<{ items: { id: number; title: string; actions: unknown[] }[] }>().items;
      expect(items.map((i) => i.title)).toEqual([
        'Identify the new champion at Acme Analytics',
        'Meet the new decision maker at Acme Analytics',
      ]);
      const meet = items[1];
      expect(meet?.actions).toEqual([{ kind: 'set_stage', stage: 'saving' }]);
      const notMine = await w.as('csmB', {
        method: 'POST',
        url: `${V1}/tasks/${meet?.id}/complete`,
        payload: {},
      });
      expect(notMine.statusCode).toBe(403);
      const done = await w.as('csmA', {
        method: 'POST',
        url: `${V1}/tasks/${meet?.id}/complete`,
        payload: { accept: [0], note: 'Met the new VP' },
      });
      expect(done.json()).toMatchObject({ status: 'done', results: [{ result: 'applied' }] });
      const after = await w.as('csmA', { method: 'GET', url: `${V1}/risk-cases/${caseId}` });
      expect(after.json()).toMatchObject({ stage: { key: 'saving' } });
      const runs = await w.as('viewer', { method: 'GET', url: `${V1}/plays/champion_loss/runs` });
      const [run] = runs.json<{ items: { id: number }[] }>().items;
      const detail = await w.as('viewer', { method: 'GET', url: `${V1}/play-runs/${run?.id}` });
      expect(detail.json<{ steps: unknown[]; tasks: unknown[] }>().tasks).toHaveLength(2);
      const effect = await w.as('viewer', { method: 'GET', url: `${V1}/plays/champion_loss/effectiveness` });
      expect(effect.json()).toMatchObject({ verdict: 'too_small_to_tell', treated: { entered: 1 } });
    });
  });

  forEachStore('churn models over HTTP', (current) => {
    it('fits a scorecard from a CSV body, applies it, and backtests the live score on the same held-out rows', async () => {
      const w = await world(current(), { cases: false });
      // 400 accounts: churn falls with seats and is higher on the basic plan.
      const rows = Array.from({ length: 400 }, (_, i) => {
        const seats = i % 50;
        const plan = i % 3 === 0 ? 'basic' : 'pro';
        const churned =
          (seats < 15 ? 1 : 0) ^ (i % 7 === 0 ? 1 : 0) || (plan === 'basic' && i % 4 === 0 ? 1 : 0);
        return `ACC-${i},${seats},${plan},${churned}`;
      });
      const csv = `account,seats,plan,churned\n${rows.join('\n')}\n`;
      const post = (url: string, body = csv) =>
        w.as('admin', { method: 'POST', url, payload: body, headers: { 'content-type': 'text/csv' } });

      const fit = await post(`${V1}/health/fit?label=churned&id=account&apply=true`);
      expect(fit.statusCode).toBe(200);
      const fitted = fit.json<{ test: { auc: number }; applied: boolean; split: { testRows: number } }>();
      expect(fitted).toMatchObject({ applied: true, split: { kind: 'stratified', testRows: 100 } });
      expect(fitted.test.auc).toBeGreaterThan(0.8);
      const live = await w.as('viewer', { method: 'GET', url: `${V1}/health/scorecard` });
      expect(
        live
          .json<{ measures: { key: string }[] }>()
          .measures.map((m) => m.key)
          .sort(),
      ).toEqual(['plan', 'seats']);

      const tested = await post(`${V1}/health/backtest?label=churned&id=account`);
      expect(tested.json<{ report: { auc: number } }>().report.auc).toBe(fitted.test.auc);

      const unknown = await post(`${V1}/health/backtest?label=Exited`);
      expect(unknown.statusCode).toBe(400);
      expect(errorCode(unknown)).toBe('MODEL_COLUMN_UNKNOWN');
      const json = await w.as('admin', {
        method: 'POST',
        url: `${V1}/health/backtest?label=churned`,
        payload: {},
      });
      expect(errorCode(json)).toBe('UNSUPPORTED_MEDIA_TYPE');
      const badSplit = await post(`${V1}/health/fit?label=churned&testShare=2`);
      expect(badSplit.statusCode).toBe(400);
    });
  });

  forEachStore('Segment-compatible ingest', (current) => {
    it('maps group, identify and track calls to accounts, contacts and usage signals', async () => {
      const t = current();
      const w = await world(t, { cases: false });
      const basic = `Basic ${Buffer.from(`${w.tokens.ingest}:`).toString('base64')}`;
      const post = (url: string, payload: Record<string, unknown>) =>
        w.app.inject({
          method: 'POST',
          url: `${V1}/segment/v1/${url}`,
          headers: { authorization: basic },
          payload,
        });
      const batch = [
        {
          type: 'group',
          groupId: 'SEG-1',
          userId: 'u1',
          traits: { name: 'Segment Co', plan: 'Pro', arr: 24_000, industry: 'Media' },
        },
        {
          type: 'identify',
          userId: 'u1',
          traits: { email: 'Ana@Segment.example', name: 'Ana', title: 'Ops lead' },
        },
        {
          type: 'track',
          userId: 'u1',
          event: 'Signed In',
          messageId: 'm1',
          timestamp: '2026-03-01T10:00:00Z',
        },
        {
          type: 'track',
          event: 'Report Run',
          messageId: 'm2',
          context: { groupId: 'A-1' },
          properties: { count: 3 },
          timestamp: '2026-03-01T11:00:00Z',
        },
      ];
      const first = await post('batch', { batch });
      expect(first.statusCode).toBe(200);
      expect(first.json()).toMatchObject({
        accountsCreated: 1,
        contacts: 1,
        signalsInserted: 2,
        duplicates: 0,
      });
      const account = await t.services.accounts.getByExternalId('SEG-1');
      expect(account).toMatchObject({
        name: 'Segment Co',
        tier: 'Pro',
        arr: 24_000,
        attributes: { industry: 'Media' },
      });
      expect(await t.services.accounts.contacts(account.id)).toMatchObject([
        { email: 'ana@segment.example', name: 'Ana', role: 'Ops lead' },
      ]);
      const logins = await t.services.signals.rollups(account.id, { metrics: ['usage.logins'] });
      expect(logins).toMatchObject([{ day: '2026-03-01', value: 1 }]);

      const again = await post('batch', { batch });
      expect(again.json()).toMatchObject({
        accountsCreated: 0,
        accountsUpdated: 1,
        signalsInserted: 0,
        duplicates: 2,
      });
      const single = await post('track', {
        userId: 'u1',
        event: 'Export',
        messageId: 'm3',
        timestamp: '2026-03-01T12:00:00Z',
      });
      expect(single.json()).toMatchObject({ signalsInserted: 1 });

      // One bad message is named and kept in the rejection log; the rest of its batch is written.
      const mixed = await post('batch', {
        batch: [
          { type: 'group', groupId: 'SEG-2', traits: { name: 'Made Anyway', arr: '12,000' } },
          { type: 'group', groupId: 'SEG-3', traits: { name: 'Three' } },
          { type: 'track', userId: 'stranger', event: 'Signed In', messageId: 'm4' },
          { type: 'page', userId: 'u1', name: 'Home', messageId: 'm5', properties: { path: '/' } },
          { type: 'mystery', userId: 'u1' },
        ],
      });
      expect(mixed.statusCode).toBe(200);
      expect(mixed.json()).toMatchObject({
        received: 5,
        accepted: 2,
        rejected: 3,
        accountsCreated: 1,
        signalsInserted: 1,
        errors: [
          { index: 0, field: 'traits.arr', message: expect.stringContaining('not a plain number') as string },
          { index: 2, field: 'context.groupId' },
          { index: 4, field: 'type' },
        ],
      });
      await expect(t.services.accounts.getByExternalId('SEG-2')).rejects.toMatchObject({
        code: 'ACCOUNT_NOT_FOUND',
      });
      expect(await t.services.accounts.getByExternalId('SEG-3')).toMatchObject({ name: 'Three' });
      // The log holds what every sender sent: admins read it, ingest keys (which may sit in web pages) do not.
      const denied = await w.app.inject({
        method: 'GET',
        url: `${V1}/segment/rejections`,
        headers: { authorization: basic },
      });
      expect(denied.statusCode).toBe(403);
      const log = await w.as('admin', { method: 'GET', url: `${V1}/segment/rejections` });
      expect(log.json<{ items: { type: string; field: string; excerpt: string }[] }>().items).toMatchObject([
        { type: 'mystery', field: 'type' },
        { type: 'track', field: 'context.groupId', excerpt: expect.stringContaining('stranger') as string },
        { type: 'group', field: 'traits.arr' },
      ]);
      // A single call that is refused is a 422, naming the field.
      const refused = await post('group', { groupId: 'SEG-4', traits: { arr: 'TBD' } });
      expect(refused.statusCode).toBe(422);
      expect(refused.json()).toMatchObject({
        error: { code: 'SIGNALS_INVALID', details: { errors: [{ index: 0, field: 'traits.arr' }] } },
      });
    });

    it('reads what libraries send: gzip, text/plain with the write key, sentAt and the spec traits', async () => {
      const t = current();
      const w = await world(t, { cases: false });
      const receivedAt = t.clock.now().getTime();
      // The sender's clock is an hour fast: its times are moved back by the same hour.
      const fast = (ms: number) => new Date(receivedAt + 3_600_000 - ms).toISOString();
      const body = {
        writeKey: w.tokens.ingest,
        sentAt: fast(0),
        batch: [
          {
            type: 'group',
            groupId: 'SEG-9',
            userId: 'u-9',
            timestamp: fast(1000),
            traits: {
              name: 'Nine',
              plan: 'Team',
              arr: '12000.50',
              address: { city: 'Oslo' },
              tags: ['a', 'b'],
            },
          },
          {
            type: 'identify',
            userId: 'u-9',
            timestamp: fast(1000),
            traits: { email: 'ivy@nine.example', firstName: 'Ivy', lastName: 'Ng', plan: 'Team' },
          },
          {
            type: 'track',
            userId: 'u-9',
            event: 'Invoice Sent',
            messageId: 'n1',
            originalTimestamp: fast(60_000),
            properties: { amount: 40, currency: 'EUR' },
          },
          {
            type: 'track',
            userId: 'u-9',
            event: 'Too Soon',
            messageId: 'n2',
            timestamp: '2028-01-01T00:00:00Z',
          },
        ],
      };
      const sent = await w.app.inject({
        method: 'POST',
        url: `${V1}/segment/v1/b`,
        headers: { 'content-type': 'text/plain', 'content-encoding': 'gzip' },
        payload: gzipSync(JSON.stringify(body)),
      });
      expect(sent.statusCode).toBe(200);
      expect(sent.headers['access-control-allow-origin']).toBe('*');
      expect(sent.json()).toMatchObject({
        accepted: 3,
        rejected: 1,
        errors: [
          { index: 3, field: 'timestamp', message: expect.stringContaining('in the future') as string },
        ],
      });
      const account = await t.services.accounts.getByExternalId('SEG-9');
      expect(account).toMatchObject({
        tier: 'Team',
        arr: 12_000.5,
        attributes: { 'address.city': 'Oslo', tags: '["a","b"]' },
      });
      expect(await t.services.accounts.contacts(account.id)).toMatchObject([
        { email: 'ivy@nine.example', name: 'Ivy Ng', attributes: { plan: 'Team' } },
      ]);
      const [signal] = await t.services.signals.listForAccount(account.id, { limit: 5 });
      expect(signal).toMatchObject({
        occurredAt: new Date(receivedAt - 60_000).toISOString(),
        data: { event: 'Invoice Sent', properties: { amount: 40, currency: 'EUR' } },
      });

      const noKey = await w.app.inject({
        method: 'POST',
        url: `${V1}/segment/v1/t`,
        headers: { 'content-type': 'text/plain' },
        payload: JSON.stringify({ event: 'x', userId: 'u-9' }),
      });
      expect(noKey.statusCode).toBe(401);
      // A write key in the body ends up in web pages: a full-scope token is refused there.
      const fullKey = await w.app.inject({
        method: 'POST',
        url: `${V1}/segment/v1/t`,
        headers: { 'content-type': 'text/plain' },
        payload: JSON.stringify({ writeKey: w.tokens.admin, event: 'x', userId: 'u-9' }),
      });
      expect(fullKey.statusCode).toBe(403);
      // A __proto__ key is dropped, and the rest of the call is kept; a refused call never logs its key.
      const proto = await w.app.inject({
        method: 'POST',
        url: `${V1}/segment/v1/batch`,
        headers: { authorization: `Bearer ${w.tokens.ingest}`, 'content-type': 'application/json' },
        payload:
          '{"batch":[{"type":"group","groupId":"SEG-P","traits":{"name":"Proto","__proto__":{"polluted":1}}}]}',
      });
      expect(proto.json()).toMatchObject({ accepted: 1, rejected: 0 });
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
      await w.app.inject({
        method: 'POST',
        url: `${V1}/segment/v1/t`,
        headers: { 'content-type': 'text/plain' },
        payload: JSON.stringify({ writeKey: w.tokens.ingest, event: 'x', userId: 'nobody-known' }),
      });
      const logged = await w.as('admin', { method: 'GET', url: `${V1}/segment/rejections` });
      expect(logged.body).not.toContain(w.tokens.ingest);
      const wrongKey = await w.app.inject({
        method: 'POST',
        url: `${V1}/segment/v1/t`,
        headers: { 'content-type': 'text/plain' },
        payload: JSON.stringify({ writeKey: 'rt_not-a-token', event: 'x', userId: 'u-9' }),
      });
      expect(wrongKey.statusCode).toBe(401);
      const broken = await w.app.inject({
        method: 'POST',
        url: `${V1}/segment/v1/batch`,
        headers: {
          authorization: `Bearer ${w.tokens.ingest}`,
          'content-encoding': 'gzip',
          'content-type': 'application/json',
        },
        payload: 'not gzip at all',
      });
      expect(broken.statusCode).toBe(400);
    });
  });

  forEachStore('roles', (current) => {
    it('gives the wrong role 403 on every endpoint of the API', async () => {
      const t = current();
      const w = await world(t);
      const contact = await t.services.accounts.addContact(SYSTEM_ACTOR, w.book.accounts[0]?.id ?? 0, {
        email: 'pat@acme.example',
      });
      const adminTokenId = (await t.services.auth.listApiTokens(SYSTEM_ACTOR)).find(
        (token) => token.userId === w.book.users.admin.id,
      )?.id;
      const sweep = roleSweep(w, { contactId: contact.id, adminTokenId: adminTokenId ?? 0 });

      // Every operation in the OpenAPI document has at least one denial in the sweep.
      const docs = (await w.app.inject({ method: 'GET', url: '/api/docs' })).json<{
        paths: Record<string, Record<string, unknown>>;
      }>();
      const documented = Object.entries(docs.paths).flatMap(([path, ops]) =>
        Object.keys(ops).map((method) => `${method.toUpperCase()} ${path}`),
      );
      const covered = new Set(
        sweep.map((entry) => `${entry.method} ${entry.route.replace(/:(\w+)/g, '{$1}')}`),
      );
      const publicRoutes = [
        'GET /api/health',
        'POST /api/v1/auth/login',
        'POST /api/v1/auth/logout',
        'POST /api/v1/auth/set-password',
        'GET /email/unsubscribe',
        'POST /email/unsubscribe',
      ];
      const uncovered = documented.filter((op) => !covered.has(op) && !publicRoutes.includes(op));
      expect(uncovered).toEqual([]);
      expect(documented.length).toBeGreaterThanOrEqual(sweep.length + publicRoutes.length - 1);

      const send = (who: Who | 'ingest', entry: SweepEntry) =>
        w.as(who, {
          method: entry.method,
          url: entry.url,
          ...(entry.body !== undefined && { payload: entry.body }),
          ...(entry.csv !== undefined && { payload: entry.csv, headers: { 'content-type': 'text/csv' } }),
        });
      for (const entry of sweep) {
        const request = `${entry.method} ${entry.url}`;
        for (const who of entry.deny) {
          const response = await send(who, entry);
          expect({ who, request, status: response.statusCode, code: errorCode(response) }).toEqual({
            who,
            request,
            status: 403,
            code: 'FORBIDDEN',
          });
        }
        if (entry.allow) {
          const response = await send(entry.allow, entry);
          expect({ who: entry.allow, request, ok: response.statusCode < 300 }).toEqual({
            who: entry.allow,
            request,
            ok: true,
          });
        }
      }
      const anonymous = await w.app.inject({ method: 'GET', url: `${V1}/risk-cases` });
      expect(anonymous.statusCode).toBe(401);
    });
  });
});

interface SweepEntry {
  method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';
  route: string;
  url: string;
  body?: Record<string, unknown> | unknown[];
  csv?: string;
  /** Who must get 403. */
  deny: (Who | 'ingest')[];
  /** Someone who may, to show the request itself is fine. */
  allow?: Who;
}

function roleSweep(w: ApiWorld, ids: { contactId: number; adminTokenId: number }): SweepEntry[] {
  const { book } = w;
  const acme = book.accounts[0]?.id ?? 0; // csmA, team A
  const delta = book.accounts[3]?.id ?? 0; // csmB, team B
  const fjord = book.accounts[5]?.id ?? 0; // csmB, team B, no case
  const atRisk = book.cases.at_risk ?? 0; // on Acme
  const reads: [string, string][] = [
    ['/api/v1/auth/session', '/api/v1/auth/session'],
    ['/api/v1/auth/tokens', '/api/v1/auth/tokens'],
    ['/api/v1/teams', '/api/v1/teams'],
    ['/api/v1/users', '/api/v1/users'],
    ['/api/v1/users/:id', `/api/v1/users/${book.users.csmA.id}`],
    ['/api/v1/accounts', '/api/v1/accounts'],
    ['/api/v1/accounts/:id', `/api/v1/accounts/${acme}`],
    ['/api/v1/accounts/by-external-id/:externalId', '/api/v1/accounts/by-external-id/A-1'],
    ['/api/v1/accounts/:id/timeline', `/api/v1/accounts/${acme}/timeline`],
    ['/api/v1/accounts/:id/risk-cases', `/api/v1/accounts/${acme}/risk-cases`],
    ['/api/v1/accounts/:id/contacts', `/api/v1/accounts/${acme}/contacts`],
    ['/api/v1/risk-stages', '/api/v1/risk-stages'],
    ['/api/v1/risk-reasons', '/api/v1/risk-reasons'],
    ['/api/v1/settings', '/api/v1/settings'],
    ['/api/v1/risk-cases', '/api/v1/risk-cases'],
    ['/api/v1/risk-cases/matrix', '/api/v1/risk-cases/matrix'],
    ['/api/v1/risk-cases/export', '/api/v1/risk-cases/export?scope=all'],
    ['/api/v1/worklist-views', '/api/v1/worklist-views'],
    ['/api/v1/risk-cases/:id', `/api/v1/risk-cases/${atRisk}`],
    ['/api/v1/risk-cases/:id/updates', `/api/v1/risk-cases/${atRisk}/updates`],
    ['/api/v1/risk-cases/:id/audit', `/api/v1/risk-cases/${atRisk}/audit`],
    ['/api/v1/exports/:kind', '/api/v1/exports/accounts'],
    ['/api/v1/accounts/:id/signals', `/api/v1/accounts/${acme}/signals`],
    ['/api/v1/accounts/:id/rollups', `/api/v1/accounts/${acme}/rollups`],
    ['/api/v1/accounts/:id/health', `/api/v1/accounts/${acme}/health`],
    ['/api/v1/health/scorecard', '/api/v1/health/scorecard'],
    ['/api/v1/health/disagreements', '/api/v1/health/disagreements'],
    ['/api/v1/detection/rules', '/api/v1/detection/rules'],
    ['/api/v1/kpis', '/api/v1/kpis'],
    ['/api/v1/churn-analysis', '/api/v1/churn-analysis'],
    ['/api/v1/teams/:id/huddle', `/api/v1/teams/${book.teams.a}/huddle`],
    ['/api/v1/reports/monthly', `/api/v1/reports/monthly?teamId=${book.teams.a}&month=2026-03`],
    ['/api/v1/risk-trends', '/api/v1/risk-trends?from=2026-01-01'],
    [
      '/api/v1/risk-trends/drill-down',
      '/api/v1/risk-trends/drill-down?from=2026-03-01&period=2026-03&reason=budget',
    ],
    ['/api/v1/kpis/cards', '/api/v1/kpis/cards'],
    ['/api/v1/segments', '/api/v1/segments'],
    ['/api/v1/segments/:id', '/api/v1/segments/1'],
    ['/api/v1/segments/:id/members', '/api/v1/segments/1/members'],
    ['/api/v1/segments/:id/history', '/api/v1/segments/1/history'],
    ['/api/v1/accounts/:id/segment-history', `/api/v1/accounts/${acme}/segment-history`],
    ['/api/v1/plays', '/api/v1/plays'],
    ['/api/v1/plays/:ref', '/api/v1/plays/champion_loss'],
    ['/api/v1/plays/:ref/versions', '/api/v1/plays/champion_loss/versions'],
    ['/api/v1/plays/:ref/runs', '/api/v1/plays/champion_loss/runs'],
    ['/api/v1/plays/:ref/effectiveness', '/api/v1/plays/champion_loss/effectiveness'],
    ['/api/v1/tasks', '/api/v1/tasks'],
    ['/api/v1/events', '/api/v1/events?follow=false&after=0'],
    ['/api/v1/notifications', '/api/v1/notifications?unread=true'],
  ];
  const entries: SweepEntry[] = reads.map(([route, url]) => ({
    method: 'GET',
    route,
    url,
    deny: ['ingest'],
    allow: 'viewer',
  }));
  const caseUrl = `/api/v1/risk-cases/${atRisk}`;
  entries.push(
    // Tokens: your own only, unless you manage users.
    {
      method: 'POST',
      route: '/api/v1/auth/tokens',
      url: '/api/v1/auth/tokens',
      body: { name: 'x', userId: book.users.admin.id },
      deny: ['csmA', 'leadA', 'viewer', 'ingest'],
    },
    {
      method: 'DELETE',
      route: '/api/v1/auth/tokens/:id',
      url: `/api/v1/auth/tokens/${ids.adminTokenId}`,
      deny: ['csmA', 'leadA', 'viewer', 'ingest'],
    },
    // Users and teams: admins only.
    {
      method: 'POST',
      route: '/api/v1/teams',
      url: '/api/v1/teams',
      body: { name: 'Team C' },
      deny: ['leadA', 'csmA', 'viewer', 'ingest'],
      allow: 'admin',
    },
    {
      method: 'POST',
      route: '/api/v1/users',
      url: '/api/v1/users',
      body: { email: 'new@example.com', name: 'New', role: 'csm', password: 'long-enough-password' },
      deny: ['leadA', 'csmA', 'viewer', 'ingest'],
      allow: 'admin',
    },
    {
      method: 'PATCH',
      route: '/api/v1/users/:id',
      url: `/api/v1/users/${book.users.csmA.id}`,
      body: { name: 'Renamed' },
      deny: ['leadA', 'csmA', 'viewer', 'ingest'],
      allow: 'admin',
    },
    {
      method: 'POST',
      route: '/api/v1/users/:id/invitation',
      url: `/api/v1/users/${book.users.csmA.id}/invitation`,
      deny: ['leadA', 'csmA', 'viewer', 'ingest'],
    },
    {
      method: 'POST',
      route: '/api/v1/users/:id/password-reset',
      url: `/api/v1/users/${book.users.csmA2.id}/password-reset`,
      deny: ['leadA', 'csmA', 'viewer', 'ingest'],
      allow: 'admin',
    },
    // Accounts: leads in their team, admins anywhere.
    {
      method: 'POST',
      route: '/api/v1/accounts',
      url: '/api/v1/accounts',
      body: { externalId: 'S-1', name: 'Sweep', teamId: book.teams.b },
      deny: ['leadA', 'csmB', 'viewer', 'ingest'],
      allow: 'admin',
    },
    {
      method: 'PATCH',
      route: '/api/v1/accounts/:id',
      url: `/api/v1/accounts/${delta}`,
      body: { tier: 'Gold' },
      deny: ['leadA', 'csmB', 'viewer', 'ingest'],
      allow: 'admin',
    },
    {
      method: 'DELETE',
      route: '/api/v1/accounts/:id',
      url: `/api/v1/accounts/${fjord}`,
      deny: ['leadA', 'csmB', 'viewer', 'ingest'],
    },
    // Contacts: the owning CSM or the team lead.
    {
      method: 'POST',
      route: '/api/v1/accounts/:id/contacts',
      url: `/api/v1/accounts/${acme}/contacts`,
      body: { email: 'sweep@acme.example' },
      deny: ['csmB', 'csmA2', 'viewer', 'ingest'],
      allow: 'csmA',
    },
    {
      method: 'PATCH',
      route: '/api/v1/contacts/:id',
      url: `/api/v1/contacts/${ids.contactId}`,
      body: { role: 'CFO' },
      deny: ['csmB', 'viewer', 'ingest'],
      allow: 'leadA',
    },
    {
      method: 'DELETE',
      route: '/api/v1/contacts/:id',
      url: `/api/v1/contacts/${ids.contactId}`,
      deny: ['csmB', 'viewer', 'ingest'],
    },
    // Configuration: admins only.
    {
      method: 'POST',
      route: '/api/v1/risk-stages',
      url: '/api/v1/risk-stages',
      body: { key: 'escalated', name: 'Escalated' },
      deny: ['leadA', 'csmA', 'viewer', 'ingest'],
      allow: 'admin',
    },
    {
      method: 'PUT',
      route: '/api/v1/risk-stages/order',
      url: '/api/v1/risk-stages/order',
      body: { keys: ['plan_in_place', 'at_risk', 'saving', 'escalated', 'closed_recovered', 'closed_lost'] },
      deny: ['leadA', 'csmA', 'viewer', 'ingest'],
      allow: 'admin',
    },
    {
      method: 'PATCH',
      route: '/api/v1/risk-stages/:key',
      url: '/api/v1/risk-stages/saving',
      body: { name: 'Save in progress' },
      deny: ['leadA', 'csmA', 'viewer', 'ingest'],
      allow: 'admin',
    },
    {
      method: 'POST',
      route: '/api/v1/risk-reasons',
      url: '/api/v1/risk-reasons',
      body: { key: 'pricing', name: 'Pricing' },
      deny: ['leadA', 'csmA', 'viewer', 'ingest'],
      allow: 'admin',
    },
    {
      method: 'PATCH',
      route: '/api/v1/risk-reasons/:key',
      url: '/api/v1/risk-reasons/pricing',
      body: { name: 'Price' },
      deny: ['leadA', 'csmA', 'viewer', 'ingest'],
      allow: 'admin',
    },
    {
      method: 'PATCH',
      route: '/api/v1/settings',
      url: '/api/v1/settings',
      body: { updateOverdueDays: 10 },
      deny: ['leadA', 'csmA', 'viewer', 'ingest'],
      allow: 'admin',
    },
    // Risk cases: the owning CSM or the team lead.
    {
      method: 'POST',
      route: '/api/v1/risk-cases',
      url: '/api/v1/risk-cases',
      body: { accountId: fjord, reasons: ['support_issues'] },
      deny: ['csmA', 'leadA', 'viewer', 'ingest'],
      allow: 'csmB',
    },
    {
      method: 'PATCH',
      route: '/api/v1/risk-cases/:id',
      url: caseUrl,
      body: { expected: false },
      deny: ['csmB', 'csmA2', 'viewer', 'ingest'],
      allow: 'csmA',
    },
    {
      method: 'POST',
      route: '/api/v1/risk-cases/:id/stage',
      url: `${caseUrl}/stage`,
      body: { stage: 'plan_in_place' },
      deny: ['csmB', 'viewer', 'ingest'],
      allow: 'leadA',
    },
    {
      method: 'PUT',
      route: '/api/v1/risk-cases/:id/reasons',
      url: `${caseUrl}/reasons`,
      body: { reasons: ['poor_engagement'] },
      deny: ['csmB', 'viewer', 'ingest'],
      allow: 'csmA',
    },
    // Bulk case actions: per row the service decides; viewers never get in. A stale version is refused row by row.
    {
      method: 'POST',
      route: '/api/v1/risk-cases/bulk',
      url: '/api/v1/risk-cases/bulk',
      body: { action: 'add_reason', reason: 'poor_engagement', cases: [{ id: atRisk, version: 999 }] },
      deny: ['viewer', 'ingest'],
      allow: 'csmA',
    },
    // Saved worklist views: any signed-in user, on their own views.
    {
      method: 'POST',
      route: '/api/v1/worklist-views',
      url: '/api/v1/worklist-views',
      body: { name: 'Sweep view', scope: 'all' },
      deny: ['ingest'],
      allow: 'viewer',
    },
    {
      method: 'PATCH',
      route: '/api/v1/worklist-views/:id',
      url: '/api/v1/worklist-views/1',
      body: { name: 'Renamed view' },
      deny: ['ingest'],
    },
    {
      method: 'DELETE',
      route: '/api/v1/worklist-views/:id',
      url: '/api/v1/worklist-views/1',
      deny: ['ingest'],
    },
    {
      method: 'POST',
      route: '/api/v1/risk-cases/:id/updates',
      url: `${caseUrl}/updates`,
      body: { background: 'b', doneSoFar: 'd', nextSteps: 'n' },
      deny: ['csmB', 'viewer', 'ingest'],
      allow: 'csmA',
    },
    // Health: sentiment like case work; the scorecard and re-scoring are configuration.
    {
      method: 'POST',
      route: '/api/v1/accounts/:id/sentiment',
      url: `/api/v1/accounts/${acme}/sentiment`,
      body: { sentiment: 'yellow', note: 'Quiet month' },
      deny: ['csmB', 'viewer', 'ingest'],
      allow: 'csmA',
    },
    // Touchpoints: whoever works the account's case.
    {
      method: 'POST',
      route: '/api/v1/accounts/:id/touchpoints',
      url: `/api/v1/accounts/${acme}/touchpoints`,
      body: { channel: 'call', reason: 'Risk', note: 'Went through the renewal' },
      deny: ['csmB', 'csmA2', 'viewer', 'ingest'],
      allow: 'csmA',
    },
    {
      method: 'PUT',
      route: '/api/v1/health/scorecard',
      url: '/api/v1/health/scorecard',
      body: DEFAULT_SCORECARD,
      deny: ['leadA', 'csmA', 'viewer', 'ingest'],
      allow: 'admin',
    },
    {
      method: 'POST',
      route: '/api/v1/health/rescore',
      url: '/api/v1/health/rescore',
      deny: ['leadA', 'csmA', 'viewer', 'ingest'],
      allow: 'admin',
    },
    {
      method: 'PUT',
      route: '/api/v1/detection/rules',
      url: '/api/v1/detection/rules',
      body: { items: DEFAULT_RULES },
      deny: ['leadA', 'csmA', 'viewer', 'ingest'],
      allow: 'admin',
    },
    {
      method: 'POST',
      route: '/api/v1/detection/run',
      url: '/api/v1/detection/run',
      deny: ['leadA', 'csmA', 'viewer', 'ingest'],
      allow: 'admin',
    },
    {
      method: 'POST',
      route: '/api/v1/detection/backtest',
      url: '/api/v1/detection/backtest',
      body: { from: '2026-01-01', to: '2026-03-01' },
      deny: ['leadA', 'csmA', 'viewer', 'ingest'],
      allow: 'admin',
    },
    {
      method: 'GET',
      route: '/api/v1/config/export',
      url: '/api/v1/config/export',
      deny: ['leadA', 'csmA', 'viewer', 'ingest'],
      allow: 'admin',
    },
    {
      method: 'PUT',
      route: '/api/v1/config/import',
      url: '/api/v1/config/import',
      body: { format: 'retain-config' },
      deny: ['leadA', 'csmA', 'viewer', 'ingest'],
    },
    // Data: admins and ingest tokens.
    ...['track', 't', 'identify', 'i', 'group', 'g', 'page', 'p', 'screen', 's', 'alias', 'a'].map(
      (type): SweepEntry => ({
        method: 'POST',
        route: `/api/v1/segment/v1/${type}`,
        url: `/api/v1/segment/v1/${type}`,
        body: { groupId: 'A-1', userId: 'sweeper', previousId: 'swept', event: 'Swept', traits: {} },
        deny: ['leadA', 'csmA', 'viewer'],
      }),
    ),
    ...['batch', 'import', 'b'].map((path): SweepEntry => ({
      method: 'POST',
      route: `/api/v1/segment/v1/${path}`,
      url: `/api/v1/segment/v1/${path}`,
      body: { batch: [{ type: 'group', groupId: 'A-1', traits: {} }] },
      deny: ['leadA', 'csmA', 'viewer'],
      allow: 'admin',
    })),
    {
      method: 'GET',
      route: '/api/v1/email/suppressions',
      url: '/api/v1/email/suppressions',
      deny: ['ingest'],
      allow: 'viewer',
    },
    {
      method: 'GET',
      route: '/api/v1/segment/rejections',
      url: '/api/v1/segment/rejections',
      deny: ['leadA', 'csmA', 'viewer', 'ingest'],
      allow: 'admin',
    },
    {
      method: 'POST',
      route: '/api/v1/signals',
      url: '/api/v1/signals',
      body: {
        signals: [{ kind: 'nps', account: 'A-1', occurredAt: '2026-03-01T10:00:00Z', data: { score: 4 } }],
      },
      deny: ['leadA', 'csmA', 'viewer'],
      allow: 'admin',
    },
    {
      method: 'POST',
      route: '/api/v1/imports/signals',
      url: '/api/v1/imports/signals',
      csv: 'account,kind,occurred_at,score\nA-1,nps,2026-03-01,6\n',
      deny: ['leadA', 'csmA', 'viewer'],
      allow: 'admin',
    },
    {
      method: 'POST',
      route: '/api/v1/imports/accounts',
      url: '/api/v1/imports/accounts',
      csv: 'id,name\nI-1,Imported\n',
      deny: ['leadA', 'csmA', 'viewer'],
      allow: 'admin',
    },
    {
      method: 'POST',
      route: '/api/v1/imports/contacts',
      url: '/api/v1/imports/contacts',
      csv: 'account id,email\nA-1,i@acme.example\n',
      deny: ['leadA', 'csmA', 'viewer'],
      allow: 'admin',
    },
    // Saved import mappings are configuration: admins only (an ingest key uses one, see import-mappings.test.ts).
    {
      method: 'PUT',
      route: '/api/v1/import-mappings/:kind/:name',
      url: '/api/v1/import-mappings/accounts/Sweep',
      body: { columns: { Acct: 'externalId' } },
      deny: ['leadA', 'csmA', 'viewer', 'ingest'],
      allow: 'admin',
    },
    {
      method: 'GET',
      route: '/api/v1/import-mappings',
      url: '/api/v1/import-mappings',
      deny: ['leadA', 'csmA', 'viewer', 'ingest'],
      allow: 'admin',
    },
    {
      method: 'GET',
      route: '/api/v1/import-mappings/:kind/:name',
      url: '/api/v1/import-mappings/accounts/Sweep',
      deny: ['leadA', 'csmA', 'viewer', 'ingest'],
      allow: 'admin',
    },
    {
      method: 'DELETE',
      route: '/api/v1/import-mappings/:kind/:name',
      url: '/api/v1/import-mappings/accounts/Sweep',
      deny: ['leadA', 'csmA', 'viewer', 'ingest'],
      allow: 'admin',
    },
    // Huddles: a team's lead (or an admin) records that it was held.
    {
      method: 'POST',
      route: '/api/v1/teams/:id/huddles',
      url: `/api/v1/teams/${book.teams.a}/huddles`,
      deny: ['csmA', 'viewer', 'ingest'],
      allow: 'leadA',
    },
    // Erasing an account: admins.
    {
      method: 'POST',
      route: '/api/v1/accounts/:id/erase',
      url: `/api/v1/accounts/${fjord}/erase`,
      body: { reason: 'privacy request' },
      deny: ['leadA', 'csmA', 'viewer', 'ingest'],
    },
    // KPI cards and snapshots: admins.
    {
      method: 'PUT',
      route: '/api/v1/kpis/cards',
      url: '/api/v1/kpis/cards',
      body: [],
      deny: ['leadA', 'csmA', 'viewer', 'ingest'],
      allow: 'admin',
    },
    {
      method: 'POST',
      route: '/api/v1/kpis/snapshot',
      url: '/api/v1/kpis/snapshot',
      deny: ['leadA', 'csmA', 'viewer', 'ingest'],
      allow: 'admin',
    },
    {
      method: 'POST',
      route: '/api/v1/kpis/backfill',
      url: '/api/v1/kpis/backfill',
      deny: ['leadA', 'csmA', 'viewer', 'ingest'],
      allow: 'admin',
    },
    // Segments: anyone previews; leads and admins save, change, refresh and delete.
    {
      method: 'POST',
      route: '/api/v1/segments/preview',
      url: '/api/v1/segments/preview',
      body: { filter: 'arr > 10000' },
      deny: ['ingest'],
      allow: 'viewer',
    },
    {
      method: 'POST',
      route: '/api/v1/segments',
      url: '/api/v1/segments',
      body: { name: 'Big ones', filter: 'arr > 10000' },
      deny: ['csmA', 'viewer', 'ingest'],
      allow: 'leadA',
    },
    {
      method: 'PATCH',
      route: '/api/v1/segments/:id',
      url: '/api/v1/segments/1',
      body: { name: 'Renamed', version: 1 },
      deny: ['csmA', 'viewer', 'ingest'],
      allow: 'leadA',
    },
    {
      method: 'POST',
      route: '/api/v1/segments/refresh',
      url: '/api/v1/segments/refresh',
      deny: ['csmA', 'viewer', 'ingest'],
      allow: 'leadA',
    },
    {
      method: 'POST',
      route: '/api/v1/segments/:id/refresh',
      url: '/api/v1/segments/1/refresh',
      deny: ['csmA', 'viewer', 'ingest'],
      allow: 'leadA',
    },
    {
      method: 'DELETE',
      route: '/api/v1/segments/:id',
      url: '/api/v1/segments/2',
      deny: ['csmA', 'viewer', 'ingest'],
      allow: 'admin',
    },
    // Playbooks: admins configure plays and handle the outbox; anyone reads and previews; tasks are
    // completed by their assignee, a lead of the team or an admin.
    {
      method: 'POST',
      route: '/api/v1/plays',
      url: '/api/v1/plays',
      body: {
        name: 'New play',
        definition: { trigger: { kind: 'case_opened' }, steps: [{ kind: 'wait', days: 1 }] },
      },
      deny: ['leadA', 'csmA', 'viewer', 'ingest'],
      allow: 'admin',
    },
    {
      method: 'PATCH',
      route: '/api/v1/plays/:ref',
      url: '/api/v1/plays/champion_loss',
      body: { name: 'Champion loss', version: 1 },
      deny: ['leadA', 'csmA', 'viewer', 'ingest'],
      allow: 'admin',
    },
    {
      method: 'POST',
      route: '/api/v1/plays/:ref/dry-run',
      url: '/api/v1/plays/champion_loss/dry-run',
      body: {},
      deny: ['ingest'],
      allow: 'viewer',
    },
    { method: 'GET', route: '/api/v1/play-runs/:id', url: '/api/v1/play-runs/1', deny: ['ingest'] },
    { method: 'GET', route: '/api/v1/tasks/:id', url: '/api/v1/tasks/1', deny: ['ingest'] },
    {
      method: 'POST',
      route: '/api/v1/tasks/:id/complete',
      url: '/api/v1/tasks/1/complete',
      body: {},
      deny: ['viewer', 'ingest'],
    },
    {
      method: 'POST',
      route: '/api/v1/tasks',
      url: '/api/v1/tasks',
      body: { accountId: delta, assigneeId: book.users.csmB.id, title: 'Call the sponsor' },
      deny: ['leadA', 'csmA', 'viewer', 'ingest'],
      allow: 'csmB',
    },
    // Notifications: anyone signed in, on their own inbox only.
    {
      method: 'POST',
      route: '/api/v1/notifications/read-all',
      url: '/api/v1/notifications/read-all',
      deny: ['ingest'],
      allow: 'viewer',
    },
    {
      method: 'POST',
      route: '/api/v1/notifications/:id/read',
      url: '/api/v1/notifications/1/read',
      deny: ['ingest'],
    },
    {
      method: 'GET',
      route: '/api/v1/outbox',
      url: '/api/v1/outbox?status=unconfirmed',
      deny: ['leadA', 'csmA', 'viewer', 'ingest'],
      allow: 'admin',
    },
    {
      method: 'POST',
      route: '/api/v1/outbox/:id/retry',
      url: '/api/v1/outbox/1/retry',
      deny: ['leadA', 'csmA', 'viewer', 'ingest'],
    },
    // Churn models: anyone may backtest, only admins fit (and apply) a scorecard.
    {
      method: 'POST',
      route: '/api/v1/health/backtest',
      url: '/api/v1/health/backtest?label=churned',
      csv: tinyChurnCsv(),
      deny: ['ingest'],
    },
    {
      method: 'POST',
      route: '/api/v1/health/history/backtest',
      url: '/api/v1/health/history/backtest',
      body: { asOf: '2026-01-01', horizonDays: 30 },
      deny: ['ingest'],
    },
    {
      method: 'POST',
      route: '/api/v1/health/history/fit',
      url: '/api/v1/health/history/fit',
      body: { asOf: '2026-01-01', horizonDays: 30 },
      deny: ['leadA', 'csmA', 'viewer', 'ingest'],
    },
    {
      method: 'POST',
      route: '/api/v1/health/fit',
      url: '/api/v1/health/fit?label=churned&testShare=0',
      csv: tinyChurnCsv(),
      deny: ['leadA', 'csmA', 'viewer', 'ingest'],
      allow: 'admin',
    },
    // A candidate scorecard's band changes are previewed by those who may apply it.
    {
      method: 'POST',
      route: '/api/v1/health/scorecard/preview',
      url: '/api/v1/health/scorecard/preview',
      body: { scorecard: DEFAULT_SCORECARD },
      deny: ['leadA', 'csmA', 'viewer', 'ingest'],
      allow: 'admin',
    },
  );
  return entries;
}

/** 80 accounts whose churn follows their seat count: enough for a fit to run. */
function tinyChurnCsv(): string {
  const rows = Array.from({ length: 80 }, (_, i) => `${i % 40},${i % 40 < 15 ? 1 : 0}`);
  return `seats,churned\n${rows.join('\n')}\n`;
}

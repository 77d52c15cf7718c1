// Live updates: a change made through one API server reaches every client following /api/v1/events,
// on this server and on a second server over the same store (on PostgreSQL through LISTEN/NOTIFY).
import { afterEach, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../src/api/app';
import { createServices } from '../../src/services';
import { AuditRepository } from '../../src/store/audit.repository';
import { openStore, type Store } from '../../src/store/db';
import { PASSWORD } from '../helpers/book';
import { forEachStore } from '../helpers/stores';
import { apiWorld } from './helpers';

interface Change {
  id: number;
  entityType: string;
  entityId: string;
  accountId: number | null;
  action: string;
  actor: string;
}

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** Follows the event stream of a listening server; `next` resolves with the first matching change. */
async function follow(base: string, token: string, headers: Record<string, string> = {}) {
  const controller = new AbortController();
  const response = await fetch(`${base}/api/v1/events`, {
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers },
    signal: controller.signal,
  });
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toContain('text/event-stream');
  const seen: Change[] = [];
  const waiters: { match: (change: Change) => boolean; resolve: (change: Change) => void }[] = [];
  const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  const ended = (async () => {
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return 'ended' as const;
        buffer += value;
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const frame = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const data = frame.split('\n').find((line) => line.startsWith('data: '));
          if (!data) continue;
          const change = JSON.parse(data.slice(6)) as Change;
          seen.push(change);
          for (const waiter of waiters.splice(0)) {
            if (waiter.match(change)) waiter.resolve(change);
            else waiters.push(waiter);
          }
        }
      }
    } catch {
      return 'aborted' as const;
    }
  })();
  cleanups.push(() => Promise.resolve(controller.abort()));
  return {
    seen,
    /** Resolves when the server ends the stream. */
    ended,
    next: (match: (change: Change) => boolean) =>
      new Promise<Change>((resolve, reject) => {
        const found = seen.find(match);
        if (found) return resolve(found);
        const timer = setTimeout(
          () => reject(new Error(`no matching change; saw ${JSON.stringify(seen)}`)),
          10_000,
        );
        waiters.push({
          match,
          resolve: (change) => {
            clearTimeout(timer);
            resolve(change);
          },
        });
      }),
  };
}

async function listen(app: FastifyInstance): Promise<string> {
  const address = await app.listen({ port: 0, host: '127.0.0.1' });
  cleanups.push(() => app.close());
  return address;
}

forEachStore('change feed', (current) => {
  it('pushes a case change to every follower, on this server and on a second server over the same store', async () => {
    const w = await apiWorld(current(), { cases: true });
    const base = await listen(w.app);
    // A second API process: its own connection pool (and on PostgreSQL its own LISTEN connection).
    const second: Store = await openStore(current().target);
    cleanups.push(() => second.close());
    const otherBase = await listen(await buildApp(createServices(second, current().clock)));

    const here = await follow(base, w.tokens.csmA);
    const there = await follow(otherBase, w.tokens.leadA);
    const caseId = w.book.cases.at_risk!;
    const account = w.book.accounts[0]!;
    const moved = await w.as('csmA', {
      method: 'POST',
      url: `/api/v1/risk-cases/${caseId}/stage`,
      payload: { stage: 'plan_in_place' },
    });
    expect(moved.statusCode).toBe(200);
    const isMove = (change: Change) =>
      change.entityType === 'risk_case' &&
      change.entityId === String(caseId) &&
      change.action === 'stage_changed';
    const [a, b] = await Promise.all([here.next(isMove), there.next(isMove)]);
    expect(a).toMatchObject({ accountId: account.id, actor: 'token:csmA token' });
    expect(b.id).toBe(a.id);

    // A weekly update shows up too.
    const written = await w.as('csmA', {
      method: 'POST',
      url: `/api/v1/risk-cases/${caseId}/updates`,
      payload: { background: 'b', doneSoFar: 'd', nextSteps: 'n' },
    });
    expect(written.statusCode).toBe(201);
    await here.next((change) => change.action === 'weekly_update' && change.entityId === String(caseId));
    // The stream says what changed, never the values (a viewer follows it too).
    expect(JSON.stringify(here.seen)).not.toContain('"changes"');

    // A client that reconnects with Last-Event-ID gets what it missed, and only that.
    const replay = await follow(base, w.tokens.viewer, { 'last-event-id': String(a.id - 1) });
    const first = await replay.next(() => true);
    expect(first.id).toBe(a.id);
  });

  it('sends the backlog and ends with follow=false, and turns away callers without a login', async () => {
    const w = await apiWorld(current(), { cases: true });
    const before = await w.as('admin', { method: 'GET', url: '/api/v1/events?follow=false&after=0' });
    expect(before.statusCode).toBe(200);
    const ids = [...before.body.matchAll(/^id: (\d+)$/gm)].map((match) => Number(match[1]));
    expect(ids.length).toBeGreaterThan(0);
    expect(ids).toEqual([...ids].sort((x, y) => x - y));
    const last = ids.at(-1)!;
    await w.as('csmA', {
      method: 'PUT',
      url: `/api/v1/risk-cases/${w.book.cases.at_risk}/reasons`,
      payload: { reasons: ['product_adoption', 'support_issues'] },
    });
    const after = await w.as('admin', { method: 'GET', url: `/api/v1/events?follow=false&after=${last}` });
    expect(after.body).toContain('"action":"reasons_changed"');
    expect(after.body).not.toContain(`id: ${last}\n`);
    const anonymous = await w.app.inject({ method: 'GET', url: '/api/v1/events?follow=false' });
    expect(anonymous.statusCode).toBe(401);
    expect(anonymous.json()).toMatchObject({ error: { code: 'UNAUTHENTICATED' } });
  });

  it('tells only admins of sign-ins, users and API tokens', async () => {
    const w = await apiWorld(current(), { cases: true });
    cleanups.push(() => w.app.close());
    // A failed login from an address, a login, a new user and a reset.
    await w.login('csm.a@example.com', 'not-the-password');
    await w.login('lead.a@example.com');
    await w.as('admin', {
      method: 'POST',
      url: '/api/v1/users',
      payload: { email: 'nora@example.com', name: 'Nora North', role: 'viewer' },
    });
    await w.as('admin', { method: 'POST', url: `/api/v1/users/${w.book.users.viewer.id}/password-reset` });
    const kinds = async (who: 'admin' | 'leadA' | 'csmA' | 'viewer') => {
      const backlog = await w.as(who, { method: 'GET', url: '/api/v1/events?follow=false&after=0' });
      return new Set(
        [...backlog.body.matchAll(/^data: (.*)$/gm)].map(
          (match) => (JSON.parse(match[1] ?? '{}') as Change).entityType,
        ),
      );
    };
    const admin = await kinds('admin');
    expect(admin.has('user')).toBe(true);
    expect(admin.has('auth')).toBe(true);
    for (const who of ['leadA', 'csmA', 'viewer'] as const) {
      const seen = await kinds(who);
      expect(seen.has('risk_case')).toBe(true);
      expect([...seen].filter((kind) => ['auth', 'user', 'api_token'].includes(kind))).toEqual([]);
    }
  });

  it('stops telling an admin of sign-ins on an open stream once they are no longer an admin', async () => {
    const w = await apiWorld(current(), { cases: true });
    const base = await listen(w.app);
    const promote = (role: string) =>
      w.as('admin', { method: 'PATCH', url: `/api/v1/users/${w.book.users.leadA.id}`, payload: { role } });
    expect((await promote('admin')).statusCode).toBe(200);
    const stream = await follow(base, w.tokens.leadA);
    await w.login('csm.a@example.com', 'a-wrong-password');
    await stream.next((change) => change.entityType === 'auth');
    expect((await promote('lead')).statusCode).toBe(200);
    await w.login('csm.b@example.com', 'a-wrong-password');
    const moved = await w.as('admin', {
      method: 'POST',
      url: `/api/v1/risk-cases/${w.book.cases.at_risk}/stage`,
      payload: { stage: 'plan_in_place' },
    });
    expect(moved.statusCode).toBe(200);
    await stream.next((change) => change.action === 'stage_changed');
    expect(
      stream.seen.filter((change) => change.entityType === 'auth').map((change) => change.entityId),
    ).toEqual(['csm.a@example.com']);
  });

  it('reads past a long run of changes a caller may not see, and moves their Last-Event-ID on', async () => {
    const t = current();
    const w = await apiWorld(t, { cases: true });
    cleanups.push(() => w.app.close());
    const before = await w.as('leadA', { method: 'GET', url: '/api/v1/events?follow=false&after=0' });
    const last = Math.max(...[...before.body.matchAll(/^id: (\d+)$/gm)].map((match) => Number(match[1])));
    // 1,200 sign-in failures in a row (by many addresses), then one change a lead may see.
    await new AuditRepository(t.store.db).append(
      { userId: null, role: 'viewer', teamId: null, label: '203.0.113.9' },
      t.clock.now(),
      Array.from({ length: 1200 }, (_, index) => ({
        entityType: 'auth',
        entityId: `guess${index}@example.com`,
        accountId: null,
        action: 'login_failed',
        changes: {},
      })),
    );
    const hiddenOnly = await w.as('leadA', {
      method: 'GET',
      url: `/api/v1/events?follow=false&after=${last}`,
    });
    expect(hiddenOnly.body).not.toContain('event: change');
    const movedOn = Math.max(
      ...[...hiddenOnly.body.matchAll(/^id: (\d+)$/gm)].map((match) => Number(match[1])),
    );
    expect(movedOn).toBeGreaterThanOrEqual(last + 1200);
    await w.as('leadA', {
      method: 'POST',
      url: `/api/v1/risk-cases/${w.book.cases.at_risk}/stage`,
      payload: { stage: 'plan_in_place' },
    });
    const after = await w.as('leadA', { method: 'GET', url: `/api/v1/events?follow=false&after=${last}` });
    expect(after.body).toContain('"action":"stage_changed"');
    expect(after.body).not.toContain('login_failed');
  });

  it('ends the stream of a revoked token, a logged-out session and a deactivated user, and sends them nothing after', async () => {
    const w = await apiWorld(current(), { cases: true });
    const base = await listen(w.app);
    const tokens = await w.as('csmA', { method: 'GET', url: '/api/v1/auth/tokens' });
    const own = tokens
      .json<{ items: { id: number; name: string }[] }>()
      .items.find((token) => token.name === 'csmA token')!;
    const revoked = await follow(base, w.tokens.csmA);
    const deactivated = await follow(base, w.tokens.viewer);
    const login = await fetch(`${base}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: w.book.users.leadA.email, password: PASSWORD }),
    });
    expect(login.status).toBe(200);
    const cookie = login.headers
      .getSetCookie()
      .map((line) => line.split(';')[0])
      .join('; ');
    const { csrfToken } = (await login.json()) as { csrfToken: string };
    const loggedOut = await follow(base, '', { cookie });
    const stillIn = await follow(base, w.tokens.leadA);

    expect((await w.as('csmA', { method: 'DELETE', url: `/api/v1/auth/tokens/${own.id}` })).statusCode).toBe(
      204,
    );
    const off = await w.as('admin', {
      method: 'PATCH',
      url: `/api/v1/users/${w.book.users.viewer.id}`,
      payload: { active: false },
    });
    expect(off.statusCode).toBe(200);
    const logout = await fetch(`${base}/api/v1/auth/logout`, {
      method: 'POST',
      headers: { cookie, 'x-csrf-token': csrfToken },
    });
    expect(logout.status).toBe(200);

    const moved = await w.as('leadA', {
      method: 'POST',
      url: `/api/v1/risk-cases/${w.book.cases.at_risk}/stage`,
      payload: { stage: 'plan_in_place' },
    });
    expect(moved.statusCode).toBe(200);
    const isMove = (change: Change) => change.action === 'stage_changed';
    await stillIn.next(isMove);
    for (const gone of [revoked, deactivated, loggedOut]) {
      const outcome = await Promise.race([
        gone.ended,
        new Promise<string>((resolve) => setTimeout(() => resolve('still open'), 10_000)),
      ]);
      expect(outcome).toBe('ended');
      expect(gone.seen.filter(isMove)).toEqual([]);
    }
  });
});

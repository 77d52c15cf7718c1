// Login throttling: atomic in the store, per client address and per (account, address), and never
// a way for a stranger to lock a user out.
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/api/app';
import { SYSTEM_ACTOR } from '../../src/domain/policy';
import { createServices } from '../../src/services';
import { AuditRepository } from '../../src/store/audit.repository';
import { openStore, type Store } from '../../src/store/db';
import { errorCode, apiWorld } from '../api/helpers';
import { PASSWORD } from '../helpers/book';
import { forEachStore, type TestStore } from '../helpers/stores';

const LOGIN = '/api/v1/auth/login';
const USER = 'csm.a@example.com';
const WRONG = 'not-the-password';
const STRANGER = '203.0.113.7';
const HOME = '198.51.100.20';

/** The nth address of 192.0.2.0/24 and 100.64.0.0/10, for attacks from many addresses. */
const address = (n: number) => `100.64.${Math.floor(n / 250)}.${(n % 250) + 1}`;

interface Attempt {
  from: string;
  email: string;
  password?: string;
  cookie?: string;
}

function login(app: FastifyInstance, attempt: Attempt): Promise<LightMyRequestResponse> {
  return app.inject({
    method: 'POST',
    url: LOGIN,
    remoteAddress: attempt.from,
    headers: attempt.cookie ? { cookie: attempt.cookie } : {},
    payload: { email: attempt.email, password: attempt.password ?? PASSWORD },
  });
}

/** The `name=value` pairs of the cookies a response sets, as a request's cookie header. */
function cookiesOf(response: LightMyRequestResponse): string {
  return response.cookies.map((cookie) => `${cookie.name}=${cookie.value}`).join('; ');
}

async function auditCount(t: TestStore, email: string, action: string): Promise<number> {
  const history = await new AuditRepository(t.store.db).historyOfEntity('auth', email);
  return history.filter((entry) => entry.action === action).length;
}

const statuses = (responses: readonly LightMyRequestResponse[]) => {
  const counts: Record<number, number> = {};
  for (const response of responses) counts[response.statusCode] = (counts[response.statusCode] ?? 0) + 1;
  return counts;
};

describe('login throttling', () => {
  const closing: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const close of closing.splice(0).reverse()) await close();
  });
  const world = async (t: TestStore) => {
    const w = await apiWorld(t, { cases: false });
    closing.push(() => w.app.close());
    return w;
  };
  /** A second API process on the same store. */
  const secondServer = async (t: TestStore): Promise<FastifyInstance> => {
    const store: Store = await openStore(t.target);
    const app = await buildApp(createServices(store, t.clock));
    closing.push(async () => {
      await app.close();
      await store.close();
    });
    return app;
  };

  forEachStore('login throttling', (current) => {
    it('checks at most 5 of 40 parallel wrong passwords for one e-mail from one address, on two servers', async () => {
      const t = current();
      const w = await world(t);
      const other = await secondServer(t);
      const responses = await Promise.all(
        Array.from({ length: 40 }, (_, i) =>
          login(i % 2 === 0 ? w.app : other, { from: STRANGER, email: USER, password: `${WRONG}-${i}` }),
        ),
      );
      const checked = await auditCount(t, USER, 'login_failed');
      expect(checked, `${checked} passwords checked`).toBe(5);
      expect(statuses(responses)).toEqual({ 401: checked, 429: 40 - checked });
      const refused = responses.find((response) => response.statusCode === 429);
      expect(refused && errorCode(refused)).toBe('LOGIN_THROTTLED');
      expect(Number(refused?.headers['retry-after'])).toBeGreaterThan(0);
      // The right password from that address waits too: the pair is throttled, not the guess.
      expect((await login(w.app, { from: STRANGER, email: USER })).statusCode).toBe(429);
    });

    it('checks at most 10 of 40 parallel wrong passwords for one e-mail from 40 addresses', async () => {
      const t = current();
      const w = await world(t);
      const responses = await Promise.all(
        Array.from({ length: 40 }, (_, i) =>
          login(w.app, { from: address(i), email: USER, password: WRONG }),
        ),
      );
      const checked = await auditCount(t, USER, 'login_failed');
      expect(checked, `${checked} passwords checked`).toBe(10);
      expect(statuses(responses)).toEqual({ 401: checked, 429: 40 - checked });
      // Across many addresses the account is only slowed down: a minute, never a long lock.
      const refused = responses.find((response) => response.statusCode === 429);
      expect(Number(refused?.headers['retry-after'])).toBeLessThanOrEqual(60);
    });

    it('throttles one address trying 30 different e-mails after 20 failures', async () => {
      const t = current();
      const w = await world(t);
      const responses: LightMyRequestResponse[] = [];
      for (let i = 0; i < 30; i += 1) {
        responses.push(
          await login(w.app, { from: STRANGER, email: `guess${i}@example.com`, password: WRONG }),
        );
        t.clock.advanceMs(60);
      }
      const codes = responses.map((response) => response.statusCode);
      expect(codes.filter((code) => code === 401).length, 'failures let through').toBe(20);
      expect(codes.slice(20)).toEqual(Array.from({ length: 10 }, () => 429));
      expect(errorCode(responses[29]!)).toBe('LOGIN_THROTTLED');
      expect(Number(responses[29]?.headers['retry-after'])).toBeGreaterThan(0);
      // In parallel the same: one address gets no more than its 20 failures checked.
      const parallel = await Promise.all(
        Array.from({ length: 30 }, (_, i) =>
          login(w.app, { from: '203.0.113.8', email: `spray${i}@example.com`, password: WRONG }),
        ),
      );
      expect(statuses(parallel)).toEqual({ 401: 20, 429: 10 });
      // Other addresses and the users themselves are unaffected.
      expect((await login(w.app, { from: HOME, email: USER })).statusCode).toBe(200);
      // The limit refills with the clock: one failure back every 45 seconds.
      expect(
        (await login(w.app, { from: STRANGER, email: 'late@example.com', password: WRONG })).statusCode,
      ).toBe(429);
      t.clock.advanceMinutes(1);
      expect(
        (await login(w.app, { from: STRANGER, email: 'late@example.com', password: WRONG })).statusCode,
      ).toBe(401);
    });

    it('counts an IPv6 client by its /64, so rotating addresses within it gains nothing', async () => {
      const t = current();
      const w = await world(t);
      // One host owns a whole /64: each guess comes from another address inside it.
      const inPrefix = (i: number) => `2001:db8:5:7:${(i + 1).toString(16)}::${(i * 7 + 3).toString(16)}`;
      const responses = await Promise.all(
        Array.from({ length: 30 }, (_, i) =>
          login(w.app, { from: inPrefix(i), email: `spray${i}@example.com`, password: WRONG }),
        ),
      );
      expect(statuses(responses)).toEqual({ 401: 20, 429: 10 });
      // A neighbour in another /64, and IPv4 clients, are counted on their own.
      expect(
        (await login(w.app, { from: '2001:db8:5:8::1', email: 'other@example.com', password: WRONG }))
          .statusCode,
      ).toBe(401);
      expect((await login(w.app, { from: HOME, email: USER })).statusCode).toBe(200);
    });

    it('caps attempts per address at 30 a minute, successes included', async () => {
      const t = current();
      const w = await world(t);
      const emails: string[] = [];
      for (let i = 0; i < 31; i += 1) {
        const email = `member${i}@example.com`;
        await t.services.users.create(SYSTEM_ACTOR, {
          email,
          name: `Member ${i}`,
          role: 'viewer',
          teamId: null,
          password: PASSWORD,
        });
        emails.push(email);
      }
      const codes: number[] = [];
      for (const email of emails) codes.push((await login(w.app, { from: '192.0.2.50', email })).statusCode);
      expect(codes.slice(0, 30)).toEqual(Array.from({ length: 30 }, () => 200));
      const last = await login(w.app, { from: '192.0.2.50', email: emails[30]! });
      expect(last.statusCode).toBe(429);
      expect(last.headers['retry-after']).toBe('2');
      t.clock.advanceMs(2_000);
      expect((await login(w.app, { from: '192.0.2.50', email: emails[30]! })).statusCode).toBe(200);
    });

    it('lets the user in from their own address while a stranger fails 100 times from another', async () => {
      const t = current();
      const w = await world(t);
      const hammering: number[] = [];
      for (let i = 0; i < 100; i += 1) {
        hammering.push((await login(w.app, { from: STRANGER, email: USER, password: WRONG })).statusCode);
        t.clock.advanceMs(500);
      }
      expect(hammering.filter((code) => code === 429).length).toBeGreaterThanOrEqual(90);
      const own = await login(w.app, { from: HOME, email: USER });
      expect(own.statusCode).toBe(200);
      expect(own.json()).toMatchObject({ user: { email: USER } });
    });

    it('lets the user in from an address or browser that logged in before while strangers fail from 100 addresses', async () => {
      const t = current();
      const w = await world(t);
      // The user logged in before: from home, and with a laptop that now sits on a new network.
      expect((await login(w.app, { from: HOME, email: USER })).statusCode).toBe(200);
      const laptop = await login(w.app, { from: '192.0.2.80', email: USER });
      expect(laptop.statusCode).toBe(200);
      const laptopCookies = cookiesOf(laptop);
      t.clock.advanceHours(2);
      const attack: number[] = [];
      for (let i = 0; i < 100; i += 1) {
        attack.push((await login(w.app, { from: address(i), email: USER, password: WRONG })).statusCode);
        t.clock.advanceMs(200);
      }
      expect(attack.filter((code) => code === 401).length, 'guesses checked').toBe(10);
      // A new address is slowed down with the strangers, for a minute at most...
      const fresh = await login(w.app, { from: '192.0.2.99', email: USER });
      expect(fresh.statusCode).toBe(429);
      expect(Number(fresh.headers['retry-after'])).toBeLessThanOrEqual(60);
      // ...but home, and the laptop's browser from yet another address, get in at once.
      expect((await login(w.app, { from: HOME, email: USER })).statusCode).toBe(200);
      const roaming = await login(w.app, { from: '192.0.2.81', email: USER, cookie: laptopCookies });
      expect(roaming.statusCode).toBe(200);
      // A wrong password from home is still just a failure, not a lock.
      expect((await login(w.app, { from: HOME, email: USER, password: WRONG })).statusCode).toBe(401);
    });

    it('frees throttled logins with the clock and never doubles the wait', async () => {
      const t = current();
      const w = await world(t);
      const fail = () => login(w.app, { from: STRANGER, email: USER, password: WRONG });
      for (let round = 0; round < 4; round += 1) {
        for (let i = 0; i < 5; i += 1) expect((await fail()).statusCode).toBe(401);
        const refused = await fail();
        expect(refused.statusCode).toBe(429);
        expect(Number(refused.headers['retry-after'])).toBeLessThanOrEqual(180);
        t.clock.advanceMinutes(15);
      }
      // One slot comes back every three minutes; a success from the address clears its count.
      for (let i = 0; i < 5; i += 1) await fail();
      expect((await login(w.app, { from: STRANGER, email: USER })).statusCode).toBe(429);
      t.clock.advanceMinutes(3);
      expect((await login(w.app, { from: STRANGER, email: USER })).statusCode).toBe(200);
      for (let i = 0; i < 5; i += 1) expect((await fail()).statusCode).toBe(401);
    });

    it('keeps the 20 newest addresses and browsers a user logged in from, for 30 days', async () => {
      const t = current();
      const w = await world(t);
      const known = async () => {
        const rows = await t.store.db
          .selectFrom('login_trusted_clients')
          .select(['kind', 'key'])
          .where('user_id', '=', w.book.users.csmA.id)
          .execute();
        return {
          address: rows.filter((row) => row.kind === 'address').map((row) => row.key),
          device: rows.filter((row) => row.kind === 'device').length,
        };
      };
      for (let i = 0; i < 25; i += 1) {
        expect((await login(w.app, { from: address(i), email: USER })).statusCode).toBe(200);
        t.clock.advanceMinutes(1);
      }
      const after = await known();
      expect(after.device).toBe(20);
      expect(after.address.sort()).toEqual(Array.from({ length: 20 }, (_, i) => address(i + 5)).sort());
      t.clock.advanceDays(31);
      expect((await login(w.app, { from: HOME, email: USER })).statusCode).toBe(200);
      expect(await known()).toEqual({ address: [HOME], device: 1 });
    });

    it('audits throttled attempts once per window, not once per attempt', async () => {
      const t = current();
      const w = await world(t);
      for (let i = 0; i < 200; i += 1) {
        await login(w.app, { from: STRANGER, email: USER, password: WRONG });
        t.clock.advanceMs(100);
      }
      expect(await auditCount(t, USER, 'login_failed')).toBe(5);
      const throttled = await auditCount(t, USER, 'login_throttled');
      // One for the (account, address) bucket, one for the address's attempts a minute.
      expect(throttled, `${throttled} login_throttled entries`).toBe(2);
    });
  });
});

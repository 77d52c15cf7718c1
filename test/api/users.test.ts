// User administration over HTTP: invitations and password resets by single-use links, changing
// roles and teams, deactivation, and the rule that an admin always remains.
import type { LightMyRequestResponse } from 'fastify';
import { afterEach, expect, it } from 'vitest';
import { buildApp } from '../../src/api/app';
import { withoutTokens } from '../../src/api/log-redaction';
import { SYSTEM_ACTOR } from '../../src/domain/policy';
import { createServices } from '../../src/services';
import { smtpMailer } from '../../src/services/messaging';
import { PASSWORD } from '../helpers/book';
import { forEachStore } from '../helpers/stores';
import { useSinks } from '../helpers/use-sinks';
import { apiWorld, errorCode, type ApiWorld, type Who } from './helpers';

const V1 = '/api/v1';
const NEW_PASSWORD = 'a-brand-new-password';

let open: ApiWorld | null = null;
afterEach(async () => {
  await open?.app.close();
  open = null;
});

/** The token of a set-password link. */
function tokenOf(url: string): string {
  const token = new URL(url).searchParams.get('token');
  if (!token) throw new Error(`no token in ${url}`);
  return token;
}

function invitationUrl(response: LightMyRequestResponse): string {
  const body = response.json<{ invitation?: { url?: string } | null }>();
  const url = body.invitation?.url;
  if (typeof url !== 'string') throw new Error(`no invitation link in ${response.body}`);
  return url;
}

async function invite(w: ApiWorld, email = 'nora@example.com', role = 'csm') {
  const created = await w.as('admin', {
    method: 'POST',
    url: `${V1}/users`,
    payload: { email, name: 'Nora <North>', role, teamId: w.book.teams.a },
  });
  expect(created.statusCode).toBe(201);
  return {
    id: created.json<{ id: number }>().id,
    url: invitationUrl(created),
    body: created.json<unknown>(),
  };
}

const setPassword = (w: ApiWorld, token: string, password = NEW_PASSWORD, remoteAddress = '198.51.100.7') =>
  w.app.inject({
    method: 'POST',
    url: `${V1}/auth/set-password`,
    payload: { token, password },
    remoteAddress,
  });

const refusal = (response: LightMyRequestResponse) => ({
  status: response.statusCode,
  code: errorCode(response),
  message: response.json<{ error?: { message?: string } }>().error?.message,
});

forEachStore('invitations', (current) => {
  it('an added user can log in by the link', async () => {
    const w = (open = await apiWorld(current()));
    const created = await w.as('admin', {
      method: 'POST',
      url: `${V1}/users`,
      payload: { email: 'nora@example.com', name: 'Nora North', role: 'csm', teamId: w.book.teams.a },
    });
    expect(created.statusCode).toBe(201);
    const url = invitationUrl(created);
    const set = await w.app.inject({
      method: 'POST',
      url: `${V1}/auth/set-password`,
      payload: { token: tokenOf(url), password: NEW_PASSWORD },
    });
    expect(set.statusCode).toBe(200);
    const login = await w.login('nora@example.com', NEW_PASSWORD);
    expect(login.response.statusCode).toBe(200);
    expect(errorCode(login.response)).toBeUndefined();
  });

  it('shows an invited user as invited until they choose a password, then active with their last login', async () => {
    const t = current();
    const w = (open = await apiWorld(t));
    const { id, url, body } = await invite(w);
    expect(body).toMatchObject({
      status: 'invited',
      lastLoginAt: null,
      invitation: { purpose: 'invitation', emailed: false, emailFailure: 'not_configured' },
    });
    // An invitation lasts a week from the (injected) clock.
    expect(body).toMatchObject({
      invitation: { expiresAt: new Date(t.clock.now().getTime() + 7 * 86_400_000).toISOString() },
    });
    expect(url).toMatch(/^http:\/\/localhost(:\d+)?\/set-password\?token=rp_[A-Za-z0-9_-]{40,}$/);
    // No password yet: nothing logs in.
    expect((await w.login('nora@example.com', NEW_PASSWORD)).response.statusCode).toBe(401);
    expect((await setPassword(w, tokenOf(url))).json()).toEqual({ email: 'nora@example.com' });
    await w.login('nora@example.com', NEW_PASSWORD);
    const listed = await w.as('admin', { method: 'GET', url: `${V1}/users/${id}` });
    expect(listed.json()).toMatchObject({ status: 'active', lastLoginAt: t.clock.now().toISOString() });
    // Colleagues see who Nora is, not when she logs in nor whether she has a password.
    for (const who of ['viewer', 'csmA', 'leadA'] as const) {
      const seen = await w.as(who, { method: 'GET', url: `${V1}/users` });
      const nora = seen.json<{ items: Record<string, unknown>[] }>().items.find((user) => user.id === id);
      expect(nora).toMatchObject({ name: 'Nora <North>', active: true });
      expect(nora).not.toHaveProperty('lastLoginAt');
      expect(nora).not.toHaveProperty('status');
      expect(nora).not.toHaveProperty('updatedAt');
    }
    // The token is not kept, nor written to the audit log.
    const dump =
      JSON.stringify(await t.store.db.selectFrom('audit_log').selectAll().execute()) +
      JSON.stringify(await t.store.db.selectFrom('password_links').selectAll().execute());
    expect(dump).not.toContain(tokenOf(url));
    expect(dump).not.toContain(NEW_PASSWORD);
  });

  it('refuses a used, expired or unknown link with the same code and words', async () => {
    const t = current();
    const w = (open = await apiWorld(t));
    const first = await invite(w, 'first@example.com');
    const second = await invite(w, 'second@example.com');
    expect((await setPassword(w, tokenOf(first.url))).statusCode).toBe(200);
    const reused = await setPassword(w, tokenOf(first.url), 'another-long-password');
    t.clock.advanceMs(7 * 86_400_000 + 1);
    const expired = await setPassword(w, tokenOf(second.url));
    const unknown = await setPassword(w, `rp_${'x'.repeat(43)}`);
    const expected = {
      status: 400,
      code: 'PASSWORD_LINK_INVALID',
      message: 'This link to set a password no longer works. Ask an admin of Retain to send a new one.',
    };
    expect([refusal(reused), refusal(expired), refusal(unknown)]).toEqual([expected, expected, expected]);
    // The reused link did not change the password.
    expect((await w.login('first@example.com', NEW_PASSWORD)).response.statusCode).toBe(200);
    expect((await w.login('first@example.com', 'another-long-password')).response.statusCode).toBe(401);
  });

  it('applies the password rules before using the link up, or an attempt', async () => {
    const w = (open = await apiWorld(current()));
    const { url } = await invite(w);
    const short = await setPassword(w, tokenOf(url), 'short');
    expect(refusal(short)).toMatchObject({ status: 400, code: 'VALIDATION_FAILED' });
    // Too short a password, however often, costs none of the attempts the address has.
    for (let attempt = 0; attempt < 12; attempt += 1)
      expect(errorCode(await setPassword(w, tokenOf(url), 'short'))).toBe('VALIDATION_FAILED');
    expect((await setPassword(w, tokenOf(url))).statusCode).toBe(200);
  });

  it('resends an invitation: the old link stops working, the new one works', async () => {
    const w = (open = await apiWorld(current()));
    const { id, url } = await invite(w);
    const resent = await w.as('admin', { method: 'POST', url: `${V1}/users/${id}/invitation` });
    expect(resent.statusCode).toBe(201);
    const next = resent.json<{ url: string }>().url;
    expect(next).not.toBe(url);
    expect(errorCode(await setPassword(w, tokenOf(url)))).toBe('PASSWORD_LINK_INVALID');
    expect((await setPassword(w, tokenOf(next))).statusCode).toBe(200);
    // Once a password is set, an invitation is the wrong tool.
    const again = await w.as('admin', { method: 'POST', url: `${V1}/users/${id}/invitation` });
    expect(refusal(again)).toMatchObject({ status: 409, code: 'USER_ALREADY_SET_UP' });
  });

  it('e-mails the invitation when SMTP is set up, escaped, and answers the link too', async () => {
    const t = current();
    const w = (open = await apiWorld(t));
    const sink = sinks.smtp();
    const mailing = createServices(t.store, t.clock, {
      mailer: smtpMailer(sink.url, 'Retain <retain@example.com>'),
      publicUrl: 'https://retain.example.com/',
    });
    const app = await buildApp(mailing, { webRoot: false });
    try {
      const created = await app.inject({
        method: 'POST',
        url: `${V1}/users`,
        headers: { authorization: `Bearer ${w.tokens.admin}` },
        payload: { email: 'nora@example.com', name: 'Nora <b>North</b>', role: 'viewer' },
      });
      expect(created.statusCode).toBe(201);
      const url = invitationUrl(created);
      expect(created.json()).toMatchObject({ invitation: { emailed: true, emailFailure: null } });
      expect(url.startsWith('https://retain.example.com/set-password?token=')).toBe(true);
      expect(sink.received).toHaveLength(1);
      const [mail] = sink.received;
      expect(mail?.to).toEqual(['nora@example.com']);
      expect(mail?.subject).toBe('You are invited to Retain');
      expect(mail?.text).toContain(url);
      expect(mail?.text).toContain('Nora <b>North</b>');
      expect(mail?.html).toContain('Nora &lt;b&gt;North&lt;/b&gt;');
      expect(mail?.html).not.toContain('<b>North');
      expect(mail?.html).toContain(`href="${url}"`);
    } finally {
      await app.close();
    }
  });

  it('never e-mails a link built from the Host header when RETAIN_PUBLIC_URL is not set', async () => {
    const t = current();
    const w = (open = await apiWorld(t));
    const sink = sinks.smtp();
    const mailing = createServices(t.store, t.clock, {
      mailer: smtpMailer(sink.url, 'Retain <retain@example.com>'),
      publicUrl: null,
    });
    const app = await buildApp(mailing, { webRoot: false });
    try {
      const created = await app.inject({
        method: 'POST',
        url: `${V1}/users`,
        headers: { authorization: `Bearer ${w.tokens.admin}`, host: 'attacker.example' },
        payload: { email: 'nora@example.com', name: 'Nora North', role: 'viewer' },
      });
      expect(created.statusCode).toBe(201);
      expect(created.json()).toMatchObject({ invitation: { emailed: false, emailFailure: 'no_public_url' } });
      expect(sink.received).toHaveLength(0);
    } finally {
      await app.close();
    }
  });
});

const sinks = useSinks();

forEachStore('password resets and deactivation', (current) => {
  it('a reset ends the sessions and the old password at once; its link sets a new password', async () => {
    const t = current();
    const w = (open = await apiWorld(t));
    const session = await w.login('csm.a@example.com');
    const check = () =>
      w.app.inject({ method: 'GET', url: `${V1}/auth/session`, headers: { cookie: session.cookie } });
    expect((await check()).statusCode).toBe(200);
    const reset = await w.as('admin', {
      method: 'POST',
      url: `${V1}/users/${w.book.users.csmA.id}/password-reset`,
    });
    expect(reset.statusCode).toBe(201);
    const sent = reset.json<{ url: string; purpose: string; expiresAt: string }>();
    expect(sent.purpose).toBe('reset');
    expect(sent.expiresAt).toBe(new Date(t.clock.now().getTime() + 86_400_000).toISOString());
    expect((await check()).statusCode).toBe(401);
    // Someone who knows the old password cannot use it while the reset is pending.
    expect((await w.login('csm.a@example.com')).response.statusCode).toBe(401);
    const status = async () =>
      (await t.services.users.listUsers()).find((user) => user.email === 'csm.a@example.com')?.status;
    expect(await status()).toBe('password_reset');
    expect((await setPassword(w, tokenOf(sent.url))).json()).toEqual({ email: 'csm.a@example.com' });
    expect(await status()).toBe('active');
    expect((await w.login('csm.a@example.com')).response.statusCode).toBe(401);
    expect((await w.login('csm.a@example.com', NEW_PASSWORD)).response.statusCode).toBe(200);
  });

  it('a reset link expires after a day', async () => {
    const t = current();
    const w = (open = await apiWorld(t));
    const reset = await w.as('admin', {
      method: 'POST',
      url: `${V1}/users/${w.book.users.viewer.id}/password-reset`,
    });
    t.clock.advanceHours(24);
    expect(errorCode(await setPassword(w, tokenOf(reset.json<{ url: string }>().url)))).toBe(
      'PASSWORD_LINK_INVALID',
    );
  });

  it('a deactivated user is logged out, cannot log in, and their links stop working; reactivated, they can', async () => {
    const t = current();
    const w = (open = await apiWorld(t));
    const session = await w.login('csm.b@example.com');
    const reset = await w.as('admin', {
      method: 'POST',
      url: `${V1}/users/${w.book.users.csmB.id}/password-reset`,
    });
    const deactivated = await w.as('admin', {
      method: 'PATCH',
      url: `${V1}/users/${w.book.users.csmB.id}`,
      payload: { active: false },
    });
    expect(deactivated.json()).toMatchObject({ active: false, status: 'deactivated' });
    const check = await w.app.inject({
      method: 'GET',
      url: `${V1}/auth/session`,
      headers: { cookie: session.cookie },
    });
    expect(check.statusCode).toBe(401);
    expect(refusal((await w.login('csm.b@example.com')).response)).toMatchObject({
      status: 401,
      code: 'INVALID_CREDENTIALS',
    });
    expect(errorCode(await setPassword(w, tokenOf(reset.json<{ url: string }>().url)))).toBe(
      'PASSWORD_LINK_INVALID',
    );
    // Their API token stops working too.
    expect((await w.as('csmB', { method: 'GET', url: `${V1}/accounts` })).statusCode).toBe(401);
    // No link for a deactivated user.
    const refused = await w.as('admin', {
      method: 'POST',
      url: `${V1}/users/${w.book.users.csmB.id}/password-reset`,
    });
    expect(refusal(refused)).toMatchObject({ status: 409, code: 'USER_DEACTIVATED' });
    await w.as('admin', {
      method: 'PATCH',
      url: `${V1}/users/${w.book.users.csmB.id}`,
      payload: { active: true },
    });
    // Reactivated, they still owe the reset (the old password ended with it): a new link works.
    expect((await w.login('csm.b@example.com', PASSWORD)).response.statusCode).toBe(401);
    const again = await w.as('admin', {
      method: 'POST',
      url: `${V1}/users/${w.book.users.csmB.id}/password-reset`,
    });
    expect((await setPassword(w, tokenOf(again.json<{ url: string }>().url))).statusCode).toBe(200);
    expect((await w.login('csm.b@example.com', NEW_PASSWORD)).response.statusCode).toBe(200);
  });

  it('changes role and team', async () => {
    const w = (open = await apiWorld(current()));
    const changed = await w.as('admin', {
      method: 'PATCH',
      url: `${V1}/users/${w.book.users.csmA.id}`,
      payload: { role: 'lead', teamId: w.book.teams.b },
    });
    expect(changed.json()).toMatchObject({ role: 'lead', teamId: w.book.teams.b, status: 'active' });
    // A change of nothing writes nothing.
    const trail = async () => (await current().store.db.selectFrom('audit_log').selectAll().execute()).length;
    const before = await trail();
    const none = await w.as('admin', {
      method: 'PATCH',
      url: `${V1}/users/${w.book.users.csmA.id}`,
      payload: {},
    });
    expect(none.json()).toMatchObject({ updatedAt: changed.json<{ updatedAt: string }>().updatedAt });
    expect(await trail()).toBe(before);
  });

  it('never leaves Retain without an active admin', async () => {
    const t = current();
    const w = (open = await apiWorld(t));
    const admin = w.book.users.admin.id;
    for (const payload of [{ role: 'lead' }, { active: false }]) {
      const refused = await w.as('admin', { method: 'PATCH', url: `${V1}/users/${admin}`, payload });
      expect(refusal(refused)).toEqual({
        status: 409,
        code: 'LAST_ADMIN',
        message: 'You are the only active admin who can log in: make someone else an admin first.',
      });
    }
    const session = await w.login('admin@example.com');
    const stillAdmin = await w.app.inject({
      method: 'PATCH',
      url: `${V1}/users/${admin}`,
      headers: { cookie: session.cookie, 'x-csrf-token': session.csrf },
      payload: { role: 'viewer', active: false },
    });
    expect(errorCode(stillAdmin)).toBe('LAST_ADMIN');
    // With a second admin, the first may step down; the second then may not.
    await w.as('admin', {
      method: 'PATCH',
      url: `${V1}/users/${w.book.users.leadA.id}`,
      payload: { role: 'admin' },
    });
    expect(
      (await w.as('admin', { method: 'PATCH', url: `${V1}/users/${admin}`, payload: { role: 'lead' } }))
        .statusCode,
    ).toBe(200);
    const last = await w.as('leadA', {
      method: 'PATCH',
      url: `${V1}/users/${w.book.users.leadA.id}`,
      payload: { active: false },
    });
    expect(errorCode(last)).toBe('LAST_ADMIN');
    // A deactivated admin does not count as one.
    const users = await t.services.users.listUsers();
    expect(users.filter((user) => user.role === 'admin' && user.active).map((user) => user.email)).toEqual([
      'lead.a@example.com',
    ]);
    await expect(
      t.services.users.update(SYSTEM_ACTOR, w.book.users.leadA.id, { role: 'csm' }),
    ).rejects.toMatchObject({ code: 'LAST_ADMIN' });
  });

  it('counts only admins who can log in: an invited admin, or one sent a reset, does not keep another from being the last', async () => {
    const w = (open = await apiWorld(current()));
    const admin = w.book.users.admin.id;
    const invited = await invite(w, 'second.admin@example.com', 'admin');
    const stepDown = () =>
      w.as('admin', { method: 'PATCH', url: `${V1}/users/${admin}`, payload: { role: 'lead' } });
    expect(errorCode(await stepDown())).toBe('LAST_ADMIN');
    // Once the invited admin has chosen a password, the first one may step down.
    expect((await setPassword(w, tokenOf(invited.url))).statusCode).toBe(200);
    const reset = await w.as('admin', { method: 'POST', url: `${V1}/users/${invited.id}/password-reset` });
    expect(reset.statusCode).toBe(201);
    expect(errorCode(await stepDown())).toBe('LAST_ADMIN');
    expect(
      (await setPassword(w, tokenOf(reset.json<{ url: string }>().url), 'another-new-password')).statusCode,
    ).toBe(200);
    expect((await stepDown()).statusCode).toBe(200);
  });

  it('sends no reset that would leave no admin able to log in', async () => {
    const w = (open = await apiWorld(current()));
    const admin = w.book.users.admin.id;
    const own = await w.as('admin', { method: 'POST', url: `${V1}/users/${admin}/password-reset` });
    expect(refusal(own)).toMatchObject({ status: 409, code: 'LAST_ADMIN' });
    expect((await w.login('admin@example.com')).response.statusCode).toBe(200);
    // With a second admin who can log in, one may reset the other, but then not the last one left.
    await w.as('admin', {
      method: 'PATCH',
      url: `${V1}/users/${w.book.users.leadA.id}`,
      payload: { role: 'admin' },
    });
    const other = await w.as('admin', {
      method: 'POST',
      url: `${V1}/users/${w.book.users.leadA.id}/password-reset`,
    });
    expect(other.statusCode).toBe(201);
    expect(
      errorCode(await w.as('admin', { method: 'POST', url: `${V1}/users/${admin}/password-reset` })),
    ).toBe('LAST_ADMIN');
  });

  it('a login under way when a reset is sent leaves no working session', async () => {
    const w = (open = await apiWorld(current()));
    for (let round = 0; round < 4; round += 1) {
      const who = w.book.users.csmA;
      const login = w.login(who.email, round === 0 ? PASSWORD : `${NEW_PASSWORD}-${round - 1}`);
      const reset = w.as('admin', { method: 'POST', url: `${V1}/users/${who.id}/password-reset` });
      const [session, sent] = await Promise.all([login, reset]);
      expect(sent.statusCode).toBe(201);
      const check = await w.app.inject({
        method: 'GET',
        url: `${V1}/auth/session`,
        headers: { cookie: session.cookie },
      });
      expect(check.statusCode, `round ${round}`).toBe(401);
      const token = tokenOf(sent.json<{ url: string }>().url);
      expect((await setPassword(w, token, `${NEW_PASSWORD}-${round}`)).statusCode).toBe(200);
    }
  });

  it('links to no host a Host header only pretends to be', async () => {
    const w = (open = await apiWorld(current()));
    const created = await w.as('admin', {
      method: 'POST',
      url: `${V1}/users`,
      headers: { host: 'retain.example@evil.example' },
      payload: { email: 'nora@example.com', name: 'Nora North', role: 'viewer' },
    });
    expect(refusal(created)).toMatchObject({ status: 400, code: 'BAD_REQUEST' });
    expect(
      (await current().services.users.listUsers()).some((user) => user.email === 'nora@example.com'),
    ).toBe(false);
  });

  it('viewers, CSMs and leads cannot invite, reset or change users', async () => {
    const w = (open = await apiWorld(current()));
    const target = w.book.users.csmA2.id;
    const requests = [
      {
        method: 'POST' as const,
        url: `${V1}/users`,
        payload: { email: 'x@example.com', name: 'X', role: 'admin' },
      },
      { method: 'POST' as const, url: `${V1}/users/${target}/invitation` },
      { method: 'POST' as const, url: `${V1}/users/${target}/password-reset` },
      { method: 'PATCH' as const, url: `${V1}/users/${target}`, payload: { role: 'admin' } },
    ];
    for (const who of ['viewer', 'csmA', 'leadA', 'ingest'] as (Who | 'ingest')[])
      for (const request of requests) {
        const response = await w.as(who, request);
        expect({ who, url: request.url, status: response.statusCode }).toEqual({
          who,
          url: request.url,
          status: 403,
        });
      }
    expect(
      (await w.app.inject({ method: 'POST', url: `${V1}/users/${target}/password-reset` })).statusCode,
    ).toBe(401);
  });
});

forEachStore('setting a password by a link is throttled', (current) => {
  it('refuses the eleventh attempt from one address with Retry-After, and lets it in again later', async () => {
    const t = current();
    const w = (open = await apiWorld(t));
    const { url } = await invite(w);
    for (let attempt = 0; attempt < 10; attempt++)
      expect(errorCode(await setPassword(w, `rp_guess${attempt}`))).toBe('PASSWORD_LINK_INVALID');
    const throttled = await setPassword(w, tokenOf(url));
    expect(refusal(throttled)).toMatchObject({ status: 429, code: 'PASSWORD_LINK_THROTTLED' });
    expect(Number(throttled.headers['retry-after'])).toBeGreaterThan(0);
    // Another address is not held up by this one.
    expect(errorCode(await setPassword(w, 'rp_other', NEW_PASSWORD, '203.0.113.9'))).toBe(
      'PASSWORD_LINK_INVALID',
    );
    t.clock.advanceMs(60_000);
    expect((await setPassword(w, tokenOf(url))).statusCode).toBe(200);
  });
});

it('keeps tokens in addresses out of the request log', () => {
  expect(withoutTokens('/set-password?token=rp_secret')).toBe('/set-password?token=[hidden]');
  expect(withoutTokens('/email/unsubscribe?x=1&token=abc&y=2')).toBe(
    '/email/unsubscribe?x=1&token=[hidden]&y=2',
  );
  expect(withoutTokens('/api/v1/accounts?q=token')).toBe('/api/v1/accounts?q=token');
});

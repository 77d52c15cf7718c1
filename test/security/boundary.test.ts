// Findings at the HTTP boundary that are not about who may call a route: NUL characters, empty
// changes, and how the session cookie is set behind a TLS proxy.
import { expect, it } from 'vitest';
import { buildApp } from '../../src/api/app';
import { parseTrustProxy } from '../../src/cli/commands/serve';
import { apiWorld, errorCode } from '../api/helpers';
import { PASSWORD } from '../helpers/book';
import { forEachStore } from '../helpers/stores';

forEachStore('the HTTP boundary', (store) => {
  it('a NUL character in an address, a query or a JSON body is refused with the field, never a 500', async () => {
    const world = await apiWorld(store());
    const inPath = await world.as('viewer', { method: 'GET', url: '/api/v1/accounts/by-external-id/A-1%00' });
    expect(inPath.statusCode).toBe(400);
    expect(inPath.json<{ error: { message: string } }>().error.message).toMatch(/^params\.externalId: NUL/);
    const inQuery = await world.as('viewer', { method: 'GET', url: '/api/v1/accounts?q=Acme%00' });
    expect(inQuery.statusCode).toBe(400);
    const inBody = await world.as('admin', {
      method: 'POST',
      url: '/api/v1/accounts',
      payload: { externalId: 'N-1', name: 'Nul\u0000Corp' },
    });
    expect(inBody.statusCode).toBe(400);
    expect(errorCode(inBody)).toBe('VALIDATION_FAILED');
    const created = await world.as('admin', { method: 'GET', url: '/api/v1/accounts/by-external-id/N-1' });
    expect(created.statusCode).toBe(404);
  });

  it("a lead cannot hand an account of their team to another team's CSM", async () => {
    const world = await apiWorld(store());
    const account = world.book.accounts[0]!;
    const moved = await world.as('leadA', {
      method: 'PATCH',
      url: `/api/v1/accounts/${account.id}`,
      payload: { ownerId: world.book.users.csmB.id },
    });
    expect(moved.statusCode).toBe(403);
    expect(moved.json<{ error: { message: string } }>().error.message).toContain('not in your team');
    const created = await world.as('leadA', {
      method: 'POST',
      url: '/api/v1/accounts',
      payload: {
        externalId: 'X-1',
        name: 'Cross Team',
        ownerId: world.book.users.csmB.id,
        teamId: world.book.teams.a,
      },
    });
    expect(created.statusCode).toBe(403);
    const own = await world.as('leadA', {
      method: 'PATCH',
      url: `/api/v1/accounts/${account.id}`,
      payload: { ownerId: world.book.users.csmA2.id },
    });
    expect(own.statusCode).toBe(200);
    const byAdmin = await world.as('admin', {
      method: 'PATCH',
      url: `/api/v1/accounts/${account.id}`,
      payload: { ownerId: world.book.users.csmB.id },
    });
    expect(byAdmin.statusCode).toBe(200);
  });

  it('a change that changes nothing answers with the thing as it is', async () => {
    const world = await apiWorld(store());
    const response = await world.as('admin', {
      method: 'PATCH',
      url: '/api/v1/risk-stages/saving',
      payload: {},
    });
    expect(response.statusCode).toBe(200);
    expect(response.json<{ key: string }>().key).toBe('saving');
  });

  it('behind a trusted TLS proxy the session cookie is Secure, and logout clears it with the same attributes', async () => {
    await apiWorld(store());
    const app = await buildApp(store().services, { webRoot: false, trustProxy: ['127.0.0.1'] });
    const login = await app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      remoteAddress: '127.0.0.1',
      headers: { 'x-forwarded-proto': 'https', 'x-forwarded-for': '198.51.100.4' },
      payload: { email: 'csm.a@example.com', password: PASSWORD },
    });
    expect(login.statusCode).toBe(200);
    const set = String(login.headers['set-cookie']);
    expect(set).toMatch(/Secure/);
    expect(set).toMatch(/SameSite=Strict/);
    expect(set).toMatch(/HttpOnly/);
    const logout = await app.inject({
      method: 'POST',
      url: '/api/v1/auth/logout',
      remoteAddress: '127.0.0.1',
      headers: { 'x-forwarded-proto': 'https' },
    });
    const cleared = String(logout.headers['set-cookie']);
    for (const attribute of [/Secure/, /SameSite=Strict/, /HttpOnly/, /Path=\//])
      expect(cleared).toMatch(attribute);
    await app.close();
  });

  it('forwarded headers from an address that is not a trusted proxy are ignored', async () => {
    await apiWorld(store());
    const app = await buildApp(store().services, { webRoot: false, trustProxy: ['10.1.2.3'] });
    app.get('/api/v1/whoami-test', { config: { access: 'public' } }, (request) => ({
      ip: request.ip,
      protocol: request.protocol,
    }));
    const spoofed = await app.inject({
      method: 'GET',
      url: '/api/v1/whoami-test',
      remoteAddress: '203.0.113.9',
      headers: { 'x-forwarded-proto': 'https', 'x-forwarded-for': '127.0.0.1' },
    });
    expect(spoofed.json()).toEqual({ ip: '203.0.113.9', protocol: 'http' });
    const login = await app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      remoteAddress: '203.0.113.9',
      headers: { 'x-forwarded-proto': 'https' },
      payload: { email: 'csm.a@example.com', password: PASSWORD },
    });
    expect(String(login.headers['set-cookie'])).not.toMatch(/Secure/);
    await app.close();
  });
});

it('--trust-proxy reads "true", "false", nothing, or a list of addresses and ranges', () => {
  expect(parseTrustProxy(undefined)).toBe(false);
  expect(parseTrustProxy('false')).toBe(false);
  expect(parseTrustProxy('true')).toBe(true);
  expect(parseTrustProxy('10.0.0.0/8, 192.168.1.2')).toEqual(['10.0.0.0/8', '192.168.1.2']);
});

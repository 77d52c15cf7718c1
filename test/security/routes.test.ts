// The attacker's sweep: every route of the server's route table and of the OpenAPI document, sent
// through many spellings of its address, by every kind of caller. Access is decided on the route
// Fastify matched, so no spelling may return data the plain address refuses, and nothing may answer
// with a 5xx.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { buildApp } from '../../src/api/app';
import type { RouteAccess } from '../../src/api/auth-hook';
import { can, type Actor } from '../../src/domain/policy';
import { apiWorld, type ApiWorld } from '../api/helpers';
import { forEachStore } from '../helpers/stores';

const INDEX_MARKER = 'retain-test-web-app';
let webRoot = '';

beforeAll(() => {
  webRoot = mkdtempSync(join(tmpdir(), 'retain-web-'));
  mkdirSync(join(webRoot, 'assets'));
  writeFileSync(join(webRoot, 'index.html'), `<!doctype html><title>${INDEX_MARKER}</title>`);
  writeFileSync(join(webRoot, 'assets', 'app-1a2b3c.js'), 'console.log(1)');
});
afterAll(() => rmSync(webRoot, { recursive: true, force: true }));

/** Every spelling of an address that some router, proxy or decoder might treat as the same. */
export function pathVariants(path: string): string[] {
  const segments = path.split('/').slice(1);
  const encodeFirstLetter = (segment: string, upper: boolean) => {
    const index = segment.search(/[a-z]/i);
    if (index < 0) return segment;
    const hex = segment.charCodeAt(index).toString(16);
    return `${segment.slice(0, index)}%${upper ? hex.toUpperCase() : hex}${segment.slice(index + 1)}`;
  };
  const join = (parts: string[]) => `/${parts.join('/')}`;
  const last = segments.length - 1;
  const withSegment = (at: number, value: string) => join(segments.map((s, i) => (i === at ? value : s)));
  const rest = segments.slice(1).join('/');
  const head = segments[0] ?? '';
  const variants = [
    path,
    withSegment(0, encodeFirstLetter(head, false)),
    withSegment(last, encodeFirstLetter(segments[last] ?? '', true)),
    segments.length > 1 ? withSegment(1, encodeFirstLetter(segments[1] ?? '', false)) : `${path}%20`,
    `/${head}%2f${rest}`,
    `/${head}%2F${rest}`,
    `/${head}/%2e/${rest}`,
    `/${head}/x/../${rest}`,
    `/${head}/x/%2e%2e/${rest}`,
    `/${head}/x/%252e%252e/${rest}`,
    `/${head}/./${rest}`,
    `/${path}`,
    `/${head}//${rest}`,
    `${path}/`,
    path.toUpperCase(),
    `${path};jsessionid=x`,
    `/${head};x=1/${rest}`,
    `/${head}%5c${rest.replaceAll('/', '%5c')}`,
    `${path}%00`,
    `${path}%3f`,
  ];
  return [...new Set(variants)];
}

type Credential =
  'anonymous' | 'bad token' | 'ingest' | 'viewer' | 'csm' | 'lead' | 'cookie, no csrf' | 'admin';
const CREDENTIALS: Credential[] = [
  'anonymous',
  'bad token',
  'ingest',
  'viewer',
  'csm',
  'lead',
  'cookie, no csrf',
  'admin',
];
const SAFE = new Set(['GET', 'HEAD', 'OPTIONS']);

interface Route {
  method: string;
  url: string;
  access: RouteAccess;
}

/** A concrete address for a route pattern: real ids where they exist, unknown ids for deletes. */
function concretePath(route: Route): string {
  const values: Record<string, string> = {
    id: route.method === 'DELETE' ? '999999' : '1',
    key: 'saving',
    ref: 'no-such-play',
    kind: 'contacts',
    externalId: 'A-1',
  };
  let path = route.url.replace(/:(\w+)/g, (_, name: string) => values[name] ?? '1');
  if (path.endsWith('*')) path = `${path.slice(0, -1)}${path === '/*' ? 'assets/app-1a2b3c.js' : 'x'}`;
  if (path === '/api/v1/events') path += '?follow=false';
  return path;
}

/** Whether the plain address lets this caller in, from the route's declared access. */
function allowed(credential: Credential, route: Route, actors: ApiWorld['book']['actors']): boolean {
  if (route.access === 'public') return true;
  const actor: Actor | null = {
    anonymous: null,
    'bad token': null,
    ingest: route.access === 'data.import' ? actors.admin : null,
    viewer: actors.viewer,
    csm: actors.csmA,
    lead: actors.leadA,
    'cookie, no csrf': SAFE.has(route.method) ? actors.leadA : null,
    admin: actors.admin,
  }[credential];
  if (!actor) return false;
  if (['account.write', 'contact.write', 'case.write'].includes(route.access)) return actor.role !== 'viewer';
  return can(actor, route.access);
}

forEachStore('attacker sweep of every route', (store) => {
  let world: ApiWorld;
  let app: FastifyInstance;

  async function setUp() {
    world = await apiWorld(store(), { cases: true });
    app = await buildApp(store().services, { webRoot });
    await app.ready();
  }

  it('no address spelling, credential or method reads data it may not, and nothing answers 5xx', async () => {
    await setUp();
    const session = await world.login('lead.a@example.com');
    // What must never reach a caller who is refused: people's e-mails and the book's account names.
    const canaries = [
      ...Object.values(world.book.users).map((user) => user.email),
      ...world.book.accounts.map((account) => account.name),
    ];
    const table = app.routeAccess.map((route) => ({ ...route, access: route.access ?? 'read' }));
    // Every operation the OpenAPI document lists is a route of the table, and so is swept.
    const document = app.swagger() as { paths: Record<string, Record<string, unknown>> };
    const known = new Set(table.map((route) => `${route.method} ${route.url}`));
    const documented = Object.entries(document.paths).flatMap(([path, operations]) =>
      Object.keys(operations).map((method) => `${method.toUpperCase()} ${path.replace(/\{(\w+)\}/g, ':$1')}`),
    );
    expect(documented.filter((operation) => !known.has(operation))).toEqual([]);

    const headers = (credential: Credential): Record<string, string> => {
      switch (credential) {
        case 'anonymous':
          return {};
        case 'bad token':
          return { authorization: 'Bearer not-a-token' };
        case 'ingest':
          return { authorization: `Bearer ${world.tokens.ingest}` };
        case 'viewer':
          return { authorization: `Bearer ${world.tokens.viewer}` };
        case 'csm':
          return { authorization: `Bearer ${world.tokens.csmA}` };
        case 'lead':
          return { authorization: `Bearer ${world.tokens.leadA}` };
        case 'cookie, no csrf':
          return { cookie: session.cookie };
        case 'admin':
          return { authorization: `Bearer ${world.tokens.admin}` };
      }
    };

    const leaks: string[] = [];
    const failures: string[] = [];
    let requests = 0;
    let variantCount = 0;
    for (const route of table) {
      const variants = pathVariants(concretePath(route));
      variantCount = Math.max(variantCount, variants.length);
      for (const credential of CREDENTIALS) {
        const mayRead = allowed(credential, route, world.book.actors);
        // Spellings of one address are sent together (admin writes one at a time, as they change data).
        const send = async (url: string) => {
          const response: LightMyRequestResponse = await app.inject({
            method: route.method as 'GET',
            url,
            headers: {
              ...headers(credential),
              ...(SAFE.has(route.method) ? {} : { 'content-type': 'application/json' }),
            },
            ...(SAFE.has(route.method) ? {} : { payload: '{}' }),
          });
          return { url, response };
        };
        const sent =
          credential === 'admin' && !SAFE.has(route.method)
            ? await variants.reduce<Promise<Awaited<ReturnType<typeof send>>[]>>(
                async (done, url) => [...(await done), await send(url)],
                Promise.resolve([]),
              )
            : await Promise.all(variants.map(send));
        for (const { url, response } of sent) {
          requests += 1;
          const what = `${route.method} ${url} as ${credential}: ${response.statusCode}`;
          if (response.statusCode >= 500) failures.push(`${what} ${response.body.slice(0, 200)}`);
          if (mayRead) continue;
          // A refused caller may get an error, or the web app's own page (which holds no data).
          const isPage =
            response.body.includes(INDEX_MARKER) ||
            (route.method === 'HEAD' && String(response.headers['content-type']).startsWith('text/html'));
          const leaked = canaries.find((canary) => response.body.includes(canary));
          if ((response.statusCode < 300 && !isPage) || leaked)
            leaks.push(`${what} ${leaked ?? response.body.slice(0, 120)}`);
        }
      }
    }
    console.log(
      `attacker sweep [${store().kind}]: ${table.length} routes x up to ${variantCount} path variants x ` +
        `${CREDENTIALS.length} credentials = ${requests} requests: ${leaks.length} data leaks, ${failures.length} 5xx`,
    );
    expect(leaks).toEqual([]);
    expect(failures).toEqual([]);
    expect(requests).toBeGreaterThan(10_000);
    // Tens of thousands of requests: minutes on a busy 2-core machine.
  }, 900_000);

  it('the reported bypasses: percent-encoded letters read nothing, and an ingest token cannot make an admin', async () => {
    await setUp();
    for (const url of [
      '/%61pi/v1/users',
      '/ap%69/v1/users',
      '/%61pi/v1/exports/contacts',
      '/api/v1/%75sers',
    ]) {
      const response = await app.inject({ method: 'GET', url });
      expect(response.statusCode, url).toBe(401);
    }
    for (const url of [
      '/%61pi/v1/detection/run',
      '/%61pi/v1/detection/backtest',
      '/%61pi/v1/health/rescore',
      '/%61pi/v1/kpis/snapshot',
      '/%61pi/v1/segments/refresh',
    ]) {
      const response = await app.inject({ method: 'POST', url, payload: {} });
      expect(response.statusCode, url).toBe(401);
    }
    const ingest = { authorization: `Bearer ${world.tokens.ingest}` };
    const created = await app.inject({
      method: 'POST',
      url: '/%61pi/v1/users',
      headers: ingest,
      payload: { email: 'mallory@example.com', name: 'Mallory', role: 'admin', password: 'x'.repeat(16) },
    });
    expect(created.statusCode).toBe(403);
    const token = await app.inject({
      method: 'POST',
      url: '/%61pi/v1/auth/tokens',
      headers: ingest,
      payload: { name: 'x' },
    });
    expect(token.statusCode).toBe(403);
    const users = await world.as('admin', { method: 'GET', url: '/api/v1/users' });
    expect(users.body).not.toContain('mallory@example.com');
  });

  it('the public set-password route: no spelling, guess or credential sets a password or reads a user', async () => {
    await setUp();
    const invited = await world.as('admin', {
      method: 'POST',
      url: '/api/v1/users',
      payload: { email: 'invitee@example.com', name: 'Invitee', role: 'admin' },
    });
    const link = new URL(invited.json<{ invitation: { url: string } }>().invitation.url);
    const token = link.searchParams.get('token') ?? '';
    const session = await world.login('lead.a@example.com');
    const canaries = [...Object.values(world.book.users).map((user) => user.email), 'invitee@example.com'];
    const guesses = [
      `${token.slice(0, -1)}${token.endsWith('A') ? 'B' : 'A'}`,
      token.toUpperCase(),
      `${token} `,
      token.slice(3),
      `rp_${'A'.repeat(43)}`,
      "' or 1=1 --",
      '%',
    ];
    // Every spelling of the address, with a wrong token, from one address: refused alike, no 5xx,
    // nothing about any user in the answer, and all of them count against the same throttle.
    const answers: LightMyRequestResponse[] = [];
    for (const [index, url] of pathVariants('/api/v1/auth/set-password').entries()) {
      answers.push(
        await app.inject({
          method: 'POST',
          url,
          remoteAddress: '192.0.2.50',
          headers: index % 2 === 0 ? { cookie: session.cookie } : {},
          payload: { token: guesses[index % guesses.length], password: 'attacker-password-1' },
        }),
      );
    }
    for (const response of answers) {
      expect(response.statusCode).toBeLessThan(500);
      expect(response.statusCode).toBeGreaterThanOrEqual(400);
      expect(canaries.some((canary) => response.body.includes(canary))).toBe(false);
    }
    const codes = new Set(
      answers.map((response) => response.json<{ error?: { code?: string } }>().error?.code),
    );
    expect(
      [...codes].every((code) =>
        ['PASSWORD_LINK_INVALID', 'NOT_FOUND', 'VALIDATION_FAILED'].includes(code ?? ''),
      ),
    ).toBe(true);
    // The spellings that reached the route took slots of the one bucket of that address: ten
    // attempts in all, then it holds.
    const reached = answers.filter(
      (response) => response.statusCode === 400 && response.body.includes('PASSWORD_LINK_INVALID'),
    );
    expect(reached.length).toBeGreaterThan(0);
    expect(reached.length).toBeLessThanOrEqual(10);
    for (let attempt = reached.length; attempt < 10; attempt++) {
      const more = await app.inject({
        method: 'POST',
        url: '/api/v1/auth/set-password',
        remoteAddress: '192.0.2.50',
        payload: { token: guesses[attempt % guesses.length], password: 'attacker-password-1' },
      });
      expect(more.statusCode).toBe(400);
    }
    // Throttled, the right token is refused too from that address; from another it works once.
    const held = await app.inject({
      method: 'POST',
      url: '/api/v1/auth/set-password',
      remoteAddress: '192.0.2.50',
      payload: { token, password: 'attacker-password-1' },
    });
    expect(held.statusCode).toBe(429);
    const used = await app.inject({
      method: 'POST',
      url: '/api/v1/auth/set-password',
      remoteAddress: '192.0.2.51',
      payload: { token, password: 'the-invitees-password' },
    });
    expect(used.json()).toEqual({ email: 'invitee@example.com' });
    const again = await app.inject({
      method: 'POST',
      url: '/%61pi/v1/auth/set-password',
      remoteAddress: '192.0.2.52',
      payload: { token, password: 'attacker-password-1' },
    });
    expect(again.json<{ error: { code: string } }>().error.code).toBe('PASSWORD_LINK_INVALID');
    // The session cookie sent along was neither used nor ended.
    const lead = await app.inject({
      method: 'GET',
      url: '/api/v1/auth/session',
      headers: { cookie: session.cookie },
    });
    expect(lead.json()).toMatchObject({ user: { email: 'lead.a@example.com' } });
    const login = await world.login('invitee@example.com', 'attacker-password-1');
    expect(login.response.statusCode).toBe(401);
  });

  it('addresses with doubled slashes answer 404, not 500', async () => {
    await setUp();
    for (const url of ['//api/v1/accounts', '//assets/x.js', '//', '/assets//app-1a2b3c.js']) {
      const response = await app.inject({ method: 'GET', url });
      expect(response.statusCode, url).toBeLessThan(500);
      expect(response.body).not.toContain('Acme Analytics');
    }
    expect((await app.inject({ method: 'GET', url: '//api/v1/accounts' })).statusCode).toBe(404);
  });

  it('over a real socket the encoded spellings are refused too', async () => {
    await setUp();
    await app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = app.server.address() as AddressInfo;
    const get = (path: string) =>
      new Promise<{ status: number; body: string }>((resolve, reject) => {
        const req = httpRequest({ host: '127.0.0.1', port, path, method: 'GET' }, (res) => {
          let body = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => (body += chunk));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        });
        req.on('error', reject);
        req.end();
      });
    for (const path of [
      '/%61pi/v1/users',
      '/ap%69/v1/exports/contacts',
      '/api/v1/x/../../v1/users',
      '//api/v1/users',
    ]) {
      const response = await get(path);
      expect(response.status, path).toBeGreaterThanOrEqual(400);
      expect(response.status, path).toBeLessThan(500);
      expect(response.body).not.toContain('admin@example.com');
    }
    await app.close();
  });
});

forEachStore('routes declare who may call them', (store) => {
  it('a route without a declared access stops the server from starting', async () => {
    const app = await buildApp(store().services, { webRoot: false });
    app.get('/api/v1/forgotten', () => ({ secret: true }));
    await expect(app.ready()).rejects.toThrow(/without a declared access.*GET \/api\/v1\/forgotten/);
  });

  it('every route of the running server declares its access', async () => {
    const app = await buildApp(store().services, { webRoot });
    await app.ready();
    expect(app.routeAccess.filter((route) => route.access === undefined)).toEqual([]);
    const publicApi = app.routeAccess
      .filter((route) => route.access === 'public' && route.url.startsWith('/api/v1/'))
      .map((route) => `${route.method} ${route.url}`);
    // The only public API operations: logging in and out, and choosing a password by a link's
    // token. Everything else needs a credential.
    expect(publicApi.sort()).toEqual([
      'POST /api/v1/auth/login',
      'POST /api/v1/auth/logout',
      'POST /api/v1/auth/set-password',
    ]);
    await app.close();
  });
});

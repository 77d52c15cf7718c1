// Resolves who is calling (API token or session cookie), enforces CSRF on cookie writes, and checks
// the access declared by the route Fastify matched before any handler runs. Access is never read
// from the request's address: percent-encoding, doubled slashes and dot segments can reach a
// handler by many spellings, but they all match the same route and so meet the same rule.
import type {} from '@fastify/cookie';
import type { FastifyInstance, FastifyRequest, RouteOptions } from 'fastify';
import { AppError } from '../domain/errors';
import { can, type Actor, type Permission } from '../domain/policy';
import type { User } from '../domain/user';
import type { Services } from '../services';
import type { TokenScope } from '../services/auth';

export const SESSION_COOKIE = 'retain_session';
export const CSRF_HEADER = 'x-csrf-token';

/** What a route lets through: anyone, or holders of a permission (`read`: any signed-in caller). */
export type RouteAccess = 'public' | Permission;

declare module 'fastify' {
  interface FastifyContextConfig {
    access?: RouteAccess;
    /**
     * The API token may come in the JSON body's `writeKey` (Segment's analytics.js sends it there,
     * as a browser's simple request carries no Authorization header). Checked once the body is
     * read, before it is validated; the route still declares its access.
     */
    writeKeyInBody?: boolean;
    /** The body is a CSV file (text/csv), read by the handler rather than parsed (for the API document). */
    csvBody?: boolean;
  }
  interface FastifyRequest {
    auth: {
      actor: Actor;
      user: User;
      via: 'session' | 'token';
      csrfToken: string | null;
      /** What the credential may do: a session or a full token, or an ingest token (data in only). */
      scope: TokenScope;
    } | null;
  }
}

const INGEST_ACCESS: ReadonlySet<RouteAccess> = new Set(['public', 'data.import']);
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
// Permissions that depend on which account is touched are settled by the service; the route only
// turns away roles that can never hold them.
const SCOPED: ReadonlySet<Permission> = new Set(['account.write', 'contact.write', 'case.write']);

/** The signed-in caller of a route that is not public. */
/** Whether the caller may read the book: not an ingest token, which only pushes data in. */
export function mayRead(request: FastifyRequest): boolean {
  return request.auth !== null && request.auth.scope !== 'ingest';
}

export function actorOf(request: FastifyRequest): Actor {
  if (!request.auth) throw new AppError('UNAUTHENTICATED', 'Log in or send an API token.');
  return request.auth.actor;
}

/** A route as the access check sees it: its method, its path and what it declared. */
export interface DeclaredRoute {
  method: string;
  url: string;
  access: RouteAccess | undefined;
  csvBody?: boolean;
}

/**
 * Registers routes of third-party plugins (the web app's files, the API docs) as public: they serve
 * no data, and they cannot declare access themselves.
 */
export async function publicScope(
  app: FastifyInstance,
  register: (scope: FastifyInstance) => Promise<void>,
): Promise<void> {
  await app.register(async (scope) => {
    scope.addHook('onRoute', (route) => {
      route.config = { ...route.config, access: 'public' };
    });
    await register(scope);
  });
}

/**
 * Deny by default: every route must declare its access. Returns the table of routes, and makes the
 * server refuse to start if one of them declared none.
 */
export function requireDeclaredAccess(app: FastifyInstance): DeclaredRoute[] {
  const routes: RouteOptions[] = [];
  app.addHook('onRoute', (route) => {
    routes.push(route);
  });
  const table: DeclaredRoute[] = [];
  app.addHook('onReady', (done) => {
    // onRoute hooks of inner scopes (publicScope) run after this one, so the check waits for ready.
    const undeclared: string[] = [];
    for (const route of routes) {
      const access = route.config?.access;
      const csvBody = route.config?.csvBody === true;
      for (const method of [route.method].flat()) table.push({ method, url: route.url, access, csvBody });
      if (access === undefined) undeclared.push(`${[route.method].flat().join(',')} ${route.url}`);
    }
    done(
      undeclared.length > 0
        ? new Error(`Routes without a declared access (config.access): ${undeclared.join('; ')}`)
        : undefined,
    );
  });
  return table;
}

export function registerAuth(app: FastifyInstance, services: Services): void {
  app.decorateRequest('auth', null);
  const byToken = async (request: FastifyRequest, token: string, access: RouteAccess, inBody = false) => {
    const { actor, user, scope } = await services.auth.authenticateToken(token);
    // A key in the body ends up in web pages: only an ingest token may travel that way.
    if (inBody && scope !== 'ingest')
      throw new AppError(
        'FORBIDDEN',
        'A write key sent in the body must be an API token with the ingest scope.',
        {
          scope,
        },
      );
    request.auth = { actor, user, via: 'token', csrfToken: null, scope };
    // Ingest tokens push data in and nothing else: they cannot read the book or change cases.
    if (scope === 'ingest' && !INGEST_ACCESS.has(access))
      throw new AppError('FORBIDDEN', 'This API token may only import data.', { scope });
  };
  app.addHook('onRequest', async (request) => {
    // A request that matched no route goes to the not-found handler, which reads no data.
    if (request.is404) return;
    const { access, writeKeyInBody } = request.routeOptions.config;
    if (access === undefined) throw new AppError('FORBIDDEN', 'This route declares no access.');
    const header = request.headers.authorization;
    const cookie = request.cookies[SESSION_COOKIE];
    if (header !== undefined) {
      const token = bearerOrBasicToken(header);
      if (!token) throw new AppError('UNAUTHENTICATED', 'Authorization must be "Bearer <token>".');
      await byToken(request, token, access);
    } else if (cookie !== undefined && access !== 'public') {
      const session = await services.auth.authenticateSession(cookie);
      request.auth = {
        actor: session.actor,
        user: session.user,
        via: 'session',
        csrfToken: session.csrfToken,
        scope: 'full',
      };
      if (!SAFE_METHODS.has(request.method) && request.headers[CSRF_HEADER] !== session.csrfToken) {
        throw new AppError(
          'CSRF_TOKEN_INVALID',
          `Writes with a session cookie need the ${CSRF_HEADER} header.`,
        );
      }
    } else if (writeKeyInBody && access !== 'public') {
      // The credential is in the body: settled once the body is read.
      return;
    }
    authorize(request, access);
  });
  // After the body is parsed and before it is validated, so a caller without a credential learns
  // nothing about what the route expects.
  app.addHook('preValidation', async (request) => {
    const { access, writeKeyInBody } = request.routeOptions.config;
    if (!writeKeyInBody || request.auth || access === undefined || access === 'public') return;
    const body: unknown = request.body;
    const writeKey =
      typeof body === 'object' && body !== null && 'writeKey' in body ? body.writeKey : undefined;
    if (typeof writeKey !== 'string' || writeKey === '')
      throw new AppError('UNAUTHENTICATED', 'Send an API token as the write key, or log in.');
    await byToken(request, writeKey, access, true);
    authorize(request, access);
  });
}

/** Whether the caller resolved for a request may use its route. */
function authorize(request: FastifyRequest, access: RouteAccess): void {
  if (access === 'public') return;
  if (!request.auth) throw new AppError('UNAUTHENTICATED', 'Log in or send an API token.');
  const { actor } = request.auth;
  const allowed = SCOPED.has(access) ? actor.role !== 'viewer' : can(actor, access);
  if (!allowed)
    throw new AppError('FORBIDDEN', `Role "${actor.role}" may not use this endpoint.`, {
      permission: access,
    });
}

/**
 * Who the caller is now, by the credential the request came with: null once that token is revoked,
 * that session ended or that user deactivated. The role is the user's current one, so a long-lived
 * request (an event stream) follows a change of role.
 */
export async function currentActor(request: FastifyRequest, services: Services): Promise<Actor | null> {
  const via = request.auth?.via;
  try {
    if (via === 'token') {
      const token = bearerOrBasicToken(request.headers.authorization ?? '');
      if (!token) return null;
      return (await services.auth.authenticateToken(token)).actor;
    }
    const cookie = request.cookies[SESSION_COOKIE];
    if (via !== 'session' || cookie === undefined) return null;
    return (await services.auth.authenticateSession(cookie, { touch: false })).actor;
  } catch (error) {
    if (error instanceof AppError) return null;
    throw error;
  }
}

/**
 * The API token of an Authorization header: `Bearer <token>`, or HTTP Basic with the token as the
 * user name (how Segment libraries send their write key).
 */
function bearerOrBasicToken(header: string): string | null {
  const bearer = /^Bearer\s+(\S+)$/i.exec(header);
  if (bearer?.[1]) return bearer[1];
  const basic = /^Basic\s+(\S+)$/i.exec(header);
  if (!basic?.[1]) return null;
  const decoded = Buffer.from(basic[1], 'base64').toString('utf8');
  const [userName, password] = decoded.split(':');
  return userName || password || null;
}

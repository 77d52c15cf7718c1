// Resolves who is calling (API token or session cookie), enforces CSRF on cookie writes, and checks
// the route's declared access before any handler runs.
import type {} from '@fastify/cookie';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { AppError } from '../domain/errors';
import { can, type Actor, type Permission } from '../domain/policy';
import type { User } from '../domain/user';
import type { Services } from '../services';

export const SESSION_COOKIE = 'retain_session';
export const CSRF_HEADER = 'x-csrf-token';

/** What a route lets through: anyone, any signed-in user, or holders of a permission. */
export type RouteAccess = 'public' | Permission;

declare module 'fastify' {
  interface FastifyContextConfig {
    access?: RouteAccess;
  }
  interface FastifyRequest {
    auth: { actor: Actor; user: User; via: 'session' | 'token'; csrfToken: string | null } | null;
  }
}

const INGEST_ACCESS: ReadonlySet<RouteAccess> = new Set(['public', 'data.import']);
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
// Permissions that depend on which account is touched are settled by the service; the route only
// turns away roles that can never hold them.
const SCOPED: ReadonlySet<Permission> = new Set(['account.write', 'contact.write', 'case.write']);

/** The signed-in caller of a route that is not public. */
export function actorOf(request: FastifyRequest): Actor {
  if (!request.auth) throw new AppError('UNAUTHENTICATED', 'Log in or send an API token.');
  return request.auth.actor;
}

export function registerAuth(app: FastifyInstance, services: Services): void {
  app.decorateRequest('auth', null);
  app.addHook('onRequest', async (request) => {
    // The API docs and the web app's own files are public; the data they show is not.
    const isDocs = request.url === '/api/docs' || request.url.startsWith('/api/docs/');
    const isWebApp = !request.url.startsWith('/api/');
    const access = isDocs || isWebApp ? 'public' : (request.routeOptions.config.access ?? 'read');
    const header = request.headers.authorization;
    const cookie = request.cookies[SESSION_COOKIE];
    if (header !== undefined) {
      const token = bearerOrBasicToken(header);
      if (!token) throw new AppError('UNAUTHENTICATED', 'Authorization must be "Bearer <token>".');
      const { actor, user, scope } = await services.auth.authenticateToken(token);
      request.auth = { actor, user, via: 'token', csrfToken: null };
      // Ingest tokens push data in and nothing else: they cannot read the book or change cases.
      if (scope === 'ingest' && !INGEST_ACCESS.has(access))
        throw new AppError('FORBIDDEN', 'This API token may only import data.', { scope });
    } else if (cookie !== undefined && access !== 'public') {
      const session = await services.auth.authenticateSession(cookie);
      request.auth = {
        actor: session.actor,
        user: session.user,
        via: 'session',
        csrfToken: session.csrfToken,
      };
      if (!SAFE_METHODS.has(request.method) && request.headers[CSRF_HEADER] !== session.csrfToken) {
        throw new AppError(
          'CSRF_TOKEN_INVALID',
          `Writes with a session cookie need the ${CSRF_HEADER} header.`,
        );
      }
    }
    if (access === 'public') return;
    if (!request.auth) throw new AppError('UNAUTHENTICATED', 'Log in or send an API token.');
    const { actor } = request.auth;
    const allowed = SCOPED.has(access) ? actor.role !== 'viewer' : can(actor, access);
    if (!allowed)
      throw new AppError('FORBIDDEN', `Role "${actor.role}" may not use this endpoint.`, {
        permission: access,
      });
  });
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

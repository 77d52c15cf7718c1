// The HTTP API: Fastify with zod schemas, an OpenAPI document at /api/docs, one error mapping and
// one authentication hook. Handlers live in routes/, one file per resource.
import fastifyCookie from '@fastify/cookie';
import fastifyHelmet from '@fastify/helmet';
import fastifyStatic from '@fastify/static';
import { createReadStream, existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import Fastify, { type FastifyInstance } from 'fastify';
import {
  jsonSchemaTransform,
  jsonSchemaTransformObject,
  serializerCompiler,
  validatorCompiler,
} from 'fastify-type-provider-zod';
import type { Services } from '../services';
import { publicScope, registerAuth, requireDeclaredAccess, type DeclaredRoute } from './auth-hook';
import { registerErrorHandling } from './errors';
import { loggedRequest } from './log-redaction';
import { registerNulGuard } from './nul-guard';
import { finishDocument, OPENAPI_BASE } from './openapi';
import { accountRoutes } from './routes/accounts';
import { authRoutes } from './routes/auth';
import { dataRoutes } from './routes/data';
import { eventRoutes } from './routes/events';
import { detectionRoutes } from './routes/detection';
import { emailRoutes } from './routes/email';
import { healthRoutes } from './routes/health';
import { healthScoreRoutes } from './routes/health-scores';
import { notificationRoutes } from './routes/notifications';
import { playRoutes } from './routes/plays';
import { riskCaseRoutes } from './routes/risk-cases';
import { riskConfigRoutes } from './routes/risk-config';
import { segmentRoutes } from './routes/segment';
import { savedSegmentRoutes } from './routes/saved-segments';
import { kpiRoutes } from './routes/kpis';
import { riskTrendRoutes } from './routes/risk-trends';
import { reportRoutes } from './routes/reports';
import { signalRoutes } from './routes/signals';
import { userRoutes } from './routes/users';
import { worklistViewRoutes } from './routes/worklist-views';

export interface AppOptions {
  logger?: boolean;
  /** Largest JSON body accepted, in bytes. */
  bodyLimit?: number;
  /** Largest CSV body read whole (labelled files for health scores), in bytes. */
  csvLimit?: number;
  /** Largest CSV import (streamed, never held whole), in bytes. */
  importLimit?: number;
  /** The built web app to serve at `/` (default `dist/web`); false serves the API alone. */
  webRoot?: string | false;
  /**
   * Which proxies in front of Retain to believe about the client's address and protocol
   * (X-Forwarded-For / -Proto): false (none, the default), true (any), or the proxies' addresses and
   * CIDR ranges. Behind a TLS proxy this makes session cookies `Secure`.
   */
  trustProxy?: TrustProxy;
}

export type TrustProxy = boolean | string[];

declare module 'fastify' {
  interface FastifyInstance {
    /** Every route with the access it declared, known once the server is ready. */
    routeAccess: DeclaredRoute[];
  }
}

/** Where `npm run build:web` puts the web app. */
export const DEFAULT_WEB_ROOT = fileURLToPath(new URL('../../dist/web', import.meta.url));

export { API_VERSION } from './version';

/** CSV bodies read whole: 32 MiB. */
export const DEFAULT_CSV_LIMIT = 32 * 1024 * 1024;
/** CSV imports, streamed: 512 MiB (about ten million account rows). */
export const DEFAULT_IMPORT_LIMIT = 512 * 1024 * 1024;

export async function buildApp(services: Services, options: AppOptions = {}): Promise<FastifyInstance> {
  const app = Fastify({
    logger: options.logger
      ? {
          level: 'info',
          redact: ['req.headers.authorization', 'req.headers.cookie', 'req.headers["x-csrf-token"]'],
          serializers: { req: loggedRequest },
        }
      : false,
    bodyLimit: options.bodyLimit ?? 1024 * 1024,
    trustProxy: options.trustProxy ?? false,
  });
  app.decorate('routeAccess', requireDeclaredAccess(app));
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  const webRoot = options.webRoot ?? DEFAULT_WEB_ROOT;
  const servesWebApp = webRoot !== false && existsSync(`${webRoot}/index.html`);
  // Any other page address gets index.html, so that links into the web app work.
  registerErrorHandling(
    app,
    servesWebApp
      ? (_request, reply) => reply.type('text/html').send(createReadStream(`${webRoot}/index.html`))
      : undefined,
  );

  await app.register(fastifyCookie);
  app.addContentTypeParser(
    ['text/csv', 'text/plain'],
    { parseAs: 'buffer', bodyLimit: options.csvLimit ?? DEFAULT_CSV_LIMIT },
    (_request, body, done) => done(null, body),
  );
  // Security headers on every response; the Content-Security-Policy is strict (own origin only, no
  // inline script) for the web app. The docs UI gets its own policy from @fastify/swagger-ui.
  await app.register(fastifyHelmet, {
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'"],
        imgSrc: ["'self'", 'data:'],
        fontSrc: ["'self'"],
        connectSrc: ["'self'"],
        objectSrc: ["'none'"],
        baseUri: ["'self'"],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
      },
    },
    frameguard: { action: 'deny' },
    referrerPolicy: { policy: 'no-referrer' },
  });
  app.addHook('onSend', async (request, reply) => {
    // Built assets carry a content hash in their names, so they never change; the rest may.
    const immutable = request.url.startsWith('/assets/') && reply.statusCode === 200;
    void reply.header('cache-control', immutable ? 'public, max-age=31536000, immutable' : 'no-store');
  });

  await app.register(fastifySwagger, {
    openapi: OPENAPI_BASE,
    transform: jsonSchemaTransform,
    transformObject: (input) => finishDocument(jsonSchemaTransformObject(input), app.routeAccess),
  });
  await publicScope(app, async (scope) => {
    await scope.register(fastifySwaggerUi, { routePrefix: '/api/docs/ui', staticCSP: true });
  });
  app.get('/api/docs', { config: { access: 'public' }, schema: { hide: true } }, () => app.swagger());

  registerAuth(app, services);
  registerNulGuard(app);
  await app.register(healthRoutes(services));
  await app.register(authRoutes(services), { prefix: '/api/v1' });
  await app.register(userRoutes(services), { prefix: '/api/v1' });
  await app.register(accountRoutes(services), { prefix: '/api/v1' });
  await app.register(riskConfigRoutes(services), { prefix: '/api/v1' });
  await app.register(riskCaseRoutes(services), { prefix: '/api/v1' });
  await app.register(worklistViewRoutes(services), { prefix: '/api/v1' });
  await app.register(dataRoutes(services, { importLimit: options.importLimit ?? DEFAULT_IMPORT_LIMIT }), {
    prefix: '/api/v1',
  });
  await app.register(signalRoutes(services), { prefix: '/api/v1' });
  await app.register(healthScoreRoutes(services), { prefix: '/api/v1' });
  await app.register(detectionRoutes(services), { prefix: '/api/v1' });
  await app.register(segmentRoutes(services), { prefix: '/api/v1' });
  await app.register(savedSegmentRoutes(services), { prefix: '/api/v1' });
  await app.register(playRoutes(services), { prefix: '/api/v1' });
  await app.register(kpiRoutes(services), { prefix: '/api/v1' });
  await app.register(riskTrendRoutes(services), { prefix: '/api/v1' });
  await app.register(reportRoutes(services), { prefix: '/api/v1' });
  await app.register(notificationRoutes(services), { prefix: '/api/v1' });
  await app.register(eventRoutes(services), { prefix: '/api/v1' });
  await app.register(emailRoutes(services));
  // The web app's files as they are, or pre-compressed copies when the browser takes them.
  if (servesWebApp)
    await publicScope(app, async (scope) => {
      await scope.register(fastifyStatic, { root: webRoot, preCompressed: true, index: 'index.html' });
    });
  return app;
}

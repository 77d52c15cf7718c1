// Liveness and store check.
import { sql } from 'kysely';
import type { FastifyPluginCallbackZod } from 'fastify-type-provider-zod';
import type { z } from 'zod';
import type { Services } from '../../services';
import { serverHealthResponse } from '../responses';
import { API_VERSION } from '../version';

export const healthRoutes =
  (services: Services): FastifyPluginCallbackZod =>
  (app, _options, done) => {
    app.get(
      '/api/health',
      {
        config: { access: 'public' },
        schema: {
          operationId: 'getHealth',
          response: { 200: serverHealthResponse },
          summary: 'Liveness and store status',
          tags: ['health'],
        },
      },
      async () => {
        await sql`select 1`.execute(services.store.db);
        return {
          status: 'ok',
          version: API_VERSION,
          store: services.store.kind,
        } satisfies z.output<typeof serverHealthResponse>;
      },
    );
    done();
  };

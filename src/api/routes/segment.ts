// Segment-compatible endpoints: point a Segment source or library (host = <retain>/api/v1/segment)
// at Retain with an ingest API token as the write key.
import type { FastifyPluginCallbackZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Services } from '../../services';
import { actorOf } from '../auth-hook';

const message = z.record(z.string(), z.unknown());

export const segmentRoutes =
  (services: Services): FastifyPluginCallbackZod =>
  (app, _options, done) => {
    app.post(
      '/segment/v1/batch',
      {
        config: { access: 'data.import' },
        bodyLimit: 32 * 1024 * 1024,
        schema: {
          tags: ['signals'],
          description:
            'Segment batch: group -> account (groupId = external id), identify -> contact, track -> usage signal ' +
            '(messageId = idempotency key). Authenticate with Bearer <token> or Basic with the token as user name.',
          body: z.object({ batch: z.array(message).min(1) }).passthrough(),
        },
      },
      (request) => services.segment.handle(actorOf(request), request.body.batch),
    );
    for (const type of ['track', 'identify', 'group'] as const) {
      app.post(
        `/segment/v1/${type}`,
        {
          config: { access: 'data.import' },
          schema: { tags: ['signals'], description: `One Segment ${type} call.`, body: message },
        },
        (request) => services.segment.handle(actorOf(request), [{ ...request.body, type }]),
      );
    }
    done();
  };

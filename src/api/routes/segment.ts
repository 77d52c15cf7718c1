// Segment-compatible endpoints under /api/v1/segment/v1: the HTTP tracking API's paths (`batch`,
// `track`, `identify`, `group`, `page`, `screen`, `alias`, and `import` for batch) and the short
// ones analytics.js posts to (`b`, `t`, `i`, `g`, `p`, `s`, `a`). The write key is an ingest API
// token, sent as Basic user name (analytics-node, RudderStack), as Bearer, or as the body's
// `writeKey` (analytics.js). Bodies may be gzip, deflate or br, and JSON sent as text/plain.
import type { PassThrough } from 'node:stream';
import type { FastifyPluginCallbackZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { SEGMENT_TYPES, type SegmentType } from '../../domain/segment-spec';
import type { Services } from '../../services';
import { actorOf } from '../auth-hook';
import { decoderFor, decompressed } from '../content-coding';
import { segmentRejectionsResponse, segmentReportSchema } from '../responses';

const BATCH_LIMIT = 32 * 1024 * 1024;
const message = z.record(z.string(), z.unknown());
const batchBody = z
  .object({
    batch: z.array(z.unknown()),
    sentAt: z.unknown().optional(),
    writeKey: z.string().optional(),
  })
  .passthrough();

const SHORT: Readonly<Record<SegmentType, string>> = {
  track: 't',
  identify: 'i',
  group: 'g',
  page: 'p',
  screen: 's',
  alias: 'a',
};

const DESCRIPTION =
  'group -> account (groupId = external id, traits as attributes), identify -> contact, alias -> one user, ' +
  'track / page / screen -> usage signal with its properties (messageId = idempotency key). Each message is ' +
  'read on its own: the answer counts what was written and names each refused message, which is also kept ' +
  'at GET /segment/rejections. Authenticate with an ingest token: Basic (token as user name), Bearer, or the ' +
  "body's writeKey.";

const capitalised = (path: string) => `${path.charAt(0).toUpperCase()}${path.slice(1)}`;

export const segmentRoutes =
  (services: Services): FastifyPluginCallbackZod =>
  (app, _options, done) => {
    // Every body is JSON, whatever it is labelled: analytics.js sends text/plain (to stay a simple
    // cross-origin request) and RudderStack's gzip bodies go out with axios's form label.
    // A `__proto__` or `constructor.prototype` key is dropped, not a reason to refuse the batch.
    const json = app.getDefaultJsonParser('remove', 'remove');
    app.removeContentTypeParser(['application/json', 'text/plain']);
    app.addContentTypeParser('application/json', { parseAs: 'string' }, json);
    app.addContentTypeParser(
      ['text/plain', 'application/x-www-form-urlencoded'],
      { parseAs: 'string' },
      json,
    );
    app.addContentTypeParser('*', { parseAs: 'string' }, json);
    app.addHook('preParsing', async (request, _reply, payload) => {
      const coded = decoderFor(request.headers['content-encoding']);
      if (!coded) return payload;
      // The body limit counts both what was sent and what it inflates to.
      const inflated: PassThrough & { receivedEncodedLength?: number } = decompressed(
        payload,
        coded.decoder,
        coded.coding,
      );
      inflated.receivedEncodedLength = 0;
      payload.on('data', (chunk: Buffer) => {
        inflated.receivedEncodedLength = (inflated.receivedEncodedLength ?? 0) + chunk.length;
      });
      return inflated;
    });
    // Browsers send from the customer's own pages; the answer carries no data of Retain's.
    app.addHook('onSend', async (request, reply) => {
      if (request.method === 'POST') void reply.header('access-control-allow-origin', '*');
    });

    const config = { access: 'data.import', writeKeyInBody: true } as const;
    for (const path of ['batch', 'import', 'b']) {
      app.post(
        `/segment/v1/${path}`,
        {
          config,
          bodyLimit: BATCH_LIMIT,
          schema: {
            tags: ['signals'],
            operationId: `segment${capitalised(path)}`,
            summary: path === 'batch' ? 'Segment batch' : `Segment batch (/${path})`,
            description: DESCRIPTION,
            body: batchBody,
            response: { 200: segmentReportSchema },
          },
        },
        (request) =>
          services.segment.handle(actorOf(request), request.body.batch, { sentAt: request.body.sentAt }),
      );
    }
    for (const type of SEGMENT_TYPES) {
      for (const path of [type, SHORT[type]]) {
        app.post(
          `/segment/v1/${path}`,
          {
            config,
            schema: {
              tags: ['signals'],
              operationId: `segment${capitalised(path)}`,
              summary: path === type ? `One Segment ${type} call` : `One Segment ${type} call (/${path})`,
              description: `${DESCRIPTION} A refused call is 422 SIGNALS_INVALID.`,
              body: message,
              response: { 200: segmentReportSchema },
            },
          },
          (request) => {
            // The write key is a credential, not part of the call.
            const { writeKey: _key, ...call } = request.body;
            return services.segment.handle(actorOf(request), [{ ...call, type }], { single: true });
          },
        );
      }
    }
    app.get(
      '/segment/rejections',
      {
        // Admins only: the log holds what every sender sent, and ingest keys may sit in web pages.
        config: { access: 'config.write' },
        schema: {
          operationId: 'listSegmentRejections',
          summary: 'Refused Segment messages',
          tags: ['signals'],
          description: 'Messages refused in the last 30 days, newest first, with the field and the reason.',
          querystring: z.object({
            limit: z.coerce.number().int().min(1).max(500).default(100),
            before: z.coerce.number().int().min(1).optional(),
          }),
          response: { 200: segmentRejectionsResponse },
        },
      },
      async (request) => ({ items: await services.segment.rejections(request.query) }),
    );
    done();
  };

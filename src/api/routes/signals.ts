// Signals in (batches of JSON records) and out (an account's raw signals and daily rollups).
import type { FastifyPluginCallbackZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { INPUT_LIMITS } from '../../domain/input-limits';
import { SIGNAL_KINDS } from '../../domain/signals';
import { TOUCHPOINT_CHANNELS, TOUCHPOINT_OUTCOMES, TOUCHPOINT_REASONS } from '../../domain/touchpoint';
import type { Services } from '../../services';
import { MAX_SIGNAL_BATCH } from '../../services/signals';
import { actorOf } from '../auth-hook';
import { ingestReportSchema, rollupsResponse, signalSchema, signalsResponse } from '../responses';
import { calendarDate, idParams, queryFlag } from '../schemas';

export const signalRoutes =
  (services: Services): FastifyPluginCallbackZod =>
  (app, _options, done) => {
    app.post(
      '/signals',
      {
        config: { access: 'data.import' },
        bodyLimit: 32 * 1024 * 1024,
        schema: {
          operationId: 'ingestSignals',
          response: { 200: ingestReportSchema },
          summary: 'Ingest a batch of signals',
          tags: ['signals'],
          description:
            `Ingest up to ${MAX_SIGNAL_BATCH} signals: { kind, account (external id), occurredAt, idempotencyKey?, data }. ` +
            'All or nothing: one invalid record rejects the batch with every error named. Records whose ' +
            'idempotency key is already stored are skipped and counted as duplicates.',
          querystring: z.object({
            createAccounts: queryFlag.default(false).describe('create placeholder accounts for unknown ids'),
          }),
          // Records are validated one by one by the service so every error names its record.
          body: z.object({ signals: z.array(z.unknown()).min(1) }),
        },
      },
      (request) =>
        services.signals.ingest(actorOf(request), request.body.signals, {
          source: 'api',
          createAccounts: request.query.createAccounts,
        }),
    );

    app.get(
      '/accounts/:id/signals',
      {
        config: { access: 'read' },
        schema: {
          operationId: 'listAccountSignals',
          response: { 200: signalsResponse },
          summary: "An account's signals",
          tags: ['signals'],
          params: idParams,
          querystring: z.object({
            kind: z.enum(SIGNAL_KINDS).optional(),
            before: z.iso.datetime({ offset: true }).optional(),
            limit: z.coerce.number().int().min(1).max(1000).default(100),
          }),
        },
      },
      async (request) => ({
        items: await services.signals.listForAccount(request.params.id, request.query),
      }),
    );

    app.post(
      '/accounts/:id/touchpoints',
      {
        config: { access: 'case.write' },
        schema: {
          operationId: 'logTouchpoint',
          response: { 201: signalSchema },
          summary: 'Log a touchpoint with the account',
          tags: ['signals'],
          description:
            'A meeting, call or message with the customer, written as a `touchpoint` signal (reason "Risk" ' +
            'counts as a risk touchpoint). For whoever may work the account’s case: its CSM, their lead, an admin.',
          params: idParams,
          body: z
            .object({
              occurredAt: z.iso
                .datetime({ offset: true })
                .optional()
                .describe('When it happened; now when left out. Not in the future'),
              channel: z.enum(TOUCHPOINT_CHANNELS),
              reason: z.enum(TOUCHPOINT_REASONS),
              outcome: z.enum(TOUCHPOINT_OUTCOMES).optional(),
              note: z.string().max(INPUT_LIMITS.signal.note).optional(),
            })
            .strict(),
        },
      },
      async (request, reply) =>
        reply
          .status(201)
          .send(await services.signals.logTouchpoint(actorOf(request), request.params.id, request.body)),
    );

    app.get(
      '/accounts/:id/rollups',
      {
        config: { access: 'read' },
        schema: {
          operationId: 'listAccountRollups',
          response: { 200: rollupsResponse },
          summary: "An account's daily rollups",
          tags: ['signals'],
          params: idParams,
          querystring: z.object({
            metric: z
              .string()
              .max(500)
              .transform((value) => value.split(',').filter(Boolean))
              .optional(),
            from: calendarDate.optional(),
            to: calendarDate.optional(),
          }),
        },
      },
      async (request) => ({
        items: await services.signals.rollups(request.params.id, {
          metrics: request.query.metric,
          fromDay: request.query.from,
          toDay: request.query.to,
        }),
      }),
    );
    done();
  };

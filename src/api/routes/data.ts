// CSV imports and exports of accounts, contacts and cases.
import { Readable } from 'node:stream';
import type { FastifyPluginCallbackZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { AppError } from '../../domain/errors';
import type { Services } from '../../services';
import { parseMappingOption } from '../../services/csv-mapping';
import { actorOf } from '../auth-hook';
import { queryFlag } from '../schemas';

const importQuery = z.object({
  partial: queryFlag.default(false),
  dryRun: queryFlag
    .default(false)
    .describe('Validate every row and report what would be created or updated, writing nothing'),
  map: z
    .string()
    .max(10_000)
    .optional()
    .describe('Header=field pairs, comma separated, e.g. "Acct=externalId,Plan=tier"'),
});

function csvBody(body: unknown): Readable {
  if (!Buffer.isBuffer(body)) {
    throw new AppError(
      'UNSUPPORTED_MEDIA_TYPE',
      'Send the CSV file as the request body with Content-Type: text/csv.',
    );
  }
  return Readable.from([body]);
}

export const dataRoutes =
  (services: Services): FastifyPluginCallbackZod =>
  (app, _options, done) => {
    app.post(
      '/imports/signals',
      {
        config: { access: 'data.import' },
        schema: {
          tags: ['data'],
          description:
            'Import signals from a CSV body: account, kind, occurred_at, idempotency_key, and one column per data field.',
          querystring: importQuery.extend({ createAccounts: queryFlag.default(false) }),
        },
      },
      (request) =>
        services.imports.importSignals(actorOf(request), csvBody(request.body), {
          partial: request.query.partial,
          dryRun: request.query.dryRun,
          createAccounts: request.query.createAccounts,
          ...(request.query.map !== undefined && { mapping: parseMappingOption(request.query.map) }),
        }),
    );

    for (const kind of ['accounts', 'contacts'] as const) {
      app.post(
        `/imports/${kind}`,
        {
          config: { access: 'data.import' },
          schema: {
            tags: ['data'],
            description: `Import ${kind} from a CSV body (Content-Type: text/csv). All or nothing unless partial=true.`,
            querystring: importQuery,
          },
        },
        (request) => {
          const options = {
            partial: request.query.partial,
            dryRun: request.query.dryRun,
            ...(request.query.map !== undefined && { mapping: parseMappingOption(request.query.map) }),
          };
          const actor = actorOf(request);
          const input = csvBody(request.body);
          return kind === 'accounts'
            ? services.imports.importAccounts(actor, input, options)
            : services.imports.importContacts(actor, input, options);
        },
      );
    }

    app.get(
      '/exports/:kind',
      {
        config: { access: 'read' },
        schema: {
          tags: ['data'],
          params: z.object({ kind: z.enum(['accounts', 'contacts', 'cases']) }),
          querystring: z.object({
            format: z.enum(['csv', 'json']).default('csv'),
            raw: queryFlag
              .default(false)
              .describe(
                'CSV only: write cells verbatim, for machines that read the file back. By default a cell ' +
                  "starting with =, +, -, @, tab or carriage return gets a leading ' so spreadsheets show it as text",
              ),
          }),
        },
      },
      (request, reply) => {
        const { kind } = request.params;
        const { format, raw } = request.query;
        const chunks =
          kind === 'accounts'
            ? services.exports.accounts(format, { raw })
            : kind === 'contacts'
              ? services.exports.contacts(format, { raw })
              : services.exports.cases(format, { raw });
        void reply
          .header(
            'content-type',
            format === 'csv' ? 'text/csv; charset=utf-8' : 'application/json; charset=utf-8',
          )
          .header('content-disposition', `attachment; filename="${kind}.${format}"`);
        return reply.send(Readable.from(chunks));
      },
    );
    done();
  };

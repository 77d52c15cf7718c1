// CSV imports and exports of accounts, contacts and cases.
import { Readable } from 'node:stream';
import multipart from '@fastify/multipart';
import type { FastifyRequest } from 'fastify';
import type { FastifyPluginCallbackZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { AppError } from '../../domain/errors';
import type { Services } from '../../services';
import { parseMappingOption } from '../../services/csv-mapping';
import { IMPORT_KINDS, savedMappingInput } from '../../services/import-mappings';
import { tooLarge } from '../../services/import-encoding';
import { actorOf, mayRead } from '../auth-hook';
import { decoderFor, decompressed } from '../content-coding';
import {
  exportResponse,
  importReportSchema,
  noContent,
  savedMappingSchema,
  savedMappingsResponse,
  signalImportReportSchema,
} from '../responses';
import { spooled, spooledFormFile } from '../upload-spool';
import { queryFlag } from '../schemas';
import { accountSelectionQuery, accountSort } from './accounts';

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
  locale: z
    .string()
    .max(40)
    .optional()
    .describe(
      'How the file writes numbers and dates, e.g. en-US (1,234.50 and M/D/YYYY) or de-DE (1.234,50 and D.M.YYYY). ' +
        'Without it, a value that could be read two ways (2.000, 03/04/2026) is refused with its line and column',
    ),
  savedMapping: z
    .string()
    .max(100)
    .optional()
    .describe(
      'The name of a saved mapping (PUT /import-mappings/{kind}/{name}): its columns, locale and encoding, ' +
        'under what map, locale and encoding say',
    ),
  encoding: z
    .string()
    .max(40)
    .optional()
    .describe(
      "The file's encoding, e.g. windows-1252 for Excel's CSV on Windows or utf-16le. Without it the file " +
        'must be UTF-8; other bytes are refused with their line and column (IMPORT_ENCODING)',
    ),
});

export interface DataRouteOptions {
  /** The largest import, in bytes. */
  importLimit: number;
}

/**
 * The uploaded file, spooled: the request body (text/csv), or the one file of a multipart form.
 * Refused at once when the request says it is over the limit.
 */
function uploaded<T>(
  request: FastifyRequest,
  limit: number,
  use: (file: Readable) => Promise<T>,
): Promise<T> {
  const length = Number(request.headers['content-length']);
  // A form's boundaries and field headers add a little to its file.
  const slack = request.isMultipart() ? 64 * 1024 : 0;
  if (Number.isFinite(length) && length > limit + slack) {
    throw tooLarge(limit);
  }
  if (request.isMultipart()) return spooledFormFile(request, limit, use);
  const body = request.body;
  if (!(body instanceof Readable)) {
    throw new AppError(
      'UNSUPPORTED_MEDIA_TYPE',
      'Send the CSV file as the request body with Content-Type: text/csv, or as the file of a multipart/form-data form.',
    );
  }
  // A compressed body is read as the file it holds; the limit counts the file's own bytes.
  const coded = decoderFor(request.headers['content-encoding']);
  return spooled(coded ? decompressed(body, coded.decoder, coded.coding) : body, limit, use);
}

/**
 * The import's options from its query; the file's encoding is `encoding`, else the charset of its
 * Content-Type (`text/csv; charset=windows-1252`), else UTF-8.
 */
function fileOptions(request: FastifyRequest, query: { encoding?: string | undefined }, limit: number) {
  const charset = /;\s*charset\s*=\s*"?([^";\s]+)"?/i.exec(request.headers['content-type'] ?? '')?.[1];
  const encoding = query.encoding ?? charset;
  return { maxBytes: limit, ...(encoding !== undefined && { encoding }) };
}

export const dataRoutes =
  (services: Services, options: DataRouteOptions): FastifyPluginCallbackZod =>
  (app, _options, done) => {
    // Imports take the body as a stream (the rest of the API reads CSV bodies whole).
    app.removeContentTypeParser(['text/csv', 'text/plain']);
    app.addContentTypeParser(['text/csv', 'text/plain'], (_request, payload, parsed) =>
      parsed(null, payload),
    );
    // Browsers' forms and `curl -F`: the file is read from the form as it arrives (see `uploaded`).
    void app.register(multipart);
    // An import that ended before the end of its file (refused, over the limit) leaves the rest
    // unread: the connection closes after the answer instead of waiting for bytes nobody reads.
    app.addHook('onSend', (request, reply, payload, next) => {
      const body =
        request.body instanceof Readable ? request.body : request.isMultipart() ? request.raw : null;
      if (body && !body.readableEnded) {
        void reply.header('connection', 'close');
        reply.raw.once('finish', () => body.destroy());
      }
      next(null, payload);
    });
    const limit = options.importLimit;
    app.post(
      '/imports/signals',
      {
        config: { access: 'data.import', csvBody: true },
        schema: {
          operationId: 'importSignals',
          summary: 'Import signals from CSV',
          tags: ['data'],
          description:
            'Import signals from a CSV body: account, kind, occurred_at, idempotency_key, and one column per data field.',
          querystring: importQuery.extend({ createAccounts: queryFlag.default(false) }),
          response: { 200: signalImportReportSchema },
        },
      },
      async (request) => {
        const actor = actorOf(request);
        const options = await services.importMappings.applyTo(actor, 'signals', request.query.savedMapping, {
          ...fileOptions(request, request.query, limit),
          partial: request.query.partial,
          dryRun: request.query.dryRun,
          createAccounts: request.query.createAccounts,
          ...(request.query.map !== undefined && { mapping: parseMappingOption(request.query.map) }),
          ...(request.query.locale !== undefined && { locale: request.query.locale }),
        });
        const report = await uploaded(request, limit, (file) =>
          services.imports.importSignals(actor, file, options),
        );
        // An ingest token pushes data in and reads nothing: it hears how many cases opened, not which.
        return mayRead(request) || !report.detection
          ? report
          : { ...report, detection: { ...report.detection, opened: [] } };
      },
    );

    for (const kind of ['accounts', 'contacts'] as const) {
      app.post(
        `/imports/${kind}`,
        {
          config: { access: 'data.import', csvBody: true },
          schema: {
            tags: ['data'],
            operationId: kind === 'accounts' ? 'importAccounts' : 'importContacts',
            summary: `Import ${kind} from CSV`,
            description: `Import ${kind} from a CSV body (Content-Type: text/csv). All or nothing unless partial=true.`,
            querystring: importQuery,
            response: { 200: importReportSchema },
          },
        },
        async (request) => {
          const actor = actorOf(request);
          const importOptions = await services.importMappings.applyTo(
            actor,
            kind,
            request.query.savedMapping,
            {
              ...fileOptions(request, request.query, limit),
              partial: request.query.partial,
              dryRun: request.query.dryRun,
              ...(request.query.map !== undefined && { mapping: parseMappingOption(request.query.map) }),
              ...(request.query.locale !== undefined && { locale: request.query.locale }),
            },
          );
          return uploaded(request, limit, (file) =>
            kind === 'accounts'
              ? services.imports.importAccounts(actor, file, importOptions)
              : services.imports.importContacts(actor, file, importOptions),
          );
        },
      );
    }

    const mappingParams = z.object({ kind: z.enum(IMPORT_KINDS), name: z.string().trim().min(1).max(100) });
    app.get(
      '/import-mappings',
      {
        config: { access: 'config.write' },
        schema: {
          operationId: 'listImportMappings',
          summary: 'Saved import mappings',
          tags: ['data'],
          description: 'Every saved mapping, or those of one kind of import.',
          querystring: z.object({ kind: z.enum(IMPORT_KINDS).optional() }),
          response: { 200: savedMappingsResponse },
        },
      },
      async (request) => ({
        items: await services.importMappings.list(actorOf(request), request.query.kind),
      }),
    );
    app.get(
      '/import-mappings/:kind/:name',
      {
        config: { access: 'config.write' },
        schema: {
          operationId: 'getImportMapping',
          summary: 'A saved import mapping',
          tags: ['data'],
          params: mappingParams,
          response: { 200: savedMappingSchema },
        },
      },
      (request) => services.importMappings.get(actorOf(request), request.params.kind, request.params.name),
    );
    app.put(
      '/import-mappings/:kind/:name',
      {
        config: { access: 'config.write' },
        schema: {
          operationId: 'saveImportMapping',
          summary: 'Save an import mapping by name',
          tags: ['data'],
          description:
            'Creates the mapping (201), or replaces it when `version` is the one it was read at (200); ' +
            'a missing or stale version is 409 VERSION_CONFLICT, so two people never overwrite each other.',
          params: mappingParams,
          body: savedMappingInput,
          response: { 200: savedMappingSchema, 201: savedMappingSchema },
        },
      },
      async (request, reply) => {
        const { mapping, created } = await services.importMappings.save(
          actorOf(request),
          request.params.kind,
          request.params.name,
          request.body,
        );
        return reply.code(created ? 201 : 200).send(mapping);
      },
    );
    app.delete(
      '/import-mappings/:kind/:name',
      {
        config: { access: 'config.write' },
        schema: {
          operationId: 'deleteImportMapping',
          summary: 'Delete a saved import mapping',
          tags: ['data'],
          params: mappingParams,
          response: { 204: noContent },
        },
      },
      async (request, reply) => {
        await services.importMappings.remove(actorOf(request), request.params.kind, request.params.name);
        return reply.code(204).send();
      },
    );

    app.get(
      '/exports/:kind',
      {
        config: { access: 'read' },
        schema: {
          operationId: 'exportCsv',
          summary: 'Export accounts, contacts or cases as CSV',
          description:
            'Accounts take the account list’s parameters (q, filter, sort, dir, …): the file then holds ' +
            'exactly the accounts the list selects, on every page, in its order. Without them, every ' +
            'account in id order. Contacts and cases take none of them (400 VALIDATION_FAILED).',
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
            ...accountSelectionQuery,
            sort: accountSort.optional(),
          }),
          response: { 200: exportResponse },
        },
      },
      async (request, reply) => {
        const { kind } = request.params;
        const { format, raw, ...selection } = request.query;
        const given = Object.entries(selection).flatMap(([key, value]) => (value === undefined ? [] : [key]));
        const selecting = given.length > 0;
        if (selecting && kind !== 'accounts')
          throw new AppError(
            'VALIDATION_FAILED',
            `Only the accounts export takes ${given.join(', ')}; ${kind} are exported whole.`,
            { field: given[0] },
          );
        const chunks =
          kind === 'accounts'
            ? selecting
              ? await services.exports.selectedAccounts(format, { raw }, selection)
              : services.exports.accounts(format, { raw })
            : kind === 'contacts'
              ? services.exports.contacts(format, { raw })
              : services.exports.cases(format, { raw });
        void reply
          .header(
            'content-type',
            format === 'csv' ? 'text/csv; charset=utf-8' : 'application/json; charset=utf-8',
          )
          .header('content-disposition', `attachment; filename="${kind}.${format}"`);
        return Readable.from(chunks);
      },
    );
    done();
  };

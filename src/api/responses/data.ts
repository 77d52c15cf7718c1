// Data in and out: import reports, saved import mappings, exports, what a Segment batch did and
// which messages it refused, and the email addresses that unsubscribed.
import { Readable } from 'node:stream';
import { z } from 'zod';
import type { Suppression } from '../../services/email-preferences';
import { IMPORT_KINDS, type SavedMapping } from '../../services/import-mappings';
import type { ImportDetection, ImportReport, SignalImportReport } from '../../services/imports';
import type { SegmentRejection, SegmentReport } from '../../services/segment';
import { exactly, id, listOf, timestamp } from './shared';

const count = z.number().int();

export const importReportSchema = exactly<ImportReport>()(
  z
    .object({
      rows: count.describe('Data rows read (footer and blank rows not counted)'),
      created: count,
      updated: count,
      unchanged: count,
      rejected: count.describe('Rows with at least one error'),
      errors: z
        .array(z.object({ line: count, column: z.string().nullable(), message: z.string() }))
        .describe('The first errors, each with its line and column'),
      errorCount: count.describe('Every error, listed or not'),
      columns: z
        .array(z.object({ header: z.string(), target: z.string() }))
        .describe('What each column became: a field, attribute:<name> or ignore'),
      lookalikes: z
        .array(z.object({ column: z.string(), field: z.string(), message: z.string() }))
        .describe('Columns kept as attributes whose header looks like a field no column fills'),
      dryRun: z.boolean(),
      footer: z
        .array(z.object({ line: count, text: z.string() }))
        .describe("A report's footer rows, set aside and not imported"),
    })
    .meta({ id: 'ImportReport' }),
);

export const importDetectionSchema = exactly<ImportDetection>()(
  z
    .object({
      scored: count.describe('Accounts re-scored'),
      casesOpened: count,
      casesUpdated: count.describe('Open cases that gained evidence or a reason'),
      recovered: count.describe('Cases detection had opened that closed as recovered'),
      opened: z
        .array(
          z.object({
            caseId: id,
            accountId: id,
            account: z.string().describe("The account's external id"),
            accountName: z.string(),
            openedAt: timestamp,
            reasons: z.array(z.string()).describe('Reason names'),
          }),
        )
        .describe('The cases opened, oldest first (the first 100)'),
    })
    .meta({ id: 'ImportDetection' }),
);

export const signalImportReportSchema = exactly<SignalImportReport>()(
  importReportSchema
    .extend({
      createdAccounts: z.array(z.string()).describe('External ids of the placeholder accounts created'),
      detection: importDetectionSchema
        .nullable()
        .describe('What detection did once the import committed; null for a dry run'),
    })
    .meta({ id: 'SignalImportReport' }),
);

export const savedMappingSchema = exactly<SavedMapping>()(
  z
    .object({
      id,
      kind: z.enum(IMPORT_KINDS),
      name: z.string(),
      columns: z
        .record(z.string(), z.string())
        .describe('Header: field, attribute, attribute:<name> or ignore'),
      locale: z.string().nullable(),
      encoding: z.string().nullable(),
      updatedBy: z.string().nullable(),
      createdAt: timestamp,
      updatedAt: timestamp,
      version: z
        .number()
        .int()
        .describe('Send it back to replace the mapping; 409 VERSION_CONFLICT when it moved on'),
    })
    .meta({ id: 'SavedMapping' }),
);

export const savedMappingsResponse = listOf(savedMappingSchema);

/** A file streamed as it is written (never held whole in memory), documented as what it holds. */
const streamed = (description: string, shape: Record<string, unknown>) =>
  z.custom<Readable>((value) => value instanceof Readable).meta({ ...shape, description });

/** An export: the CSV file, or the same rows as a JSON array. */
export const exportResponse = {
  description: 'The rows, as a file to save (Content-Disposition: attachment).',
  content: {
    'text/csv': { schema: streamed('format=csv (the default)', { type: 'string' }) },
    'application/json': {
      schema: streamed('format=json: one object a row', { type: 'array', items: { type: 'object' } }),
    },
  },
};

export const segmentReportSchema = exactly<SegmentReport>()(
  z
    .object({
      received: count,
      accepted: count,
      rejected: count.describe('Messages refused; the rest of the batch is kept'),
      accountsCreated: count,
      accountsUpdated: count,
      contacts: count,
      contactsPending: count.describe('Contacts of users whose account is not known yet: written when it is'),
      signalsInserted: count,
      duplicates: count.describe('Messages whose messageId was already stored'),
      errors: z
        .array(z.object({ index: count, field: z.string(), message: z.string() }))
        .describe('Why each refused message was refused (the first 100)'),
    })
    .meta({ id: 'SegmentReport' }),
);

export const segmentRejectionsResponse = listOf(
  exactly<SegmentRejection>()(
    z
      .object({
        id,
        receivedAt: timestamp,
        messageId: z.string().nullable(),
        type: z.string().nullable(),
        field: z.string(),
        message: z.string(),
        excerpt: z.string().describe('The start of the message as sent, with any write key left out'),
      })
      .meta({ id: 'SegmentRejection' }),
  ),
);

export const suppressionsResponse = listOf(
  exactly<Suppression>()(
    z
      .object({
        email: z.string(),
        source: z.string().describe('one_click (the mail client) or page (the unsubscribe page)'),
        createdAt: timestamp,
      })
      .meta({ id: 'EmailSuppression' }),
  ),
);

/** The unsubscribe pages are for people: HTML. */
export const htmlPage = {
  description: 'A page for the recipient.',
  content: { 'text/html': { schema: z.string() } },
};

// CSV import of accounts and contacts. Streams the file, validates every row, and writes in batches
// inside one transaction: a file with a bad row writes nothing unless partial mode is asked for,
// in which case the good rows land and the bad ones are reported by line and column.
import type { Readable } from 'node:stream';
import { CsvError, parse } from 'csv-parse';
import type { Kysely } from 'kysely';
import { diffFields, type AccountFields, type Attributes } from '../domain/account';
import { AppError } from '../domain/errors';
import { assertCan, type Actor } from '../domain/policy';
import type { User } from '../domain/user';
import { parseCalendarDate, parseEmail, parseFlag, parseMoney, type Parsed } from '../domain/values';
import { AccountRepository, type ContactFields } from '../store/account.repository';
import { AuditRepository, type NewAuditEntry } from '../store/audit.repository';
import type { Database } from '../store/schema';
import { UserRepository } from '../store/user.repository';
import { parseSignal, type Signal } from '../domain/signals';
import { inBulkTransaction, type ServiceContext } from './context';
import { decodeImport } from './import-encoding';
import { futureError, writeSignals, type SignalService } from './signals';
import { attributeIssues, INPUT_LIMITS } from '../domain/input-limits';
import {
  ACCOUNT_CELL_LIMITS,
  accountMapping,
  cellLimitErrors,
  CONTACT_CELL_LIMITS,
  camelCase,
  contactMapping,
  signalMapping,
  type SignalTarget,
  type AccountTarget,
  type ColumnTarget,
  type ContactTarget,
} from './csv-mapping';

export interface ImportOptions {
  /** Header -> field name, `attribute`, `attribute:<name>` or `ignore`. */
  mapping?: Record<string, string>;
  /** Import the good rows and report the bad ones instead of writing nothing. */
  partial?: boolean;
  /** Called after each batch with the number of data rows read so far. */
  onProgress?: (rowsRead: number) => void;
  /** Validate every row and count what would change, then write nothing. */
  dryRun?: boolean;
  /** The file's encoding (a WHATWG label); UTF-8, strictly checked, when absent. */
  encoding?: string;
  /** The most bytes the file may have. */
  maxBytes?: number;
}

export interface RowError {
  line: number;
  column: string | null;
  message: string;
}

export interface ImportReport {
  rows: number;
  created: number;
  updated: number;
  unchanged: number;
  rejected: number;
  errors: RowError[];
  /** Error lines beyond the first MAX_REPORTED_ERRORS are counted, not listed. */
  errorCount: number;
  /** What each column of the file became: a field, `attribute:<name>` or `ignore`. */
  columns: { header: string; target: string }[];
  /** True when nothing was written: the counts say what the import would do. */
  dryRun: boolean;
}

/** Thrown at the end of a dry run to roll back everything it wrote. */
class DryRunDone extends Error {}

const BATCH_SIZE = 200;
/** The widest file read: far more than any CRM export, and it bounds the report's column list. */
const MAX_COLUMNS = 1000;
const MAX_REPORTED_ERRORS = 1000;

interface PendingRow<T> {
  line: number;
  value: T;
}

/** Validates one CSV record; returns the row or the cells that are wrong. */
type RowParser<T> = (cells: readonly string[], line: number) => { value: T } | { errors: RowError[] };

/**
 * Writes a batch of valid rows; returns per-row errors found only against the store. With `dryRun`
 * (an all-or-nothing import that is already doomed) it only looks for those errors.
 */
type BatchWriter<T> = (
  db: Kysely<Database>,
  batch: PendingRow<T>[],
  report: ImportReport,
  dryRun: boolean,
) => Promise<RowError[]>;

export class ImportService {
  constructor(
    private readonly context: ServiceContext,
    private readonly signals: SignalService,
  ) {}

  async importAccounts(actor: Actor, input: Readable, options: ImportOptions = {}): Promise<ImportReport> {
    assertCan(actor, 'data.import');
    const now = this.context.clock.now();
    return this.run(input, options, async (db, headers) => {
      const mapping = accountMapping(headers, options.mapping);
      const columnOf = (field: AccountTarget) => {
        const index = mapping.findIndex((target) => target.kind === 'field' && target.field === field);
        return index < 0 ? null : { index, header: headers[index] ?? field };
      };
      requireColumns(headers, mapping, ['externalId', 'name']);
      const users = new Map((await new UserRepository(db).listUsers()).map((user) => [user.email, user]));
      const teams = new Map(
        (await new UserRepository(db).listTeams()).map((team) => [team.name.toLowerCase(), team.id]),
      );
      const seen = new Map<string, number>();

      const parseRow: RowParser<AccountRowValue> = (cells, line) => {
        const tooLong = cellLimitErrors(headers, mapping, cells, ACCOUNT_CELL_LIMITS);
        if (tooLong.length > 0) return { errors: tooLong.map((error) => ({ line, ...error })) };
        const errors: RowError[] = [];
        const cell = (field: AccountTarget) => {
          const column = columnOf(field);
          return column ? { text: (cells[column.index] ?? '').trim(), header: column.header } : null;
        };
        /** Parses a mapped cell: undefined when the file has no such column, `empty` for a blank cell. */
        const check = <V>(
          field: AccountTarget,
          parser: (text: string) => Parsed<V>,
          empty: V,
        ): V | undefined => {
          const found = cell(field);
          if (!found) return undefined;
          if (found.text === '') return empty;
          const parsed = parser(found.text);
          if (parsed.ok) return parsed.value;
          errors.push({ line, column: found.header, message: parsed.message });
          return undefined;
        };
        const externalId = cell('externalId');
        const name = cell('name');
        if (!externalId?.text)
          errors.push({ line, column: externalId?.header ?? null, message: 'external id is empty' });
        if (!name?.text) errors.push({ line, column: name?.header ?? null, message: 'name is empty' });
        if (externalId?.text) {
          const first = seen.get(externalId.text);
          if (first !== undefined) {
            errors.push({
              line,
              column: externalId.header,
              message: `external id "${externalId.text}" repeats line ${first}`,
            });
          } else seen.set(externalId.text, line);
        }
        const owner = check<User | null>(
          'ownerEmail',
          (text) => {
            const email = parseEmail(text);
            if (!email.ok) return email;
            const user = users.get(email.value);
            return user
              ? { ok: true, value: user }
              : { ok: false, message: `no user with email "${email.value}"` };
          },
          null,
        );
        const teamId = check<number | null>(
          'team',
          (text) => {
            const id = teams.get(text.toLowerCase());
            return id === undefined
              ? { ok: false, message: `no team named "${text}"` }
              : { ok: true, value: id };
          },
          null,
        );
        const value: AccountRowValue = {
          externalId: externalId?.text ?? '',
          name: name?.text ?? '',
          attributes: {},
          ownerId: owner === undefined ? undefined : (owner?.id ?? null),
          // Without a team of its own, an account joins its owner's team.
          teamId: teamId ?? (owner ? owner.teamId : teamId),
          tier: cell('tier') ? cell('tier')?.text || null : undefined,
          arr: check('arr', parseMoney, 0),
          renewalDate: check<string | null>('renewalDate', parseCalendarDate, null),
          lifecycleStage: cell('lifecycleStage') ? cell('lifecycleStage')?.text || null : undefined,
        };
        if (errors.length > 0) return { errors };
        mapping.forEach((target, index) => {
          const text = (cells[index] ?? '').trim();
          if (target.kind === 'attribute' && text !== '') value.attributes[target.name] = text;
        });
        return { value };
      };

      const writeBatch: BatchWriter<AccountRowValue> = async (trx, batch, report, dryRun) => {
        if (dryRun) return [];
        const repo = new AccountRepository(trx);
        const existing = await repo.findManyByExternalId(batch.map((row) => row.value.externalId));
        const toWrite: AccountFields[] = [];
        const audit: { externalId: string; changes: Record<string, unknown>; created: boolean }[] = [];
        const errors: RowError[] = [];
        for (const { line, value } of batch) {
          const before = existing.get(value.externalId);
          if (!before) {
            const fields = withDefaults(value);
            report.created += 1;
            toWrite.push(fields);
            audit.push({ externalId: fields.externalId, changes: { ...fields }, created: true });
            continue;
          }
          const changes = {
            ...definedOnly(value),
            attributes: { ...before.attributes, ...value.attributes },
          };
          const tooMany = mergedAttributesError(line, changes.attributes);
          if (tooMany) {
            errors.push(tooMany);
            continue;
          }
          const diff = diffFields<AccountFields>(before, changes);
          if (Object.keys(diff).length === 0) {
            report.unchanged += 1;
            continue;
          }
          report.updated += 1;
          toWrite.push({ ...withDefaults(before), ...changes });
          audit.push({ externalId: value.externalId, changes: diff, created: false });
        }
        const ids = await repo.upsertMany(toWrite, now);
        const entries: NewAuditEntry[] = audit.map(({ externalId, changes, created }) => {
          const id = ids.get(externalId) ?? null;
          return {
            entityType: 'account',
            entityId: id ?? externalId,
            accountId: id,
            action: created ? 'imported' : 'import_updated',
            changes,
          };
        });
        await new AuditRepository(trx).append(actor, now, entries);
        return errors;
      };
      return { parseRow, writeBatch, mapping };
    });
  }

  async importContacts(actor: Actor, input: Readable, options: ImportOptions = {}): Promise<ImportReport> {
    assertCan(actor, 'data.import');
    const now = this.context.clock.now();
    return this.run(input, options, (_db, headers) => {
      const mapping = contactMapping(headers, options.mapping);
      const columnOf = (field: ContactTarget) => {
        const index = mapping.findIndex((target) => target.kind === 'field' && target.field === field);
        return index < 0 ? null : { index, header: headers[index] ?? field };
      };
      requireColumns(headers, mapping, ['accountExternalId', 'email']);
      const seen = new Map<string, number>();
      type ContactRow = Omit<ContactFields, 'accountId'> & { accountExternalId: string };

      const parseRow: RowParser<ContactRow> = (cells, line) => {
        const tooLong = cellLimitErrors(headers, mapping, cells, CONTACT_CELL_LIMITS);
        if (tooLong.length > 0) return { errors: tooLong.map((error) => ({ line, ...error })) };
        const errors: RowError[] = [];
        const cell = (field: ContactTarget) => {
          const column = columnOf(field);
          return column ? { text: (cells[column.index] ?? '').trim(), header: column.header } : null;
        };
        const account = cell('accountExternalId');
        const emailCell = cell('email');
        if (!account?.text)
          errors.push({ line, column: account?.header ?? null, message: 'account external id is empty' });
        const email = emailCell ? parseEmail(emailCell.text) : null;
        if (!email?.ok)
          errors.push({
            line,
            column: emailCell?.header ?? null,
            message: email?.ok === false ? email.message : 'email is empty',
          });
        const championCell = cell('isChampion');
        const champion = championCell ? parseFlag(championCell.text) : ({ ok: true, value: false } as const);
        if (!champion.ok)
          errors.push({ line, column: championCell?.header ?? null, message: champion.message });
        if (account?.text && email?.ok) {
          const key = `${account.text}|${email.value}`;
          const first = seen.get(key);
          if (first !== undefined)
            errors.push({
              line,
              column: emailCell?.header ?? null,
              message: `contact repeats line ${first}`,
            });
          else seen.set(key, line);
        }
        if (errors.length > 0 || !email?.ok || !champion.ok) return { errors };
        const attributes: Attributes = {};
        mapping.forEach((target, index) => {
          const text = (cells[index] ?? '').trim();
          if (target.kind === 'attribute' && text !== '') attributes[target.name] = text;
        });
        const fullName =
          cell('name')?.text || [cell('firstName')?.text, cell('lastName')?.text].filter(Boolean).join(' ');
        if (fullName.length > INPUT_LIMITS.contact.name)
          return {
            errors: [
              {
                line,
                column: cell('name')?.header ?? cell('firstName')?.header ?? null,
                message: `the full name is ${fullName.length} characters long; at most ${INPUT_LIMITS.contact.name} are allowed`,
              },
            ],
          };
        return {
          value: {
            accountExternalId: account?.text ?? '',
            email: email.value,
            name: fullName || null,
            role: cell('role')?.text || null,
            isChampion: champion.value,
            attributes,
          },
        };
      };

      const writeBatch: BatchWriter<ContactRow> = async (trx, batch, report, dryRun) => {
        const repo = new AccountRepository(trx);
        const accounts = await repo.findManyByExternalId([
          ...new Set(batch.map((row) => row.value.accountExternalId)),
        ]);
        const errors: RowError[] = [];
        const resolved: { line: number; fields: ContactFields }[] = [];
        for (const { line, value } of batch) {
          const account = accounts.get(value.accountExternalId);
          if (!account) {
            errors.push({
              line,
              column: columnOf('accountExternalId')?.header ?? null,
              message: `no account with external id "${value.accountExternalId}"`,
            });
            continue;
          }
          const { accountExternalId: _ignored, ...rest } = value;
          resolved.push({ line, fields: { ...rest, accountId: account.id } });
        }
        if (dryRun) return errors;
        const existing = await repo.findContactsByKey(resolved.map(({ fields }) => fields));
        const toWrite: ContactFields[] = [];
        const entries: NewAuditEntry[] = [];
        for (const { line, fields } of resolved) {
          const before = existing.get(`${fields.accountId}|${fields.email}`);
          const merged = before
            ? { ...fields, attributes: { ...before.attributes, ...fields.attributes } }
            : fields;
          const tooMany = mergedAttributesError(line, merged.attributes);
          if (tooMany) {
            errors.push(tooMany);
            continue;
          }
          const changes = before ? diffFields(before, merged) : { ...merged };
          if (before && Object.keys(changes).length === 0) {
            report.unchanged += 1;
            continue;
          }
          if (before) report.updated += 1;
          else report.created += 1;
          toWrite.push(merged);
          entries.push({
            entityType: 'contact',
            entityId: before?.id ?? fields.email,
            accountId: fields.accountId,
            action: before ? 'import_updated' : 'imported',
            changes,
          });
        }
        await repo.upsertContacts(toWrite, ['name', 'role', 'isChampion', 'attributes'], now);
        await new AuditRepository(trx).append(actor, now, entries);
        return errors;
      };
      return Promise.resolve({ parseRow, writeBatch, mapping });
    });
  }

  /**
   * Imports signals from CSV: one row a signal, envelope columns (account, kind, occurred_at,
   * idempotency_key) by name and every other non-empty cell a field of the signal's data.
   */
  async importSignals(
    actor: Actor,
    input: Readable,
    options: ImportOptions & { createAccounts?: boolean } = {},
  ): Promise<ImportReport & { createdAccounts: string[] }> {
    assertCan(actor, 'data.import');
    const now = this.context.clock.now();
    const accountIds = new Set<number>();
    const createdAccounts: string[] = [];
    const report = await this.run(input, options, (_db, headers) => {
      const mapping = signalMapping(headers, options.mapping);
      requireColumns(headers, mapping, ['account', 'kind', 'occurredAt']);
      const envelope = (field: SignalTarget) =>
        mapping.findIndex((target) => target.kind === 'field' && target.field === field);
      const columns = {
        account: envelope('account'),
        kind: envelope('kind'),
        occurredAt: envelope('occurredAt'),
      };
      const keyColumn = envelope('idempotencyKey');
      const dataColumns = mapping.flatMap((target, index) =>
        target.kind === 'attribute'
          ? [{ index, field: camelCase(target.name), header: headers[index] ?? '' }]
          : [],
      );
      const headerOf = (field: string) => {
        if (Object.hasOwn(columns, field)) return headers[columns[field as keyof typeof columns]] ?? field;
        if (field === 'idempotencyKey') return headers[keyColumn] ?? field;
        const name = field.startsWith('data.') ? field.slice('data.'.length) : field;
        return dataColumns.find((column) => column.field === name)?.header ?? field;
      };

      const parseRow: RowParser<Signal> = (cells, line) => {
        const data: Record<string, string> = {};
        for (const column of dataColumns) {
          const text = (cells[column.index] ?? '').trim();
          if (text !== '') data[column.field] = text;
        }
        const key = keyColumn >= 0 ? (cells[keyColumn] ?? '').trim() : '';
        const parsed = parseSignal(
          {
            account: (cells[columns.account] ?? '').trim(),
            kind: (cells[columns.kind] ?? '').trim(),
            occurredAt: (cells[columns.occurredAt] ?? '').trim(),
            ...(key !== '' && { idempotencyKey: key }),
            data,
          },
          'csv',
        );
        if (!parsed.ok) {
          return {
            errors: parsed.issues.map((issue) => ({
              line,
              column: headerOf(issue.field),
              message: issue.message,
            })),
          };
        }
        const future = futureError(parsed.signal, now);
        if (future) return { errors: [{ line, column: headerOf(future.field), message: future.message }] };
        return { value: parsed.signal };
      };

      const writeBatch: BatchWriter<Signal> = async (trx, batch, report, dryRun) => {
        const result = await writeSignals(
          trx,
          actor,
          now,
          batch.map((row) => ({ ref: row.line, signal: row.value })),
          { source: 'csv', createAccounts: options.createAccounts ?? false, dryRun },
        );
        report.created += result.inserted;
        report.unchanged += result.duplicates;
        createdAccounts.push(...result.createdAccounts);
        for (const id of result.accountIds) accountIds.add(id);
        return result.rejected.map((rejected) => ({
          line: rejected.ref,
          column: headerOf(rejected.field),
          message: rejected.message,
        }));
      };
      return Promise.resolve({ parseRow, writeBatch, mapping });
    });
    if (!report.dryRun) await this.signals.notify(accountIds);
    return { ...report, createdAccounts };
  }

  /** The shared pipeline: parse, validate, batch, write, and decide whether to commit. */
  private async run<T>(
    input: Readable,
    options: ImportOptions,
    setup: (
      db: Kysely<Database>,
      headers: string[],
    ) => Promise<{
      parseRow: RowParser<T>;
      writeBatch: BatchWriter<T>;
      mapping: readonly ColumnTarget<string>[];
    }>,
  ): Promise<ImportReport> {
    const dryRun = options.dryRun ?? false;
    const report: ImportReport = {
      rows: 0,
      created: 0,
      updated: 0,
      unchanged: 0,
      rejected: 0,
      errors: [],
      errorCount: 0,
      columns: [],
      dryRun,
    };
    const addErrors = (errors: readonly RowError[]) => {
      const lines = new Set(errors.map((error) => error.line));
      report.rejected += lines.size;
      report.errorCount += errors.length;
      for (const error of errors) if (report.errors.length < MAX_REPORTED_ERRORS) report.errors.push(error);
    };
    const decoder = decodeImport({
      ...(options.encoding !== undefined && { encoding: options.encoding }),
      ...(options.maxBytes !== undefined && { maxBytes: options.maxBytes }),
    });
    const parser = input.pipe(decoder).pipe(
      parse({
        bom: true,
        relax_column_count: true,
        skip_empty_lines: true,
        info: true,
        max_record_size: 1_000_000,
      }),
    );
    // Errors reach the loop below through the async iterator; these listeners only make sure a
    // late or repeated 'error' event never escapes as an unhandled one.
    input.on('error', (error) => decoder.destroy(error));
    decoder.on('error', (error) => parser.destroy(error));
    parser.on('error', () => undefined);
    try {
      await inBulkTransaction(this.context, async (db) => {
        let headers: string[] | null = null;
        let pipeline: Awaited<ReturnType<typeof setup>> | null = null;
        let batch: PendingRow<T>[] = [];
        const flush = async () => {
          if (!pipeline || batch.length === 0) return;
          // Once the import is doomed (atomic mode with errors), only validation continues. A dry
          // run writes every valid row, to count what would change, and rolls it all back.
          const doomed = !options.partial && !dryRun && report.errorCount > 0;
          addErrors(await pipeline.writeBatch(db, batch, report, doomed));
          batch = [];
          options.onProgress?.(report.rows);
          await pause();
        };
        for await (const chunk of parser as AsyncIterable<{ record: string[]; info: { lines: number } }>) {
          const { record, info } = chunk;
          if (headers === null) {
            if (record.length > MAX_COLUMNS)
              throw new AppError(
                'IMPORT_INVALID',
                `The header has ${record.length.toLocaleString('en-US')} columns; at most ` +
                  `${MAX_COLUMNS.toLocaleString('en-US')} are read. Remove the columns you do not import.`,
                { line: 1, errors: [] },
              );
            headers = record.map((header) => header.trim());
            pipeline = await setup(db, headers);
            report.columns = describeColumns(headers, pipeline.mapping);
            continue;
          }
          report.rows += 1;
          if (record.length !== headers.length) {
            addErrors([
              {
                line: info.lines,
                column: null,
                message: `has ${record.length} cells, the header has ${headers.length}`,
              },
            ]);
            continue;
          }
          const result = pipeline?.parseRow(record, info.lines);
          if (!result) continue;
          if ('errors' in result) addErrors(result.errors);
          else batch.push({ line: info.lines, value: result.value });
          if (batch.length >= BATCH_SIZE) await flush();
          else if (report.rows % BATCH_SIZE === 0) await pause();
        }
        await flush();
        if (headers === null)
          throw new AppError('IMPORT_INVALID', 'The file is empty: no header row.', { line: 1 });
        if (dryRun) throw new DryRunDone();
        if (report.errorCount > 0 && !options.partial) {
          report.created = report.updated = report.unchanged = 0;
          throw importInvalid(report);
        }
      });
    } catch (error) {
      if (error instanceof DryRunDone) return report;
      if (error instanceof CsvError) {
        const line = Number(error.lines);
        throw new AppError('IMPORT_INVALID', `Line ${line}: ${error.message}`, {
          errors: [{ line, column: null, message: error.message }],
          errorCount: 1,
        });
      }
      throw error;
    }
    return report;
  }
}

/**
 * Lets the server answer other requests: a big file is parsed, validated and written in slices of
 * BATCH_SIZE rows, never in one long stretch of the event loop.
 */
function pause(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** A row whose attributes, merged with those the record has, go over the attribute limits. */
function mergedAttributesError(line: number, attributes: Attributes): RowError | null {
  const [tooMany] = attributeIssues(attributes);
  return tooMany
    ? { line, column: null, message: `with those it has, the attributes ${tooMany.message}` }
    : null;
}

function importInvalid(report: ImportReport): AppError {
  const first = report.errors[0];
  const where = first
    ? `line ${first.line}${first.column ? `, column "${first.column}"` : ''}: ${first.message}`
    : '';
  return new AppError(
    'IMPORT_INVALID',
    `Nothing was imported: ${report.rejected} of ${report.rows} rows are invalid (first at ${where}). Fix them or import with partial mode.`,
    { errors: report.errors, errorCount: report.errorCount, rows: report.rows, rejected: report.rejected },
  );
}

function describeColumns(
  headers: readonly string[],
  mapping: readonly ColumnTarget<string>[],
): ImportReport['columns'] {
  return headers.map((header, index) => {
    const target = mapping[index];
    return {
      header,
      target:
        target === undefined || target.kind === 'ignore'
          ? 'ignore'
          : target.kind === 'field'
            ? target.field
            : `attribute:${target.name}`,
    };
  });
}

function requireColumns<T extends string>(
  headers: readonly string[],
  mapping: ColumnTarget<T>[],
  fields: T[],
): void {
  for (const field of fields) {
    if (!mapping.some((target) => target.kind === 'field' && target.field === field)) {
      throw new AppError('IMPORT_MAPPING_INVALID', `No column maps to required field "${field}".`, {
        field,
        columns: headers,
      });
    }
  }
}

/** A parsed account row: only the fields the file has columns for are set. */
type AccountRowValue = Partial<AccountFields> & Pick<AccountFields, 'externalId' | 'name' | 'attributes'>;

function definedOnly<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

function withDefaults(
  fields: Partial<AccountFields> & Pick<AccountFields, 'externalId' | 'name'>,
): AccountFields {
  return {
    ownerId: fields.ownerId ?? null,
    teamId: fields.teamId ?? null,
    tier: fields.tier ?? null,
    arr: fields.arr ?? 0,
    renewalDate: fields.renewalDate ?? null,
    lifecycleStage: fields.lifecycleStage ?? null,
    attributes: fields.attributes ?? {},
    externalId: fields.externalId,
    name: fields.name,
  };
}

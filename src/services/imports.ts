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
import {
  LOCALE_TAGS,
  parseCalendarDate,
  parseEmail,
  parseFlag,
  parseMoney,
  valueLocale,
  type Parsed,
  type ValueLocale,
} from '../domain/values';
import { AccountRepository, type ContactFields } from '../store/account.repository';
import { AuditRepository, type NewAuditEntry } from '../store/audit.repository';
import type { Database } from '../store/schema';
import { UserRepository } from '../store/user.repository';
import { parseSignal, type Signal } from '../domain/signals';
import { inBulkTransaction, type ServiceContext } from './context';
import { decodeImport } from './import-encoding';
import type { RiskConfigService } from './risk-config';
import {
  futureError,
  writeSignals,
  type IngestEvaluation,
  type PendingSignal,
  type SignalService,
} from './signals';
import { RiskCaseRepository } from '../store/risk-case.repository';
import { SignalRepository } from '../store/signal.repository';
import { attributeIssues, INPUT_LIMITS, preview } from '../domain/input-limits';
import {
  ACCOUNT_CELL_LIMITS,
  accountLookalikes,
  accountMapping,
  cellLimitErrors,
  CONTACT_CELL_LIMITS,
  camelCase,
  contactLookalikes,
  contactMapping,
  type Lookalike,
  signalMapping,
  type SignalTarget,
  type AccountTarget,
  type ColumnTarget,
  type ContactTarget,
} from './csv-mapping';

export interface ImportOptions {
  /** Header -> field name, `attribute`, `attribute:<name>` or `ignore`. */
  mapping?: Record<string, string>;
  /**
   * The headers of `mapping` that come from a saved mapping: one a file does not have is passed
   * over (a later export may drop a column), where a column named by hand must be in the file.
   */
  savedColumns?: readonly string[];
  /** Import the good rows and report the bad ones instead of writing nothing. */
  partial?: boolean;
  /** Called after each batch with the number of data rows read so far. */
  onProgress?: (rowsRead: number) => void;
  /** Validate every row and count what would change, then write nothing. */
  dryRun?: boolean;
  /** The file's encoding (a WHATWG label); UTF-8, strictly checked, when absent. */
  encoding?: string;
  /**
   * How the file writes numbers and dates (`en-US`, `de-DE` …); the import locale of Settings when
   * absent. Without either, a value that could be read two ways (`2.000`, `03/04/2026`) is refused.
   */
  locale?: string;
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
  /** Columns kept as attributes whose header looks like a field no column fills: map them, or ignore. */
  lookalikes: Lookalike[];
  /** True when nothing was written: the counts say what the import would do. */
  dryRun: boolean;
  /** Rows of a report's footer (Salesforce's Grand Totals, Confidential, Copyright), not imported. */
  footer: { line: number; text: string }[];
}

/** What detection did with the signals an import wrote. */
export interface ImportDetection {
  /** Accounts re-scored. */
  scored: number;
  casesOpened: number;
  /** Open cases that gained evidence or a reason. */
  casesUpdated: number;
  /** Cases detection had opened that closed as recovered. */
  recovered: number;
  /** The cases opened, oldest first (at most MAX_LISTED_CASES of them). */
  opened: {
    caseId: number;
    accountId: number;
    account: string;
    accountName: string;
    openedAt: string;
    reasons: string[];
  }[];
}

export interface SignalImportReport extends ImportReport {
  /** External ids of the placeholder accounts created. */
  createdAccounts: string[];
  /** What detection did after the import committed; null when nothing was written. */
  detection: ImportDetection | null;
}

const MAX_LISTED_CASES = 100;

/** Sums what several evaluations did and names the cases they opened. */
export async function describeDetection(
  db: Kysely<Database>,
  evaluations: readonly (IngestEvaluation | null)[],
): Promise<ImportDetection> {
  const done = evaluations.filter((evaluation) => evaluation !== null);
  const sum = (of: (evaluation: IngestEvaluation) => number) =>
    done.reduce((total, evaluation) => total + of(evaluation), 0);
  const ids = done.flatMap((evaluation) => evaluation.detection.openedCases).slice(0, MAX_LISTED_CASES);
  const cases = new RiskCaseRepository(db);
  const [found, reasons] = await Promise.all([
    ids.length > 0 ? cases.findCases({ status: 'all', ids }) : [],
    cases.reasonsOf(ids),
  ]);
  return {
    scored: sum((evaluation) => evaluation.scored),
    casesOpened: sum((evaluation) => evaluation.detection.casesOpened),
    casesUpdated: sum((evaluation) => evaluation.detection.casesUpdated),
    recovered: sum((evaluation) => evaluation.detection.recovered),
    opened: found
      .sort((a, b) => a.openedAt.localeCompare(b.openedAt) || a.id - b.id)
      .map((found) => ({
        caseId: found.id,
        accountId: found.accountId,
        account: found.account.externalId,
        accountName: found.account.name,
        openedAt: found.openedAt,
        reasons: (reasons.get(found.id) ?? []).map((reason) => reason.name),
      })),
  };
}

/** The first cell of a report footer row, as CRM report exports write them. */
const FOOTER =
  /^(grand totals?\b|totals?\b|subtotal|confidential information|copyright\b|©|\(c\) |generated by\b|filtered by\b)/i;

/** A footer row: its first cell says so and the rest are empty. */
function footerText(record: readonly string[]): string | null {
  const [first = '', ...rest] = record.map((cell) => cell.trim());
  return FOOTER.test(first) && rest.every((cell) => cell === '') ? first : null;
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
    private readonly config: RiskConfigService,
  ) {}

  async importAccounts(actor: Actor, input: Readable, options: ImportOptions = {}): Promise<ImportReport> {
    assertCan(actor, 'data.import');
    const now = this.context.clock.now();
    const locale = importLocale(options.locale ?? (await this.config.settings()).importLocale ?? undefined);
    return this.run(input, options, async (db, headers) => {
      const mapping = accountMapping(headers, mappingFor(headers, options));
      const columnOf = (field: AccountTarget) => {
        const index = mapping.findIndex((target) => target.kind === 'field' && target.field === field);
        return index < 0 ? null : { index, header: headers[index] ?? field };
      };
      requireColumns(headers, mapping, ['externalId', 'name']);
      const everyone = await new UserRepository(db).listUsers();
      const users = new Map(everyone.map((user) => [user.email, user]));
      const byName = new Map<string, User[]>();
      for (const user of everyone) {
        const key = user.name.trim().toLowerCase();
        byName.set(key, [...(byName.get(key) ?? []), user]);
      }
      const ownerOf = (text: string): Parsed<User> => {
        if (text.includes('@')) {
          const email = parseEmail(text);
          if (!email.ok) return email;
          const user = users.get(email.value);
          return user
            ? { ok: true, value: user }
            : { ok: false, message: `no user with email "${email.value}"` };
        }
        const named = byName.get(text.trim().toLowerCase()) ?? [];
        const [only] = named;
        if (named.length === 1 && only) return { ok: true, value: only };
        return {
          ok: false,
          message:
            named.length === 0
              ? `no user named "${text}": add them in Settings, or give the owner's email`
              : `${named.length} users are named "${text}": give the owner's email instead`,
        };
      };
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
        // CRM exports name the owner ("Account Owner", "Company owner") or give their email.
        const owner = check<User | null>('ownerEmail', (text) => ownerOf(text), null);
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
          arr: check('arr', (text) => parseMoney(text, locale), 0),
          renewalDate: check<string | null>('renewalDate', (text) => parseCalendarDate(text, locale), null),
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
      return {
        parseRow,
        writeBatch,
        mapping,
        lookalikes: accountLookalikes(headers, mapping, options.mapping),
      };
    });
  }

  async importContacts(actor: Actor, input: Readable, options: ImportOptions = {}): Promise<ImportReport> {
    assertCan(actor, 'data.import');
    const now = this.context.clock.now();
    return this.run(input, options, (_db, headers) => {
      const mapping = contactMapping(headers, mappingFor(headers, options));
      const columnOf = (field: ContactTarget) => {
        const index = mapping.findIndex((target) => target.kind === 'field' && target.field === field);
        return index < 0 ? null : { index, header: headers[index] ?? field };
      };
      requireColumns(headers, mapping, ['accountExternalId', 'email']);
      const seen = new Map<string, number>();
      // A contact may belong to several accounts: HubSpot's "Associated Company IDs" lists them with ";".
      type ContactRow = Omit<ContactFields, 'accountId'> & { accountExternalIds: string[] };

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
        const accountIds = [
          ...new Set(
            (account?.text ?? '')
              .split(';')
              .map((id) => id.trim())
              .filter(Boolean),
          ),
        ];
        if (email?.ok) {
          for (const id of accountIds) {
            const key = `${id}|${email.value}`;
            const first = seen.get(key);
            if (first !== undefined) {
              errors.push({
                line,
                column: emailCell?.header ?? null,
                message: `contact repeats line ${first}`,
              });
              break;
            }
            seen.set(key, line);
          }
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
            accountExternalIds: accountIds,
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
          ...new Set(batch.flatMap((row) => row.value.accountExternalIds)),
        ]);
        const errors: RowError[] = [];
        const resolved: { line: number; fields: ContactFields }[] = [];
        for (const { line, value } of batch) {
          const { accountExternalIds, ...rest } = value;
          const missing = accountExternalIds.filter((id) => !accounts.has(id));
          if (missing.length > 0) {
            errors.push({
              line,
              column: columnOf('accountExternalId')?.header ?? null,
              message: `no account with external id ${missing.map((id) => `"${id}"`).join(', ')}`,
            });
            continue;
          }
          for (const id of accountExternalIds) {
            const account = accounts.get(id);
            if (account) resolved.push({ line, fields: { ...rest, accountId: account.id } });
          }
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
      return Promise.resolve({
        parseRow,
        writeBatch,
        mapping,
        lookalikes: contactLookalikes(headers, mapping, options.mapping),
      });
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
  ): Promise<SignalImportReport> {
    const { report, accountIds, createdAccounts } = await this.signalRun(actor, input, options);
    const evaluation = report.dryRun ? null : await this.signals.notify(accountIds);
    return {
      ...report,
      createdAccounts,
      detection: report.dryRun ? null : await describeDetection(this.context.store.db, [evaluation]),
    };
  }

  /**
   * Reads and checks a signal file as a dry run does, writing nothing, and hands back its good
   * signals with their lines: what a historical backfill writes day by day.
   */
  async readSignals(
    actor: Actor,
    input: Readable,
    options: ImportOptions & { createAccounts?: boolean } = {},
  ): Promise<{ report: ImportReport; signals: PendingSignal<number>[] }> {
    const read: PendingSignal<number>[] = [];
    const { report, headerOf } = await this.signalRun(actor, input, { ...options, dryRun: true }, (rows) =>
      read.push(...rows),
    );
    // The store's checks run once over the whole file in time order, writing nothing: a payment
    // naming its invoice by id alone finds the invoice wherever the file holds it.
    read.sort((a, b) => a.signal.occurredAt.localeCompare(b.signal.occurredAt) || a.ref - b.ref);
    const { rejected } = await writeSignals(this.context.store.db, actor, this.context.clock.now(), read, {
      source: 'csv',
      createAccounts: options.createAccounts ?? false,
      dryRun: true,
    });
    const refused = new Set(rejected.map((entry) => entry.ref));
    report.rejected += refused.size;
    report.errorCount += rejected.length;
    report.errors = [
      ...report.errors,
      ...rejected.map((entry) => ({
        line: entry.ref,
        column: headerOf(entry.field),
        message: entry.message,
      })),
    ]
      .sort((a, b) => a.line - b.line)
      .slice(0, MAX_REPORTED_ERRORS);
    const signals = read.filter((pending) => !refused.has(pending.ref));
    // What the writes will count: a key stored already, or met before in the file, is a duplicate.
    const keys = signals.flatMap(({ signal }) => (signal.idempotencyKey ? [signal.idempotencyKey] : []));
    const stored = await new SignalRepository(this.context.store.db).existingKeys(keys);
    const met = new Set<string>();
    report.created = signals.filter(({ signal }) => {
      const key = signal.idempotencyKey;
      if (!key) return true;
      if (stored.has(key) || met.has(key)) return false;
      met.add(key);
      return true;
    }).length;
    report.unchanged = signals.length - report.created;
    return { report, signals };
  }

  private async signalRun(
    actor: Actor,
    input: Readable,
    options: ImportOptions & { createAccounts?: boolean },
    /** Receives each batch's valid signals instead of writing them (the store's checks are left to the caller). */
    collect?: (rows: PendingSignal<number>[]) => void,
  ): Promise<{
    report: ImportReport;
    accountIds: Set<number>;
    createdAccounts: string[];
    /** The file's header for a signal field. */
    headerOf: (field: string) => string;
  }> {
    assertCan(actor, 'data.import');
    const now = this.context.clock.now();
    const locale = importLocale(options.locale ?? (await this.config.settings()).importLocale ?? undefined);
    const accountIds = new Set<number>();
    let headerOf: (field: string) => string = (field) => field;
    const createdAccounts: string[] = [];
    const report = await this.run(input, options, (_db, headers) => {
      const mapping = signalMapping(headers, mappingFor(headers, options));
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
      headerOf = (field: string) => {
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
          locale,
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
        if (collect) {
          collect(batch.map((row) => ({ ref: row.line, signal: row.value })));
          return [];
        }
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
    return { report, accountIds, createdAccounts, headerOf };
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
      lookalikes?: Lookalike[];
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
      lookalikes: [],
      dryRun,
      footer: [],
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
        const footerRows: { record: string[]; line: number; text: string }[] = [];
        const readRow = (record: string[], line: number) => {
          report.rows += 1;
          if (!headers || record.length !== headers.length) {
            addErrors([
              {
                line,
                column: null,
                message: `has ${record.length} cells, the header has ${headers?.length ?? 0}`,
              },
            ]);
            return;
          }
          const result = pipeline?.parseRow(record, line);
          if (!result) return;
          if ('errors' in result) addErrors(result.errors);
          else batch.push({ line, value: result.value });
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
            report.lookalikes = pipeline.lookalikes ?? [];
            continue;
          }
          // A row of empty cells (a report's `""` spacer line) holds no data.
          if (record.every((cell) => cell.trim() === '')) continue;
          const footer = footerText(record);
          if (footer !== null) {
            // A footer only if nothing but footer follows it: held until the file says which.
            footerRows.push({ record, line: info.lines, text: footer });
            // A real footer is a few rows; a long run of them is data.
            if (footerRows.length > 50)
              for (const held of footerRows.splice(0)) readRow(held.record, held.line);
            continue;
          }
          // Data after it: those rows were data after all (an account named "Total Wine"), read as such.
          for (const held of footerRows.splice(0)) readRow(held.record, held.line);
          readRow(record, info.lines);
          if (batch.length >= BATCH_SIZE) await flush();
          else if (report.rows % BATCH_SIZE === 0) await pause();
        }
        await flush();
        report.footer = footerRows.slice(0, 10).map(({ line, text }) => ({ line, text }));
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

export function importInvalid(report: ImportReport): AppError {
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

/** The import's mapping, less the saved mapping's columns this file does not have. */
function mappingFor(headers: readonly string[], options: ImportOptions): Record<string, string> | undefined {
  const saved = new Set(options.savedColumns ?? []);
  if (!options.mapping || saved.size === 0) return options.mapping;
  const present = new Set(headers);
  return Object.fromEntries(
    Object.entries(options.mapping).filter(([header]) => present.has(header) || !saved.has(header)),
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

/** The locale an import names, refused up front when Retain does not know it. */
function importLocale(tag: string | undefined): ValueLocale | undefined {
  if (tag === undefined) return undefined;
  const locale = valueLocale(tag);
  if (!locale)
    throw new AppError(
      'VALIDATION_FAILED',
      `Locale "${preview(tag, 40)}" is not known; use one of ${LOCALE_TAGS.join(', ')}.`,
      {
        field: 'locale',
      },
    );
  return locale;
}

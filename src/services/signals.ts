// Signal ingest: validate a batch, tie each signal to its account, write it once (idempotency keys),
// and keep the daily rollups and due items current in the same transaction.
import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import { bareAccount } from '../domain/account';
import { AppError } from '../domain/errors';
import { assertCan, type Actor } from '../domain/policy';
import type { TouchpointInput } from '../domain/touchpoint';
import {
  dayOf,
  dueItemOf,
  futureIssue,
  headlineValue,
  parseSignal,
  rollupsOf,
  type Signal,
  type SignalIssue,
  type SignalKind,
} from '../domain/signals';
import { AccountRepository } from '../store/account.repository';
import { AuditRepository } from '../store/audit.repository';
import type { Database } from '../store/schema';
import type { DetectionRun } from './detection';
import { SignalRepository, type RollupWrite, type StoredSignal } from '../store/signal.repository';
import { PlayRepository } from '../store/play.repository';
import { inTransaction, type ServiceContext } from './context';

/** Most signals one request may carry; larger loads go through CSV import or several batches. */
export const MAX_SIGNAL_BATCH = 10_000;

export type SignalSource = 'api' | 'csv' | 'segment' | 'demo';

export interface SignalWriteOptions {
  source: SignalSource;
  /** Create a placeholder account for an unknown external id instead of rejecting the signal. */
  createAccounts?: boolean;
}

export interface PendingSignal<R> {
  ref: R;
  signal: Signal;
}

export interface SignalWriteResult<R> {
  inserted: number;
  duplicates: number;
  createdAccounts: string[];
  accountIds: Set<number>;
  rejected: { ref: R; field: string; message: string }[];
}

/**
 * Writes a batch of validated signals inside the caller's transaction. Signals for unknown accounts
 * come back as rejected (unless `createAccounts`); with `dryRun` nothing is written, which is how an
 * all-or-nothing import keeps validating after its first bad record.
 */
export async function writeSignals<R>(
  db: Kysely<Database>,
  actor: Actor,
  now: Date,
  batch: readonly PendingSignal<R>[],
  options: SignalWriteOptions & { dryRun?: boolean },
): Promise<SignalWriteResult<R>> {
  const result: SignalWriteResult<R> = {
    inserted: 0,
    duplicates: 0,
    createdAccounts: [],
    accountIds: new Set(),
    rejected: [],
  };
  const accounts = new AccountRepository(db);
  const externalIds = [...new Set(batch.map((item) => item.signal.account))];
  const ids = new Map<string, number>();
  for (let i = 0; i < externalIds.length; i += 500) {
    const found = await accounts.findManyByExternalId(externalIds.slice(i, i + 500));
    for (const [externalId, account] of found) ids.set(externalId, account.id);
  }
  const unknown = externalIds.filter((externalId) => !ids.has(externalId));
  if (unknown.length > 0 && options.createAccounts && !options.dryRun) {
    const created = await accounts.upsertMany(
      unknown.map((externalId) => bareAccount(externalId, externalId, { createdFrom: 'signal' })),
      now,
    );
    for (const [externalId, id] of created) ids.set(externalId, id);
    await new AuditRepository(db).append(
      actor,
      now,
      [...created].map(([externalId, id]) => ({
        entityType: 'account',
        entityId: id,
        accountId: id,
        action: 'created_from_signal',
        changes: { externalId },
      })),
    );
    result.createdAccounts = unknown;
  }

  const known: (PendingSignal<R> & { accountId: number })[] = [];
  for (const item of batch) {
    const accountId = ids.get(item.signal.account);
    if (accountId !== undefined) known.push({ ...item, accountId });
    else if (!options.createAccounts) {
      result.rejected.push({
        ref: item.ref,
        field: 'account',
        message: `no account with external id "${item.signal.account}"`,
      });
    }
  }
  const completed = await completePayments(db, known, result);
  if (options.dryRun) return result;

  // An idempotency key counts once: against the store, and within the batch itself.
  const repo = new SignalRepository(db);
  const keys = completed.flatMap((item) => (item.signal.idempotencyKey ? [item.signal.idempotencyKey] : []));
  const stored = await repo.existingKeys(keys);
  const seen = new Set<string>();
  const fresh = completed.filter(({ signal }) => {
    const key = signal.idempotencyKey;
    if (key === null) return true;
    if (stored.has(key) || seen.has(key)) return false;
    seen.add(key);
    return true;
  });
  result.duplicates = completed.length - fresh.length;
  const insertedKeys = await repo.insertMany(
    fresh.map(({ signal, accountId }) => ({
      accountId,
      kind: signal.kind,
      occurredAt: signal.occurredAt,
      idempotencyKey: signal.idempotencyKey,
      value: headlineValue(signal),
      data: signal.data,
      source: options.source,
    })),
    now,
  );
  // A key another writer stored in the meantime was skipped by the insert: a duplicate after all.
  const written = fresh.filter(
    ({ signal }) => signal.idempotencyKey === null || insertedKeys.has(signal.idempotencyKey),
  );
  result.duplicates += fresh.length - written.length;
  result.inserted = written.length;

  const rollups: RollupWrite[] = [];
  const due = [];
  for (const { signal, accountId } of written) {
    result.accountIds.add(accountId);
    for (const delta of rollupsOf(signal)) {
      rollups.push({ ...delta, accountId, day: dayOf(signal.occurredAt), at: signal.occurredAt });
    }
    const item = dueItemOf(signal);
    if (item) due.push({ ...item, accountId, at: signal.occurredAt });
  }
  await repo.applyRollups(rollups);
  await repo.upsertDueItems(due);
  await new PlayRepository(db).recordEvents(
    written.flatMap(({ signal, accountId }) =>
      signal.kind === 'touchpoint'
        ? [{ kind: 'touchpoint_logged' as const, accountId, reason: signal.data.reason }]
        : [],
    ),
    now,
  );
  return result;
}

/**
 * A payment may name its invoice by id alone: its due date and amount are the invoice's, from the
 * store or from an earlier record of the batch. A payment of an invoice never sent is refused,
 * naming the record, since its lateness could not be known.
 */
async function completePayments<R>(
  db: Kysely<Database>,
  known: readonly (PendingSignal<R> & { accountId: number })[],
  result: SignalWriteResult<R>,
): Promise<(PendingSignal<R> & { accountId: number })[]> {
  const bare = known.filter(({ signal }) => signal.kind === 'invoice' && signal.data.dueDate === undefined);
  if (bare.length === 0) return [...known];
  const stored = await new SignalRepository(db).dueItems([...new Set(bare.map((item) => item.accountId))]);
  const invoices = new Map<string, { dueDate: string; amount: number | null }>();
  for (const item of stored)
    if (item.kind === 'invoice')
      invoices.set(`${item.accountId}|${item.key}`, { dueDate: item.dueDate, amount: item.amount });
  const completed: (PendingSignal<R> & { accountId: number })[] = [];
  for (const item of known) {
    const { signal } = item;
    if (signal.kind !== 'invoice') {
      completed.push(item);
      continue;
    }
    const key = `${item.accountId}|${signal.data.invoiceId}`;
    if (signal.data.dueDate !== undefined) {
      invoices.set(key, {
        dueDate: signal.data.dueDate,
        amount: signal.data.amount ?? invoices.get(key)?.amount ?? null,
      });
      completed.push(item);
      continue;
    }
    const invoice = invoices.get(key);
    if (!invoice) {
      result.rejected.push({
        ref: item.ref,
        field: 'data.dueDate',
        message: `invoice "${signal.data.invoiceId}" is not known yet: its first record needs a dueDate`,
      });
      continue;
    }
    completed.push({
      ...item,
      signal: {
        ...signal,
        data: {
          ...signal.data,
          dueDate: invoice.dueDate,
          ...(invoice.amount !== null && signal.data.amount === undefined ? { amount: invoice.amount } : {}),
        },
      },
    });
  }
  return completed;
}

export interface IngestReport {
  received: number;
  inserted: number;
  duplicates: number;
  createdAccounts: string[];
}

export interface RecordError {
  /** Position of the record in the batch, from 0. */
  index: number;
  field: string;
  message: string;
}

/** What evaluation did once written signals committed: accounts re-scored, and detection's run. */
export interface IngestEvaluation {
  scored: number;
  detection: DetectionRun;
}

/** Runs after a batch commits, with the accounts whose signals changed: scores, rules, segments. */
export type IngestEvaluator = (accountIds: ReadonlySet<number>) => Promise<IngestEvaluation>;

export class SignalService {
  private evaluator: IngestEvaluator | null = null;

  constructor(private readonly context: ServiceContext) {}

  /** Sets what runs after each committed batch (one evaluator: the services wire it once). */
  evaluateWith(evaluator: IngestEvaluator): void {
    this.evaluator = evaluator;
  }

  /**
   * Evaluates the accounts whose signals were written (also outside `ingest`: CSV import, Segment),
   * and says what that did; null when there was nothing to evaluate.
   */
  async notify(accountIds: ReadonlySet<number>): Promise<IngestEvaluation | null> {
    if (accountIds.size === 0 || !this.evaluator) return null;
    return this.evaluator(accountIds);
  }

  /** Validates and writes a batch of raw records: all of it, or nothing with every error named. */
  async ingest(
    actor: Actor,
    records: readonly unknown[],
    options: SignalWriteOptions = { source: 'api' },
  ): Promise<IngestReport> {
    assertCan(actor, 'data.import');
    if (records.length > MAX_SIGNAL_BATCH) {
      throw new AppError(
        'PAYLOAD_TOO_LARGE',
        `A batch holds at most ${MAX_SIGNAL_BATCH} signals; this one has ${records.length}.`,
        { limit: MAX_SIGNAL_BATCH },
      );
    }
    const now = this.context.clock.now();
    const errors: RecordError[] = [];
    const batch: PendingSignal<number>[] = [];
    records.forEach((raw, index) => {
      const parsed = parseSignal(raw);
      if (!parsed.ok) {
        for (const issue of parsed.issues) errors.push({ index, ...issue });
        return;
      }
      const future = futureError(parsed.signal, now);
      if (future) errors.push({ index, ...future });
      else batch.push({ ref: index, signal: parsed.signal });
    });
    const result = await inTransaction(this.context, async (db) => {
      const written = await writeSignals(db, actor, now, batch, { ...options, dryRun: errors.length > 0 });
      for (const rejected of written.rejected)
        errors.push({ index: rejected.ref, field: rejected.field, message: rejected.message });
      if (errors.length > 0) throw batchInvalid(errors, records.length, { noun: 'signals', list: 'signals' });
      return written;
    });
    await this.notify(result.accountIds);
    return {
      received: records.length,
      inserted: result.inserted,
      duplicates: result.duplicates,
      createdAccounts: result.createdAccounts,
    };
  }

  /**
   * Logs a touchpoint a person had with the account: a `touchpoint` signal written like any other
   * (rollups, plays on touchpoints, detection after commit), by whoever may work the account's case
   * (its CSM, their lead, an admin), with an audit entry naming them.
   */
  async logTouchpoint(actor: Actor, accountId: number, input: TouchpointInput): Promise<StoredSignal> {
    const account = await new AccountRepository(this.context.store.db).findById(accountId);
    if (!account) throw new AppError('ACCOUNT_NOT_FOUND', `No account ${accountId}.`, { accountId });
    assertCan(actor, 'case.write', account);
    const now = this.context.clock.now();
    const key = `touchpoint:${randomUUID()}`;
    const parsed = parseSignal({
      kind: 'touchpoint',
      account: account.externalId,
      occurredAt: input.occurredAt ?? now.toISOString(),
      idempotencyKey: key,
      data: {
        channel: input.channel,
        reason: input.reason,
        ...(input.outcome !== undefined && { outcome: input.outcome }),
        ...(input.note !== undefined && input.note.trim() !== '' && { note: input.note.trim() }),
      },
    });
    const issue = parsed.ok
      ? (futureError(parsed.signal, now) ?? tooOldForHand(parsed.signal, now))
      : (parsed.issues[0] ?? null);
    if (!parsed.ok || issue)
      throw new AppError(
        'VALIDATION_FAILED',
        `${issue?.field ?? 'touchpoint'}: ${issue?.message ?? 'invalid'}`,
        {
          field: issue?.field ?? null,
        },
      );
    const signal = parsed.signal;
    const { written, stored } = await inTransaction(this.context, async (db) => {
      const written = await writeSignals(db, actor, now, [{ ref: 0, signal }], { source: 'api' });
      const stored = await new SignalRepository(db).findByKey(key);
      if (!stored) throw new Error('a touchpoint just written is missing');
      await new AuditRepository(db).append(actor, now, [
        {
          entityType: 'signal',
          entityId: stored.id,
          accountId,
          action: 'touchpoint_logged',
          changes: { occurredAt: signal.occurredAt, ...signal.data },
        },
      ]);
      return { written, stored };
    });
    await this.notify(written.accountIds);
    return stored;
  }

  async listForAccount(
    accountId: number,
    options: { kind?: SignalKind; before?: string; limit: number },
  ): Promise<StoredSignal[]> {
    const account = await new AccountRepository(this.context.store.db).findById(accountId);
    if (!account) throw new AppError('ACCOUNT_NOT_FOUND', `No account ${accountId}.`, { accountId });
    return new SignalRepository(this.context.store.db).listForAccount(accountId, options);
  }

  async rollups(accountId: number, options: { metrics?: string[]; fromDay?: string; toDay?: string }) {
    const account = await new AccountRepository(this.context.store.db).findById(accountId);
    if (!account) throw new AppError('ACCOUNT_NOT_FOUND', `No account ${accountId}.`, { accountId });
    return new SignalRepository(this.context.store.db).rollups({ accountIds: [accountId], ...options });
  }
}

/** A signal stamped in the future is a clock or mapping mistake, not a fact. */
export function futureError(signal: Signal, now: Date): SignalIssue | null {
  return futureIssue(signal.occurredAt, now);
}

/**
 * Rejects a whole batch: every error, sorted by record, under one stable code. `noun` and `list`
 * say what the records are called in the message ("signals", "signals[3]").
 */
export function batchInvalid(
  errors: readonly RecordError[],
  total: number,
  names: { noun: string; list: string },
): AppError {
  const sorted = [...errors].sort((a, b) => a.index - b.index);
  const first = sorted[0];
  const records = new Set(sorted.map((error) => error.index)).size;
  return new AppError(
    'SIGNALS_INVALID',
    `Nothing was written: ${records} of ${total} ${names.noun} are invalid` +
      (first ? ` (first: ${names.list}[${first.index}].${first.field}: ${first.message}).` : '.'),
    { errors: sorted.slice(0, 1000), errorCount: sorted.length },
  );
}

/** How far back a touchpoint may be logged by hand; older history comes in as imported signals. */
const HAND_LOGGED_MAX_AGE_DAYS = 366;

function tooOldForHand(signal: { occurredAt: string }, now: Date): { field: string; message: string } | null {
  const ageMs = now.getTime() - new Date(signal.occurredAt).getTime();
  return ageMs > HAND_LOGGED_MAX_AGE_DAYS * 86_400_000
    ? {
        field: 'occurredAt',
        message: `a touchpoint logged by hand is at most a year old; import older history as signals (${signal.occurredAt})`,
      }
    : null;
}

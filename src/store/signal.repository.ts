// Raw signals, the daily rollups kept up to date as signals are written, and due items.
import { sql, type Kysely, type Selectable } from 'kysely';
import type { DueItem, RollupOp, SignalKind } from '../domain/signals';
import { parseJsonObject } from './json';
import type { Database, SignalTable } from './schema';

export interface NewSignalRow {
  accountId: number;
  kind: SignalKind;
  occurredAt: string;
  idempotencyKey: string | null;
  value: number | null;
  data: Record<string, unknown>;
  source: string;
}

export interface StoredSignal {
  id: number;
  accountId: number;
  kind: SignalKind;
  occurredAt: string;
  receivedAt: string;
  idempotencyKey: string | null;
  value: number | null;
  data: Record<string, unknown>;
  source: string;
}

/** A value written into one account's rollup for one metric on one day. */
export interface RollupWrite {
  accountId: number;
  metric: string;
  op: RollupOp;
  day: string;
  value: number;
  /** When the value was observed; decides which `last` value wins. */
  at: string;
}

export interface RollupRow {
  accountId: number;
  metric: string;
  day: string;
  value: number;
  samples: number;
}

// Rows per statement: far under SQLite's and PostgreSQL's bound-parameter limits.
const CHUNK = 500;

function chunks<T>(rows: readonly T[], size = CHUNK): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < rows.length; i += size) out.push(rows.slice(i, i + size));
  return out;
}

export class SignalRepository {
  constructor(private readonly db: Kysely<Database>) {}

  /**
   * Inserts signals, skipping any whose idempotency key is already stored. Returns the keys that
   * were new, so only their effects are applied (signals without a key are always new).
   */
  async insertMany(rows: readonly NewSignalRow[], receivedAt: Date): Promise<Set<string>> {
    const inserted = new Set<string>();
    const at = receivedAt.toISOString();
    for (const chunk of chunks(rows)) {
      const result = await this.db
        .insertInto('signals')
        .values(
          chunk.map((row) => ({
            account_id: row.accountId,
            kind: row.kind,
            occurred_at: row.occurredAt,
            received_at: at,
            idempotency_key: row.idempotencyKey,
            value: row.value,
            data: JSON.stringify(row.data),
            source: row.source,
          })),
        )
        .onConflict((oc) => oc.column('idempotency_key').where('idempotency_key', 'is not', null).doNothing())
        .returning('idempotency_key')
        .execute();
      for (const row of result) if (row.idempotency_key !== null) inserted.add(row.idempotency_key);
    }
    return inserted;
  }

  /** Which of these idempotency keys are stored already. */
  async existingKeys(keys: readonly string[]): Promise<Set<string>> {
    const found = new Set<string>();
    for (const chunk of chunks(keys)) {
      const rows = await this.db
        .selectFrom('signals')
        .select('idempotency_key')
        .where('idempotency_key', 'in', chunk)
        .execute();
      for (const row of rows) if (row.idempotency_key !== null) found.add(row.idempotency_key);
    }
    return found;
  }

  /** Folds values into the daily rollups: summed, kept at the maximum, or the latest observation. */
  async applyRollups(writes: readonly RollupWrite[]): Promise<void> {
    const combined = new Map<string, RollupWrite & { samples: number }>();
    for (const write of writes) {
      const key = `${write.accountId}|${write.metric}|${write.day}`;
      const current = combined.get(key);
      if (!current) {
        combined.set(key, { ...write, samples: 1 });
        continue;
      }
      current.samples += 1;
      if (write.op === 'sum') current.value += write.value;
      else if (write.op === 'max') current.value = Math.max(current.value, write.value);
      else if (write.at >= current.at) current.value = write.value;
      if (write.at > current.at) current.at = write.at;
    }
    const byOp = new Map<RollupOp, (RollupWrite & { samples: number })[]>();
    for (const row of combined.values()) byOp.set(row.op, [...(byOp.get(row.op) ?? []), row]);
    for (const [op, rows] of byOp) {
      for (const chunk of chunks(rows)) {
        await this.db
          .insertInto('daily_rollups')
          .values(
            chunk.map((row) => ({
              account_id: row.accountId,
              metric: row.metric,
              day: row.day,
              value: row.value,
              samples: row.samples,
              last_at: row.at,
            })),
          )
          .onConflict((oc) =>
            oc.columns(['account_id', 'metric', 'day']).doUpdateSet({
              value:
                op === 'sum'
                  ? sql<number>`daily_rollups.value + excluded.value`
                  : op === 'max'
                    ? sql<number>`case when excluded.value > daily_rollups.value then excluded.value else daily_rollups.value end`
                    : sql<number>`case when excluded.last_at >= daily_rollups.last_at then excluded.value else daily_rollups.value end`,
              samples: sql<number>`daily_rollups.samples + excluded.samples`,
              last_at: sql<string>`case when excluded.last_at > daily_rollups.last_at then excluded.last_at else daily_rollups.last_at end`,
            }),
          )
          .execute();
      }
    }
  }

  /** Records invoices and milestones; a later observation of the same item replaces an earlier one. */
  async upsertDueItems(items: readonly (DueItem & { accountId: number; at: string })[]): Promise<void> {
    // One row per item: of several records of an invoice in one batch (the invoice and its payment),
    // the latest is what the item is now, as across batches (and PostgreSQL updates a row once per
    // statement).
    const latest = new Map<string, DueItem & { accountId: number; at: string }>();
    for (const item of items) {
      const key = `${item.accountId}|${item.kind}|${item.key}`;
      const seen = latest.get(key);
      if (!seen || item.at >= seen.at) latest.set(key, item);
    }
    for (const chunk of chunks([...latest.values()])) {
      await this.db
        .insertInto('due_items')
        .values(
          chunk.map((item) => ({
            account_id: item.accountId,
            kind: item.kind,
            key: item.key,
            due_date: item.dueDate,
            done_date: item.doneDate,
            amount: item.amount,
            updated_at: item.at,
          })),
        )
        .onConflict((oc) =>
          oc
            .columns(['account_id', 'kind', 'key'])
            .doUpdateSet((eb) => ({
              due_date: eb.ref('excluded.due_date'),
              done_date: eb.ref('excluded.done_date'),
              amount: eb.ref('excluded.amount'),
              updated_at: eb.ref('excluded.updated_at'),
            }))
            .where(sql.ref('excluded.updated_at'), '>=', sql.ref('due_items.updated_at')),
        )
        .execute();
    }
  }

  /** The signal stored under an idempotency key. */
  async findByKey(idempotencyKey: string): Promise<StoredSignal | undefined> {
    const row = await this.db
      .selectFrom('signals')
      .selectAll()
      .where('idempotency_key', '=', idempotencyKey)
      .executeTakeFirst();
    return row && toStoredSignal(row);
  }

  /** The account's raw signals, newest first. */
  async listForAccount(
    accountId: number,
    options: { kind?: SignalKind; before?: string; limit: number },
  ): Promise<StoredSignal[]> {
    let query = this.db
      .selectFrom('signals')
      .selectAll()
      .where('account_id', '=', accountId)
      .orderBy('occurred_at', 'desc')
      .orderBy('id', 'desc')
      .limit(options.limit);
    if (options.kind) query = query.where('kind', '=', options.kind);
    if (options.before) query = query.where('occurred_at', '<', options.before);
    const rows = await query.execute();
    return rows.map(toStoredSignal);
  }

  /** Rollup rows of some accounts and metrics between two days, inclusive. */
  async rollups(filter: {
    accountIds?: readonly number[];
    metrics?: readonly string[];
    fromDay?: string;
    toDay?: string;
  }): Promise<RollupRow[]> {
    let query = this.db
      .selectFrom('daily_rollups')
      .select(['account_id', 'metric', 'day', 'value', 'samples'])
      .orderBy('account_id')
      .orderBy('metric')
      .orderBy('day');
    if (filter.accountIds) query = query.where('account_id', 'in', [...filter.accountIds]);
    if (filter.metrics) query = query.where('metric', 'in', [...filter.metrics]);
    if (filter.fromDay) query = query.where('day', '>=', filter.fromDay);
    if (filter.toDay) query = query.where('day', '<=', filter.toDay);
    const rows = await query.execute();
    return rows.map((row) => ({
      accountId: row.account_id,
      metric: row.metric,
      day: row.day,
      value: row.value,
      samples: row.samples,
    }));
  }

  async dueItems(accountIds?: readonly number[]): Promise<(DueItem & { accountId: number })[]> {
    let query = this.db.selectFrom('due_items').selectAll().orderBy('account_id').orderBy('due_date');
    if (accountIds) query = query.where('account_id', 'in', [...accountIds]);
    const rows = await query.execute();
    return rows.map((row) => ({
      accountId: row.account_id,
      kind: row.kind as DueItem['kind'],
      key: row.key,
      dueDate: row.due_date,
      doneDate: row.done_date,
      amount: row.amount,
    }));
  }

  async count(): Promise<{ signals: number; rollups: number; dueItems: number }> {
    const [signals, rollups, dueItems] = await Promise.all([
      this.db
        .selectFrom('signals')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .executeTakeFirstOrThrow(),
      this.db
        .selectFrom('daily_rollups')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .executeTakeFirstOrThrow(),
      this.db
        .selectFrom('due_items')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .executeTakeFirstOrThrow(),
    ]);
    return { signals: Number(signals.n), rollups: Number(rollups.n), dueItems: Number(dueItems.n) };
  }
}

function toStoredSignal(row: Selectable<SignalTable>): StoredSignal {
  return {
    id: row.id,
    accountId: row.account_id,
    kind: row.kind as SignalKind,
    occurredAt: row.occurred_at,
    receivedAt: row.received_at,
    idempotencyKey: row.idempotency_key,
    value: row.value,
    data: parseJsonObject(row.data),
    source: row.source,
  };
}

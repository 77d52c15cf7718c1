// Long write transactions (imports) run on the store's bulk connection: on SQLite a connection in a
// worker thread. They behave as any transaction does: errors keep their codes, a failure writes
// nothing, other writers wait their turn, and readers see only what was committed.
import { expect, it } from 'vitest';
import SqliteDatabase from 'better-sqlite3';
import { toAppError } from '../../src/api/errors';
import { openStore } from '../../src/store/db';
import { isUniqueViolation } from '../../src/store/errors';
import { createTarget, forEachStore } from '../helpers/stores';

const row = (externalId: string) => ({
  external_id: externalId,
  name: `Account ${externalId}`,
  attributes: '{}',
  created_at: '2026-03-02T09:00:00.000Z',
  updated_at: '2026-03-02T09:00:00.000Z',
});

forEachStore('bulk write transactions', (current) => {
  it('keep error codes, write all or nothing, and take turns with other writers', async () => {
    const t = current();
    const bulk = t.store.bulk ?? t.store.db;
    if (t.kind === 'sqlite') expect(t.store.bulk).toBeDefined();
    await t.store.db.insertInto('accounts').values(row('A-1')).execute();

    const failed = await bulk
      .transaction()
      .execute(async (trx) => {
        await trx.insertInto('accounts').values(row('A-2')).execute();
        await trx.insertInto('accounts').values(row('A-1')).execute();
      })
      .catch((error: unknown) => error);
    expect(isUniqueViolation(failed)).toBe(true);
    const names = async () =>
      (await t.store.db.selectFrom('accounts').select('external_id').orderBy('external_id').execute()).map(
        (r) => r.external_id,
      );
    expect(await names()).toEqual(['A-1']);

    // A write from the main connection goes in beside the bulk transaction (on SQLite it waits for
    // the bulk transaction's commit: one writer at a time).
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let begun!: () => void;
    const started = new Promise<void>((resolve) => (begun = resolve));
    const order: string[] = [];
    const long = bulk.transaction().execute(async (trx) => {
      await trx.insertInto('accounts').values(row('B-1')).execute();
      begun();
      await held;
      order.push('bulk');
    });
    await started;
    const other = t.store.db
      .insertInto('accounts')
      .values(row('C-1'))
      .execute()
      .then(() => order.push('other'));
    let seen: string[];
    try {
      // Readers do not see the bulk transaction's row before it commits.
      seen = await names();
    } finally {
      release();
      await Promise.all([long, other]);
    }
    expect(seen).not.toContain('B-1');
    expect(await names()).toEqual(['A-1', 'B-1', 'C-1']);
    if (t.kind === 'sqlite') expect(order).toEqual(['bulk', 'other']);
  });
});

// SQLite only: a file shared with another process (a CLI import, a worker) has one write lock.
it('waits for another process to free the SQLite write lock without stopping, then writes', async () => {
  const { target, drop } = await createTarget('sqlite');
  const store = await openStore(target);
  const other = new SqliteDatabase(target);
  try {
    await store.db.insertInto('accounts').values(row('A-1')).execute();
    // The other process takes the write lock and keeps it.
    other.exec('begin immediate');
    other
      .prepare(
        "insert into accounts (external_id, name, attributes, created_at, updated_at) values ('O-1', 'Other', '{}', 'x', 'x')",
      )
      .run();
    let wrote = false;
    const writing = store.db
      .insertInto('accounts')
      .values(row('A-2'))
      .execute()
      .then(() => (wrote = true));
    // Meanwhile this process answers: reads see what was committed, while the write waits.
    const seen = await store.db.selectFrom('accounts').select('external_id').execute();
    expect(seen.map((r) => r.external_id)).toEqual(['A-1']);
    expect(wrote).toBe(false);
    other.exec('commit');
    await writing;
    const after = await store.db
      .selectFrom('accounts')
      .select('external_id')
      .orderBy('external_id')
      .execute();
    expect(after.map((r) => r.external_id)).toEqual(['A-1', 'A-2', 'O-1']);
  } finally {
    other.close();
    await store.close();
    await drop();
  }
});

it('answers a store locked past the wait with STORE_BUSY (503, Retry-After), never INTERNAL', () => {
  const error = toAppError(new SqliteDatabase.SqliteError('database is locked', 'SQLITE_BUSY'));
  expect(error).toMatchObject({ code: 'STORE_BUSY', status: 503, details: { retryAfterSeconds: 5 } });
  expect(toAppError(new SqliteDatabase.SqliteError('locked', 'SQLITE_BUSY_SNAPSHOT')).code).toBe(
    'STORE_BUSY',
  );
});

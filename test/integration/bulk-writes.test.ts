// Long write transactions (imports) run on the store's bulk connection: on SQLite a connection in a
// worker thread. They behave as any transaction does: errors keep their codes, a failure writes
// nothing, other writers wait their turn, and readers see only what was committed.
import { expect, it } from 'vitest';
import { isUniqueViolation } from '../../src/store/errors';
import { forEachStore } from '../helpers/stores';

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

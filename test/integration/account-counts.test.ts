// The total of an account list is the committed number of matching accounts, whether it was
// counted just now or kept from an earlier count: an import in progress does not show, and every
// committed change, from this process or another, does.
import { expect, it, vi } from 'vitest';
import { SYSTEM_ACTOR } from '../../src/domain/policy';
import { AccountCounts, accountCounts } from '../../src/services/account-counts';
import { AccountRepository } from '../../src/store/account.repository';
import { openStore } from '../../src/store/db';
import { bareAccount as bare } from '../../src/domain/account';
import { forEachStore, TEST_START } from '../helpers/stores';

/** The notice of a commit is on its way: wait for what it changes, not for a set time. */
const WAIT = { timeout: 10_000, interval: 2 };

async function eventually(read: () => Promise<number>, expected: number): Promise<number> {
  let value = await read();
  await vi
    .waitFor(async () => {
      value = await read();
      expect(value).toBe(expected);
    }, WAIT)
    .catch(() => undefined);
  return value;
}

forEachStore('account list totals', (current) => {
  it('stay the committed number during an import in progress, and follow every commit', async () => {
    const t = current();
    const repo = new AccountRepository(t.store.db);
    // Every count is taken for an expensive one, so totals are kept wherever the store allows.
    const counts = new AccountCounts(t.store, 0);
    let counted = 0;
    const total = (filter: object = {}) =>
      counts.total(filter, () => {
        counted += 1;
        return repo.count(filter);
      });
    for (let i = 1; i <= 3; i += 1)
      await t.services.accounts.create(SYSTEM_ACTOR, {
        externalId: `A-${i}`,
        name: `Account ${i}`,
        tier: 'Growth',
      });
    expect(await total()).toBe(3);
    // PostgreSQL keeps the total once it listens for changes; SQLite counts every time.
    if (t.kind === 'postgres') await vi.waitFor(() => expect(counts.keeping).toBe(true), WAIT);

    // Another process adds an account: the kept total follows once it has committed.
    const other = await openStore(t.target);
    try {
      await other.db
        .insertInto('accounts')
        .values({
          external_id: 'B-1',
          name: 'From elsewhere',
          attributes: '{}',
          created_at: 'x',
          updated_at: 'x',
        })
        .execute();
      expect(await eventually(() => total(), 4)).toBe(4);
      expect(await total({ tier: 'Growth' })).toBe(3);

      // An import holds its rows uncommitted: the total does not move until it commits.
      let commit!: () => void;
      const released = new Promise<void>((resolve) => (commit = resolve));
      let written!: () => void;
      const inserted = new Promise<void>((resolve) => (written = resolve));
      const importing = (other.bulk ?? other.db).transaction().execute(async (trx) => {
        await trx
          .insertInto('accounts')
          .values(
            Array.from({ length: 50 }, (_, i) => ({
              external_id: `IMP-${i}`,
              name: `Imported ${i}`,
              tier: 'Growth',
              attributes: '{}',
              created_at: 'x',
              updated_at: 'x',
            })),
          )
          .execute();
        written();
        await released;
      });
      await inserted;
      // The notice of the insert above may come after it was counted afresh: wait until a round
      // of reads counts nothing.
      for (let tries = 0, last = -1; last !== counted && tries < 500; tries += 1) {
        last = counted;
        await new Promise((resolve) => setImmediate(resolve));
        await total();
        await total({ tier: 'Growth' });
        if (t.kind === 'sqlite') break;
      }
      const before = counted;
      const during = [await total(), await total({ tier: 'Growth' })];
      const recounted = counted - before;
      commit();
      await importing;
      expect(during).toEqual([4, 3]);
      // Kept totals are read without a count that would scan the import's rows.
      expect(recounted).toBe(t.kind === 'postgres' ? 0 : 2);
      expect(await eventually(() => total(), 54)).toBe(54);
      expect(await eventually(() => total({ tier: 'Growth' }), 53)).toBe(53);

      // A deletion counts as a change too.
      await other.db.deleteFrom('accounts').where('external_id', 'like', 'IMP-%').execute();
      expect(await eventually(() => total(), 4)).toBe(4);
    } finally {
      await other.close();
      await counts.close();
    }
  });

  it('shows a write of this process in the very next total, before the store says it committed', async () => {
    const t = current();
    const counts = accountCounts(t.store);
    counts.expensiveMs = 0;
    const list = async () =>
      (await t.services.accounts.list({ tier: 'Growth' }, 'name', { limit: 1, offset: 0 })).total;
    await t.services.accounts.create(SYSTEM_ACTOR, { externalId: 'O-1', name: 'Own 1', tier: 'Growth' });
    expect(await list()).toBe(1);
    if (t.kind === 'postgres') {
      await vi.waitFor(() => expect(counts.keeping).toBe(true), WAIT);
      await list();
    }
    for (let i = 2; i <= 6; i += 1) {
      await t.services.accounts.create(SYSTEM_ACTOR, {
        externalId: `O-${i}`,
        name: `Own ${i}`,
        tier: 'Growth',
      });
      expect(await list()).toBe(i);
    }
    const one = await t.services.accounts.getByExternalId('O-1');
    await t.services.accounts.update(SYSTEM_ACTOR, one.id, { tier: 'Scale' });
    expect(await list()).toBe(5);
  });

  it('keeps no count that began before the notices of the store were heard', async () => {
    const t = current();
    const repo = new AccountRepository(t.store.db);
    const counts = new AccountCounts(t.store, 0);
    try {
      await repo.insert({ ...bare('E-1', 'Early 1'), tier: 'Growth' }, new Date(TEST_START));
      // A first count starts the listening; the next one reads the store before listening is
      // confirmed, and answers after.
      await counts.total({ tier: 'Scale' }, () => repo.count({ tier: 'Scale' }));
      let counted = 0;
      const first = await counts.total({}, async () => {
        counted += 1;
        const n = await repo.count({});
        if (t.kind === 'postgres') await vi.waitFor(() => expect(counts.keeping).toBe(true), WAIT);
        return n;
      });
      expect(first).toBe(1);
      const again = await counts.total({}, () => {
        counted += 1;
        return repo.count({});
      });
      expect(again).toBe(1);
      expect(counted).toBe(2);
    } finally {
      await counts.close();
    }
  });
});

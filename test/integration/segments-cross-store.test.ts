// The same segment gives the same members on SQLite and PostgreSQL: hundreds of random filters over
// one generated book loaded into both stores.
import fc from 'fast-check';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { seededRandom } from '../../src/domain/churn-model/split';
import { SYSTEM_ACTOR } from '../../src/domain/policy';
import { formatFilter } from '../../src/domain/segment-filter';
import { generateDemoBook } from '../../src/services/demo';
import { filterArbitrary } from '../helpers/filters';
import { createTestStore, STORES, type TestStore } from '../helpers/stores';

type Opened = TestStore & { destroy: () => Promise<void> };
const both = STORES.includes('sqlite') && STORES.includes('postgres');
let stores: Opened[] = [];

/** The demo book plus a deterministic month of usage, tickets and NPS, scored. */
async function fill(t: TestStore): Promise<void> {
  await generateDemoBook(t.services, {
    accounts: 300,
    seed: 5,
    password: 'demo-password-1',
    activityWeeks: 0,
  });
  const random = seededRandom(9);
  const signals = [];
  for (let i = 0; i < 300; i += 1) {
    const account = `ACC-${String(i + 1).padStart(6, '0')}`;
    const day = 1 + Math.floor(random() * 14);
    signals.push({
      kind: 'nps',
      account,
      occurredAt: `2026-02-${String(day).padStart(2, '0')}T10:00:00Z`,
      data: { score: Math.floor(random() * 11) },
    });
    for (let k = Math.floor(random() * 8); k > 0; k -= 1)
      signals.push({
        kind: 'ticket',
        account,
        occurredAt: `2026-02-${String(1 + Math.floor(random() * 28)).padStart(2, '0')}T09:00:00Z`,
        data: { ticketId: `T-${i}-${k}`, action: 'opened', priority: random() < 0.3 ? 'high' : 'normal' },
      });
  }
  await t.services.signals.ingest(SYSTEM_ACTOR, signals);
  await t.services.health.score();
}

beforeAll(async () => {
  if (!both) return;
  stores = [await createTestStore('sqlite'), await createTestStore('postgres')];
  for (const t of stores) await fill(t);
}, 180_000);

afterAll(async () => {
  for (const t of stores) await t.destroy();
});

it.runIf(both)('gives the same members on SQLite and PostgreSQL for random filters', async () => {
  const [sqlite, postgres] = stores;
  if (!sqlite || !postgres) throw new Error('both stores are needed');
  const membersIn = async (t: TestStore, filter: string) =>
    (await t.services.segments.preview(filter, { limit: 500, offset: 0 })).items
      .map((a) => a.externalId)
      .sort();
  let nonEmpty = 0;
  await fc.assert(
    fc.asyncProperty(filterArbitrary(), async (filter) => {
      const text = formatFilter(filter);
      const [a, b] = [await membersIn(sqlite, text), await membersIn(postgres, text)];
      expect({ text, members: b }).toEqual({ text, members: a });
      if (a.length > 0 && a.length < 300) nonEmpty += 1;
    }),
    { seed: 20261129, numRuns: Number(process.env.FILTER_STORE_RUNS ?? 150) },
  );
  // The filters must actually split the book, or the comparison proves little.
  expect(nonEmpty).toBeGreaterThan(40);
});

import { expect, it } from 'vitest';
import { generateDemoBook } from '../../src/services/demo';
import { createTestStore, forEachStore, type TestStore } from '../helpers/stores';

async function collect(chunks: AsyncIterable<string>): Promise<string> {
  let text = '';
  for await (const chunk of chunks) text += chunk;
  return text;
}

const exportBook = async (t: TestStore) =>
  [
    await collect(t.services.exports.accounts('csv')),
    await collect(t.services.exports.contacts('csv')),
    await collect(t.services.exports.cases('csv')),
  ].join('\n');

forEachStore('demo book', (current) => {
  it('is the same book for the same seed, and a realistic tech-touch book', async () => {
    const t = current();
    const summary = await generateDemoBook(t.services, {
      accounts: 1000,
      seed: 11,
      password: 'demo-password',
    });
    expect(summary).toMatchObject({ accounts: 1000, users: 17, adminEmail: 'admin@retain.demo' });

    const twin = await createTestStore(t.kind);
    try {
      // The twin skips the weeks of activity: the book itself (accounts, contacts, cases) is what must match.
      await generateDemoBook(twin.services, {
        accounts: 1000,
        seed: 11,
        password: 'demo-password',
        activityWeeks: 0,
      });
      expect(await exportBook(twin)).toBe(await exportBook(t));
    } finally {
      await twin.destroy();
    }

    // About 8% of accounts carry an open case, spread over every open stage.
    expect(summary.openCases).toBeGreaterThanOrEqual(60);
    expect(summary.openCases).toBeLessThanOrEqual(100);
    const open = await t.services.riskCases.worklist({ limit: 500 });
    expect(new Set(open.items.map((item) => item.stage.key))).toEqual(
      new Set(['at_risk', 'plan_in_place', 'saving']),
    );
    const closed = await t.services.riskCases.worklist({ status: 'closed', limit: 500 });
    expect(new Set(closed.items.map((item) => item.outcome))).toEqual(new Set(['recovered', 'lost']));
    expect(open.items.some((item) => item.updateOverdue)).toBe(true);
    expect(open.items.some((item) => !item.updateOverdue)).toBe(true);
    const oldest = Math.max(
      ...closed.items.map((item) => Date.parse(t.clock.now().toISOString()) - Date.parse(item.openedAt)),
    );
    expect(oldest / 86_400_000).toBeGreaterThan(120);

    // Lognormal ARR: a long right tail, so the mean sits well above the median.
    const accounts = (await t.services.accounts.list({}, 'arr', { limit: 1000, offset: 0 })).items;
    const arr = accounts.map((account) => account.arr).sort((a, b) => a - b);
    const median = arr[500] ?? 0;
    const mean = arr.reduce((sum, value) => sum + value, 0) / arr.length;
    expect(mean).toBeGreaterThan(median * 1.2);
    // Renewals spread over the coming year, owners across a dozen CSMs in three teams.
    const months = new Set(accounts.map((account) => account.renewalDate?.slice(0, 7)));
    expect(months.size).toBeGreaterThanOrEqual(12);
    expect(new Set(accounts.map((account) => account.ownerEmail)).size).toBe(12);
    expect(new Set(accounts.map((account) => account.teamName)).size).toBe(3);

    // Twelve weeks of signals, scored week by week: every account has a 13-point history, and the
    // accounts at risk score well below those without a case.
    const average = (values: number[]) => values.reduce((sum, value) => sum + value, 0) / values.length;
    const atRisk = open.items.map((item) => item.health?.score ?? 100);
    const withCase = new Set([...open.items, ...closed.items].map((item) => item.accountId));
    const healthy = await Promise.all(
      accounts
        .filter((account) => !withCase.has(account.id))
        .slice(0, 40)
        .map((account) => t.services.health.accountHealth(account.id)),
    );
    expect(healthy.every((health) => health.history.length === 13)).toBe(true);
    expect(average(healthy.map((health) => health.current?.score ?? 0))).toBeGreaterThan(
      average(atRisk) + 20,
    );
    const signals = await t.services.signals.listForAccount(open.items[0]!.accountId, { limit: 100 });
    expect(new Set(signals.map((signal) => signal.kind))).toContain('usage');
  });
});

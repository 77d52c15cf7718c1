// Backtest and fit on the churn history the store holds: scores stored on an as-of day, losses
// (cases closed as lost) in the days after it.
import { Readable } from 'node:stream';
import { expect, it } from 'vitest';
import { seededRandom } from '../../src/domain/churn-model/split';
import { SYSTEM_ACTOR } from '../../src/domain/policy';
import { forEachStore, type TestStore } from '../helpers/stores';

const AS_OF = '2026-04-01';
const ACCOUNTS = 240;

/**
 * 240 accounts with a plan and an NPS answer, scored on the as-of day. Afterwards, basic-plan accounts
 * with a low NPS are lost far more often; a few accounts were already lost before the as-of day.
 */
async function buildHistory(t: TestStore) {
  const random = seededRandom(42);
  const rows = Array.from({ length: ACCOUNTS }, (_, i) => {
    const plan = random() < 0.4 ? 'basic' : 'pro';
    const nps = Math.floor(random() * 11);
    const risk = (plan === 'basic' ? 0.35 : 0.05) + (nps <= 4 ? 0.35 : 0);
    return { id: `H-${i}`, plan, nps, lost: random() < risk, lostEarly: i < 5 };
  });
  t.clock.set('2026-03-01T09:00:00Z');
  await t.services.imports.importAccounts(
    SYSTEM_ACTOR,
    Readable.from([`id,name,plan\n${rows.map((r) => `${r.id},Account ${r.id},${r.plan}`).join('\n')}\n`]),
  );
  t.clock.set('2026-03-21T09:00:00Z');
  await t.services.signals.ingest(
    SYSTEM_ACTOR,
    rows.map((r) => ({
      kind: 'nps',
      account: r.id,
      occurredAt: '2026-03-20T09:00:00Z',
      data: { score: r.nps },
    })),
  );
  const lose = async (externalId: string) => {
    const account = await t.services.accounts.getByExternalId(externalId);
    // Detection may have opened a case already (low NPS); otherwise the CSM opens one.
    const open = (await t.services.riskCases.listForAccount(account.id)).find((c) => c.status === 'open');
    const id =
      open?.id ??
      (
        await t.services.riskCases.open(SYSTEM_ACTOR, {
          accountId: account.id,
          reasons: ['product_adoption'],
        })
      ).id;
    await t.services.riskCases.moveStage(SYSTEM_ACTOR, id, { stage: 'closed_lost' });
  };
  t.clock.set('2026-03-25T09:00:00Z');
  for (const row of rows.filter((r) => r.lostEarly)) await lose(row.id);
  t.clock.set(`${AS_OF}T03:00:00Z`);
  await t.services.health.score();
  t.clock.set('2026-05-15T09:00:00Z');
  for (const row of rows.filter((r) => r.lost && !r.lostEarly)) await lose(row.id);
  // Scores keep being computed after the as-of day; the backtest must not read them.
  t.clock.set('2026-06-01T03:00:00Z');
  await t.services.health.score();
  return rows;
}

forEachStore('churn history in the store', (current) => {
  it('backtests the scores as stored on the as-of day against the losses that followed', async () => {
    const t = current();
    const rows = await buildHistory(t);
    const result = await t.services.churnModel.backtestStore({ asOf: AS_OF, horizonDays: 90 });
    const lostLater = rows.filter((r) => r.lost && !r.lostEarly).length;
    // Accounts already lost on the as-of day are not customers any more: left out.
    expect(result.report.accounts).toBe(ACCOUNTS - 5);
    expect(result.report.churned).toBe(lostLater);
    expect(result.report.rankedBy).toBe('health_score');
    // The default scorecard reads NPS here, which carries part of the signal.
    expect(result.report.auc).toBeGreaterThan(0.6);
    // A horizon that ends before the losses sees none of them.
    await expect(t.services.churnModel.backtestStore({ asOf: AS_OF, horizonDays: 30 })).rejects.toMatchObject(
      {
        code: 'MODEL_LABEL_CONSTANT',
      },
    );
    await expect(
      t.services.churnModel.backtestStore({ asOf: '2026-02-30', horizonDays: 30 }),
    ).rejects.toMatchObject({
      code: 'INVALID_DATE',
    });
  });

  it('fits a scorecard from attributes and signal measures, keeping the signal input, and applies it', async () => {
    const t = current();
    await buildHistory(t);
    const { table, signalColumns } = await t.services.churnModel.storeTable({ asOf: AS_OF, horizonDays: 90 });
    expect(table.columns.map((c) => c.name)).toEqual(expect.arrayContaining(['plan', 'measure:latest_nps']));
    const result = await t.services.churnModel.fit(SYSTEM_ACTOR, table, {
      seed: 1,
      testShare: 0,
      kind: 'stratified',
      apply: true,
      source: 'test',
      signalColumns,
    });
    const byKey = new Map(result.scorecard.measures.map((m) => [m.key, m]));
    expect(byKey.get('plan')?.input).toEqual({ kind: 'attribute', attribute: 'plan' });
    expect(byKey.get('latest_nps')?.input).toEqual({ kind: 'latest', metric: 'nps.score', maxAgeDays: 180 });
    expect(result.test.auc).toBeGreaterThan(0.7);

    // Applied: the live score now reads the plan; a basic account scores below a pro one with the same NPS.
    expect((await t.services.health.scorecard()).churnModel).toBeDefined();
    await t.services.health.score();
    const scoreOf = async (externalId: string) => {
      const account = await t.services.accounts.getByExternalId(externalId);
      return (await t.services.health.accountHealth(account.id)).current;
    };
    const all = await Promise.all(Array.from({ length: 40 }, (_, i) => scoreOf(`H-${i + 5}`)));
    const basic = all.filter((h) => h?.components.find((c) => c.key === 'plan')?.value === 'basic');
    const pro = all.filter((h) => h?.components.find((c) => c.key === 'plan')?.value === 'pro');
    const mean = (list: typeof all) => list.reduce((sum, h) => sum + (h?.score ?? 0), 0) / list.length;
    expect(mean(basic)).toBeLessThan(mean(pro));
    expect(basic[0]?.factors.map((f) => f.key)).toContain('plan');
  });
});

// Risk Trends on a real store: cases by reason per month or week, split by an account field, and a
// drill-down that returns exactly the cases and accounts each cell counts.
import { expect, it } from 'vitest';
import { SYSTEM_ACTOR } from '../../src/domain/policy';
import type { TrendQuery } from '../../src/services/risk-trends';
import { buildTinyBook } from '../helpers/book';
import { forEachStore, type TestStore } from '../helpers/stores';

/** The tiny book (five cases opened in March, B-1 and B-2 closed in March), then April and May. */
async function history(t: TestStore) {
  const tiny = await buildTinyBook(t);
  const fjord = await t.services.accounts.getByExternalId('B-3');
  t.clock.set('2026-04-06T10:00:00Z');
  await t.services.riskCases.open(SYSTEM_ACTOR, {
    accountId: fjord.id,
    reasons: ['support_issues', 'poor_engagement'],
  });
  t.clock.set('2026-05-12T10:00:00Z');
  await t.services.riskCases.moveStage(SYSTEM_ACTOR, tiny.cases.at_risk ?? 0, { stage: 'closed_lost' });
  t.clock.set('2026-05-20T10:00:00Z');
  return tiny;
}

const cellsOf = (trend: {
  cells: { period: string; reason: string; group: string | null; cases: number }[];
}) => trend.cells.map((c) => `${c.period} ${c.reason} ${c.group ?? '-'} ${c.cases}`).sort();

forEachStore('risk trends', (current) => {
  it('counts cases by reason per month, split by tier, opened or open at the end of each month', async () => {
    const t = current();
    await history(t);
    const base: TrendQuery = { interval: 'month', measure: 'opened', from: '2026-03-01', breakdown: 'tier' };
    const opened = await t.services.riskTrends.trends(base);
    expect(opened.periods.map((p) => p.key)).toEqual(['2026-03', '2026-04', '2026-05']);
    expect(cellsOf(opened)).toEqual([
      '2026-03 product_adoption Enterprise 1',
      '2026-03 product_adoption Growth 4',
      '2026-04 poor_engagement Enterprise 1',
      '2026-04 support_issues Enterprise 1',
    ]);
    const open = await t.services.riskTrends.trends({ ...base, measure: 'open', breakdown: 'none' });
    expect(cellsOf(open)).toEqual([
      '2026-03 product_adoption - 3',
      '2026-04 poor_engagement - 1',
      '2026-04 product_adoption - 3',
      '2026-04 support_issues - 1',
      '2026-05 poor_engagement - 1',
      '2026-05 product_adoption - 2',
      '2026-05 support_issues - 1',
    ]);
    const weekly = await t.services.riskTrends.trends({
      ...base,
      interval: 'week',
      from: '2026-03-02',
      to: '2026-03-20',
      breakdown: 'team',
    });
    expect(weekly.periods.map((p) => p.key)).toEqual(['2026-03-02', '2026-03-09', '2026-03-16']);
    // Weeks start on Monday, A-3 (team A) and B-1 (team B) opened 03-02..03-08, B-2 on 03-14.
    expect(cellsOf(weekly)).toEqual([
      '2026-03-02 product_adoption Team A 3',
      '2026-03-02 product_adoption Team B 1',
      '2026-03-09 product_adoption Team B 1',
    ]);
  });

  it('drills from every cell to exactly the cases and accounts it counts', async () => {
    const t = current();
    await history(t);
    for (const measure of ['opened', 'open'] as const) {
      for (const breakdown of ['none', 'tier', 'owner', 'attribute:region'] as const) {
        const query: TrendQuery = { interval: 'month', measure, from: '2026-03-01', breakdown };
        const trend = await t.services.riskTrends.trends(query);
        for (const cell of trend.cells) {
          const drill = await t.services.riskTrends.drillDown({
            ...query,
            period: cell.period,
            reason: cell.reason,
            ...(cell.group !== null ? { group: cell.group } : {}),
          });
          expect({ measure, breakdown, cell, cases: drill.cases }).toEqual({
            measure,
            breakdown,
            cell,
            cases: cell.cases,
          });
          for (const item of drill.items) {
            expect(item.reasons).toContain(cell.reason);
            if (breakdown !== 'none') expect(item.group ?? '(none)').toBe(cell.group);
          }
        }
      }
    }
    const emea = await t.services.riskTrends.drillDown({
      interval: 'month',
      measure: 'opened',
      from: '2026-03-01',
      breakdown: 'attribute:region',
      period: '2026-03',
      reason: 'product_adoption',
      group: 'EMEA',
    });
    expect(emea.accounts.map((a) => a.externalId).sort()).toEqual(['A-1', 'A-2', 'A-3']);
    await expect(
      t.services.riskTrends.drillDown({
        interval: 'month',
        measure: 'opened',
        from: '2026-03-01',
        breakdown: 'none',
        period: '2025-01',
        reason: 'x',
      }),
    ).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
  });
});

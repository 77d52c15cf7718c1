// KPI history backfilled from case history: a store that never took a daily snapshot still shows
// the trend of the cards case history can answer for (accounts at risk, ARR at risk, days to
// resolve, save rate), marked backfilled; the other cards get none, and recorded days are kept.
import { sql } from 'kysely';
import { expect, it } from 'vitest';
import { SYSTEM_ACTOR } from '../../src/domain/policy';
import { buildTinyBook, type TinyBook } from '../helpers/book';
import { forEachStore, type TestStore } from '../helpers/stores';

/**
 * Three cases over ten days (the tiny book's accounts, no other cases):
 *   A-1 opens 03-02 12:00 (ARR at risk 10,000), recovered 03-05 12:00 after 3 days;
 *   A-2 opens 03-04 12:00 (20,000), lost 03-09 12:00 after 5 days;
 *   B-1 opens 03-07 12:00 (5,000) and is still open. Today is 03-12.
 * `beforeClose` runs at 03-05 10:00, before A-1 closes.
 */
async function buildCaseHistory(t: TestStore, beforeClose?: () => Promise<void>): Promise<TinyBook> {
  const book = await buildTinyBook(t, { cases: false });
  const account = (externalId: string) => {
    const found = book.accounts.find((a) => a.externalId === externalId);
    if (!found) throw new Error(`no account ${externalId}`);
    return found.id;
  };
  const open = async (at: string, externalId: string, arrAtRisk: number) => {
    t.clock.set(at);
    return (
      await t.services.riskCases.open(SYSTEM_ACTOR, {
        accountId: account(externalId),
        reasons: ['product_adoption'],
        arrAtRisk,
      })
    ).id;
  };
  const close = async (at: string, id: number, stage: 'closed_recovered' | 'closed_lost') => {
    t.clock.set(at);
    await t.services.riskCases.moveStage(SYSTEM_ACTOR, id, { stage });
  };
  const x = await open('2026-03-02T12:00:00.000Z', 'A-1', 10_000);
  const y = await open('2026-03-04T12:00:00.000Z', 'A-2', 20_000);
  if (beforeClose) {
    t.clock.set('2026-03-05T10:00:00.000Z');
    await beforeClose();
  }
  await close('2026-03-05T12:00:00.000Z', x, 'closed_recovered');
  await open('2026-03-07T12:00:00.000Z', 'B-1', 5_000);
  await close('2026-03-09T12:00:00.000Z', y, 'closed_lost');
  t.clock.set('2026-03-12T09:00:00.000Z');
  return book;
}

const DAYS = ['02', '03', '04', '05', '06', '07', '08', '09', '10', '11'].map((d) => `2026-03-${d}`);
const backfilled = (values: (number | null)[], today: number | null) => [
  ...DAYS.map((day, i) => ({ day, value: values[i] ?? null, backfilled: true })),
  { day: '2026-03-12', value: today, backfilled: false },
];
const AT_RISK = [1, 1, 2, 1, 1, 2, 2, 1, 1, 1];
const ARR_AT_RISK = [10_000, 10_000, 30_000, 20_000, 20_000, 25_000, 25_000, 5_000, 5_000, 5_000];
const DAYS_TO_RESOLVE = [null, null, null, 3, 3, 3, 3, 4, 4, 4];
const SAVE_RATE = [null, null, null, 100, 100, 100, 100, 50, 50, 50];

const snapshotCount = async (t: TestStore) =>
  Number(
    (await sql<{ n: number | string }>`select count(*) as n from kpi_snapshots`.execute(t.store.db)).rows[0]
      ?.n,
  );

forEachStore('KPI history backfilled from case history', (current) => {
  it('shows past days of accounts at risk on a store that never took a daily snapshot', async () => {
    const t = current();
    const { actors, teams } = await buildCaseHistory(t);
    const cards = await t.services.kpis.cards();
    // Two cards case history cannot answer for: a health segment, and account ARR.
    await t.services.kpis.updateCards(actors.admin, [
      ...cards,
      {
        key: 'poor_health_count',
        name: 'Poor health',
        segment: 'poor_health',
        metric: 'account_count',
        format: 'number',
        target: null,
      },
      { key: 'book_arr', name: 'ARR', segment: null, metric: 'arr', format: 'currency', target: null },
    ]);

    const book = new Map((await t.services.kpis.scorecard()).map((card) => [card.key, card]));
    expect(book.get('accounts_at_risk')?.series).toEqual(backfilled(AT_RISK, 1));
    expect(book.get('at_risk_trend')?.series).toEqual(backfilled(AT_RISK, 1));
    expect(book.get('arr_at_risk')?.series).toEqual(backfilled(ARR_AT_RISK, 5_000));
    expect(book.get('avg_days_to_resolve')?.series).toEqual(backfilled(DAYS_TO_RESOLVE, 4));
    expect(book.get('save_rate')?.series).toEqual(backfilled(SAVE_RATE, 50));
    expect(book.get('accounts_at_risk')?.history).toEqual({ derivable: true, reason: null });

    for (const key of ['gross_revenue_churn', 'poor_health_count', 'book_arr']) {
      const card = book.get(key);
      expect(card?.series).toHaveLength(1);
      expect(card?.history.derivable).toBe(false);
      expect(card?.history.reason).toMatch(/not kept day by day/);
    }
    // Team membership on past days is not kept: the team view has no derived history.
    const teamA = (await t.services.kpis.scorecard({ teamId: teams.a })).find(
      (card) => card.key === 'accounts_at_risk',
    );
    expect(teamA?.series).toEqual([{ day: '2026-03-12', value: 0, backfilled: false }]);
    expect(teamA?.history.derivable).toBe(false);

    // The backfill ran once: 5 derivable cards × 10 days, and running it again adds nothing.
    expect(await snapshotCount(t)).toBe(50);
    expect(await t.services.kpis.backfill()).toEqual({
      from: '2026-03-02',
      to: '2026-03-11',
      stored: 0,
      cards: ['accounts_at_risk', 'at_risk_trend', 'avg_days_to_resolve', 'arr_at_risk', 'save_rate'],
      skipped: ['gross_revenue_churn', 'poor_health_count', 'book_arr'],
    });
    expect(await snapshotCount(t)).toBe(50);
  });

  it('never overwrites a recorded snapshot, and a recorded day is not labelled backfilled', async () => {
    const t = current();
    // A daily snapshot on 03-05 at 10:00, while were both open.
    await buildCaseHistory(t, async () => {
      await t.services.kpis.snapshot();
    });
    // Recorded history exists, so reading does not backfill by itself; on demand it fills the rest.
    const before = (await t.services.kpis.scorecard()).find((card) => card.key === 'accounts_at_risk');
    expect(before?.series).toEqual([
      { day: '2026-03-05', value: 2, backfilled: false },
      { day: '2026-03-12', value: 1, backfilled: false },
    ]);
    const result = await t.services.kpis.backfill();
    expect(result).toMatchObject({ from: '2026-03-02', to: '2026-03-11', stored: 45 });
    const after = (await t.services.kpis.scorecard()).find((card) => card.key === 'accounts_at_risk');
    expect(after?.series).toEqual(
      backfilled(AT_RISK, 1).map((point) =>
        point.day === '2026-03-05' ? { day: point.day, value: 2, backfilled: false } : point,
      ),
    );
    expect((await t.services.kpis.backfill()).stored).toBe(0);
  });
});

// KPI scorecards on a real store: the seeded risk scorecard's values, targets per team, and trends
// that come from daily snapshots, so last month's values do not move when today's data does.
import { expect, it } from 'vitest';
import { SYSTEM_ACTOR } from '../../src/domain/policy';
import { DailyRunner } from '../../src/jobs/daily-run';
import { buildTinyBook } from '../helpers/book';
import { forEachStore } from '../helpers/stores';

forEachStore('KPI scorecards', (current) => {
  it('computes the seeded risk scorecard for the book and for a team, against its targets', async () => {
    const t = current();
    const { teams } = await buildTinyBook(t);
    // Now 03-16: at risk (team A); B-1 recovered after 6 days, B-2 lost after 2.
    const book = new Map((await t.services.kpis.scorecard()).map((card) => [card.key, card]));
    expect(book.get('accounts_at_risk')).toMatchObject({ value: 3, target: null, status: 'no_target' });
    expect(book.get('arr_at_risk')).toMatchObject({ value: 171_000, format: 'currency' });
    expect(book.get('avg_days_to_resolve')).toMatchObject({ value: 4, status: 'on_target' });
    expect(book.get('save_rate')).toMatchObject({ value: 50, status: 'off_target' });
    expect(book.get('gross_revenue_churn')).toMatchObject({
      value: 3.5,
      status: 'on_target',
      target: { value: 10 },
    });

    const teamA = new Map(
      (await t.services.kpis.scorecard({ teamId: teams.a })).map((card) => [card.key, card]),
    );
    expect(teamA.get('accounts_at_risk')).toMatchObject({
      value: 3,
      target: { comparison: 'less_than', value: 10 },
      status: 'on_target',
    });
    expect(teamA.get('save_rate')).toMatchObject({ value: null, status: 'no_data' });
    const teamB = new Map(
      (await t.services.kpis.scorecard({ teamId: teams.b })).map((card) => [card.key, card]),
    );
    expect(teamB.get('accounts_at_risk')?.value).toBe(0);
    expect(teamB.get('save_rate')?.value).toBe(50);
    await expect(t.services.kpis.scorecard({ teamId: 9999 })).rejects.toMatchObject({
      code: 'TEAM_NOT_FOUND',
    });
  });

  it("keeps last month's trend as it was when today's data changes", async () => {
    const t = current();
    const { cases, teams } = await buildTinyBook(t);
    const runner = new DailyRunner(t.services);
    // Three daily runs: 3 at risk, then A-1 lost (2), then B-3 opens a case (3).
    t.clock.set('2026-03-16T03:00:00Z');
    expect((await runner.tick())?.kpis).toMatchObject({ day: '2026-03-16', values: 18 });
    t.clock.set('2026-03-17T03:00:00Z');
    await t.services.riskCases.moveStage(SYSTEM_ACTOR, cases.at_risk ?? 0, { stage: 'closed_lost' });
    await runner.tick();
    t.clock.set('2026-03-18T03:00:00Z');
    const fjord = await t.services.accounts.getByExternalId('B-3');
    await t.services.riskCases.open(SYSTEM_ACTOR, { accountId: fjord.id, reasons: ['support_issues'] });
    await runner.tick();

    const trendOf = async (teamId: number | null = null) =>
      (await t.services.kpis.scorecard({ teamId })).find((card) => card.key === 'at_risk_trend')?.series;
    expect(await trendOf()).toEqual([
      { day: '2026-03-16', value: 3, backfilled: false },
      { day: '2026-03-17', value: 2, backfilled: false },
      { day: '2026-03-18', value: 3, backfilled: false },
    ]);

    // Later the same day everything changes; the days before stay as they were recorded.
    t.clock.set('2026-03-18T15:00:00Z');
    await t.services.riskCases.moveStage(SYSTEM_ACTOR, cases.plan_in_place ?? 0, {
      stage: 'closed_recovered',
    });
    await t.services.riskCases.moveStage(SYSTEM_ACTOR, cases.saving ?? 0, { stage: 'closed_recovered' });
    await t.services.accounts.update(SYSTEM_ACTOR, fjord.id, { teamId: teams.a });
    t.clock.set('2026-03-19T15:00:00Z');
    expect(await trendOf()).toEqual([
      { day: '2026-03-16', value: 3, backfilled: false },
      { day: '2026-03-17', value: 2, backfilled: false },
      { day: '2026-03-18', value: 3, backfilled: false },
      { day: '2026-03-19', value: 1, backfilled: false },
    ]);
    // The team view has its own history: team A had 3, 2, 2 (B-3 was team B then).
    expect(await trendOf(teams.a)).toEqual([
      { day: '2026-03-16', value: 3, backfilled: false },
      { day: '2026-03-17', value: 2, backfilled: false },
      { day: '2026-03-18', value: 2, backfilled: false },
      { day: '2026-03-19', value: 1, backfilled: false },
    ]);
  });

  it('lets admins change the cards, each naming a segment that exists', async () => {
    const t = current();
    const { actors } = await buildTinyBook(t);
    const cards = await t.services.kpis.cards();
    await expect(t.services.kpis.updateCards(actors.leadA, cards)).rejects.toMatchObject({
      code: 'FORBIDDEN',
    });
    await expect(
      t.services.kpis.updateCards(actors.admin, [...cards, { ...cards[0], key: 'x', segment: 'nope' }]),
    ).rejects.toMatchObject({ code: 'SEGMENT_NOT_FOUND' });
    await expect(
      t.services.kpis.updateCards(actors.admin, [{ ...cards[0], metric: 'happiness' }]),
    ).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
    const renewals = {
      key: 'renewing_soon',
      name: 'Renewing in 90 days',
      segment: 'renewing_90_days',
      metric: 'share_of_base',
      format: 'percent',
      target: null,
    };
    await t.services.kpis.updateCards(actors.admin, [...cards, renewals]);
    const values = await t.services.kpis.scorecard();
    expect(values.find((card) => card.key === 'renewing_soon')).toMatchObject({
      value: 0,
      format: 'percent',
    });
  });
});

// Churn analysis on a real store: attrition against target for the book and per segment, when
// customers left and why, including what the separation survey captured on close.
import { expect, it } from 'vitest';
import { SYSTEM_ACTOR } from '../../src/domain/policy';
import { buildTinyBook } from '../helpers/book';
import { forEachStore } from '../helpers/stores';

forEachStore('churn analysis', (current) => {
  it('reports attrition against target, when and why customers left, and the separation surveys', async () => {
    const t = current();
    const { cases, actors, accounts } = await buildTinyBook(t); // B-2 was lost on 03-16
    const echo = accounts[4];
    if (!echo) throw new Error('tiny book changed');
    await t.services.accounts.update(SYSTEM_ACTOR, echo.id, {
      attributes: { ...echo.attributes, customer_since: '2025-12-01' },
    });
    await t.services.segments.refresh();
    t.clock.set('2026-03-20T10:00:00Z');

    await expect(
      t.services.riskCases.moveStage(actors.csmA, cases.plan_in_place ?? 0, {
        stage: 'closed_recovered',
        survey: { primaryReason: 'poor_engagement' },
      }),
    ).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
    await expect(
      t.services.riskCases.moveStage(actors.csmA, cases.plan_in_place ?? 0, {
        stage: 'closed_lost',
        survey: { primaryReason: 'price' },
      }),
    ).rejects.toMatchObject({ code: 'RISK_REASON_NOT_FOUND' });
    const closed = await t.services.riskCases.moveStage(actors.csmA, cases.plan_in_place ?? 0, {
      stage: 'closed_lost',
      survey: {
        primaryReason: 'poor_engagement',
        wouldReturn: false,
        competitor: 'Rival',
        comments: 'Nobody used it.',
      },
    });
    expect(closed.separationSurvey).toEqual({
      primaryReason: 'poor_engagement',
      wouldReturn: false,
      competitor: 'Rival',
      comments: 'Nobody used it.',
    });

    const analysis = await t.services.churnAnalysis.analysis();
    expect(analysis.targetPercent).toBe(10);
    // Lost: B-2 (9,000) and A-2 (3,000); still here: 255,000 - 12,000.
    expect(analysis.overall).toEqual({
      key: 'all',
      name: 'All accounts',
      lostAccounts: 2,
      lostArr: 12_000,
      remainingArr: 243_000,
      attritionPercent: 4.7,
      status: 'on_target',
    });
    // A-2 was in "Accounts at Risk" when it was lost; are members now.
    expect(analysis.segments.find((s) => s.key === 'accounts_at_risk')).toMatchObject({
      lostAccounts: 1,
      lostArr: 3_000,
      remainingArr: 168_000,
      attritionPercent: 1.8,
    });
    expect(analysis.when.tenure.filter((b) => b.cases > 0)).toEqual([
      { label: 'under 6 months', cases: 1, arr: 9_000 },
      { label: 'unknown', cases: 1, arr: 3_000 },
    ]);
    expect(analysis.when.renewal.filter((b) => b.cases > 0)).toEqual([
      { label: 'more than 180 days before renewal', cases: 2, arr: 12_000 },
    ]);
    expect(analysis.why.reasons).toEqual([{ label: 'Product adoption', cases: 2, arr: 12_000 }]);
    expect(analysis.why.survey).toEqual({
      answered: 1,
      primaryReasons: [{ label: 'Poor engagement', cases: 1, arr: 3_000 }],
      wouldReturn: { yes: 0, no: 1, unsure: 0 },
      competitors: [{ name: 'Rival', cases: 1 }],
      comments: [{ caseId: cases.plan_in_place, comment: 'Nobody used it.' }],
    });
    const window = await t.services.churnAnalysis.analysis({ from: '2026-03-18', to: '2026-03-31' });
    expect(window.overall.lostAccounts).toBe(1);
    await expect(t.services.churnAnalysis.analysis({ from: '2026-02-30' })).rejects.toMatchObject({
      code: 'INVALID_DATE',
    });
  });
});

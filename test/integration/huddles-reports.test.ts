// Huddles and the monthly risk report on a real store.
import { expect, it } from 'vitest';
import { SYSTEM_ACTOR } from '../../src/domain/policy';
import { buildTinyBook } from '../helpers/book';
import { forEachStore } from '../helpers/stores';

forEachStore('huddles and monthly reports', (current) => {
  it("lists each CSM's top cases with the last update and what changed since the last huddle", async () => {
    const t = current();
    const { teams, cases, actors } = await buildTinyBook(t);
    // Now 03-16. csmA owns A-1 (at risk) and A-2 (plan in place); csmA2 owns A-3 (saving).
    await t.services.riskCases.addUpdate(actors.csmA, cases.at_risk ?? 0, {
      background: 'Usage fell after the reorg.',
      doneSoFar: 'Called the new admin.',
      nextSteps: 'Training on the 20th.',
    });
    const first = await t.services.huddles.huddle(teams.a);
    expect(first.since).toBe('2026-03-02T09:00:00.000Z'); // two weeks back: no huddle yet
    expect(first.csms.map((c) => [c.email, c.openCases, c.cases.length])).toEqual([
      ['csm.a@example.com', 2, 2],
      ['csm.a2@example.com', 1, 1],
    ]);
    const acme = first.csms[0]?.cases.find((c) => c.case.account.externalId === 'A-1');
    expect(acme?.lastUpdate?.nextSteps).toBe('Training on the 20th.');
    expect(acme?.changes).toEqual(['2026-03-16: weekly update by csm.a@example.com']);

    await expect(t.services.huddles.markHeld(actors.csmA, teams.a)).rejects.toMatchObject({
      code: 'FORBIDDEN',
    });
    await expect(t.services.huddles.markHeld(actors.leadA, teams.b)).rejects.toMatchObject({
      code: 'FORBIDDEN',
    });
    await t.services.huddles.markHeld(actors.leadA, teams.a);
    t.clock.advanceDays(3);
    await t.services.riskCases.moveStage(actors.csmA, cases.at_risk ?? 0, { stage: 'plan_in_place' });
    await t.services.riskCases.setReasons(actors.csmA, cases.at_risk ?? 0, [
      'product_adoption',
      'support_issues',
    ]);
    const second = await t.services.huddles.huddle(teams.a);
    expect(second.lastHeldAt).toBe('2026-03-16T09:00:00.000Z');
    const again = second.csms[0]?.cases.find((c) => c.case.account.externalId === 'A-1');
    expect(again?.changes).toEqual([
      '2026-03-19: stage at_risk → plan_in_place by csm.a@example.com',
      '2026-03-19: reasons +support_issues by csm.a@example.com',
    ]);
    expect(second.csms[1]?.cases[0]?.changes).toEqual([]);
  });

  it('writes the monthly report of a team: new, saved, lost, reasons, matrix, stale updates, KPIs', async () => {
    const t = current();
    const { teams, cases } = await buildTinyBook(t);
    await t.services.riskCases.updateDetails(SYSTEM_ACTOR, cases.saving ?? 0, {
      expected: false,
      avoidable: true,
    });
    t.clock.set('2026-03-31T03:00:00Z');
    await t.services.kpis.snapshot();
    t.clock.set('2026-04-02T10:00:00Z');
    const teamB = await t.services.reports.monthly(teams.b, '2026-03');
    expect(teamB.newCases.map((c) => c.externalId).sort()).toEqual(['B-1', 'B-2']);
    expect(teamB.saved.map((c) => [c.externalId, c.daysOpen])).toEqual([['B-1', 6]]);
    expect(teamB.lost.map((c) => [c.externalId, c.arrAtRisk])).toEqual([['B-2', 9_000]]);
    expect(teamB.openAtEnd).toEqual([]);

    const teamA = await t.services.reports.monthly(teams.a, '2026-03');
    expect(teamA.newCases.map((c) => c.externalId)).toEqual(['A-3', 'A-1', 'A-2']); // biggest ARR first
    expect(teamA.openAtEnd).toHaveLength(3);
    expect(teamA.matrix.unexpected_avoidable).toEqual({ cases: 1, arr: 120_000 });
    expect(teamA.matrix.unplaced).toEqual({ cases: 2, arr: 51_000 });
    expect(teamA.reasons).toEqual([{ reason: 'Product adoption', opened: 3, lost: 0, openAtEnd: 3 }]);
    // No weekly update on any of them; at month end A-1 had waited 29 days, A-2 29, A-3 27.
    expect(teamA.staleUpdates.map((c) => [c.externalId, c.daysWithoutUpdate])).toEqual([
      ['A-1', 29],
      ['A-2', 29],
      ['A-3', 27],
    ]);
    expect(teamA.kpis.find((k) => k.name === 'Accounts at risk')).toEqual({
      name: 'Accounts at risk',
      value: '3',
      target: 'less than 10',
      status: 'on target',
      asOf: '2026-03-31',
    });

    const markdown = await t.services.reports.markdown(teams.a, '2026-03');
    expect(markdown).toContain('# Monthly risk report: Team A, March 2026');
    expect(markdown).toContain('| New risks | 3 | 171,000 |');
    expect(markdown).toContain('| Unexpected | 1 (120,000) | 0 (0) |');
    const html = await t.services.reports.html(teams.a, '2026-03');
    expect(html).toMatch(/^<!doctype html>/);
    expect(html).toContain('<h1>Monthly risk report: Team A, March 2026</h1>');
    expect(html).toContain('<td align="right">171,000</td>');
    const csv = await t.services.reports.csv(teams.a, '2026-03', 'stale');
    expect(csv.split('\n')[0]).toBe(
      'account_id,account,owner,stage,reasons,arr_at_risk,opened_at,closed_at,days_open,last_update_at,days_without_update',
    );
    await expect(t.services.reports.monthly(teams.a, '2026-13')).rejects.toMatchObject({
      code: 'INVALID_DATE',
    });
    await expect(t.services.reports.monthly(teams.a, '2026-05')).rejects.toMatchObject({
      code: 'INVALID_DATE',
    });
  });
});

// The rules backtest against the slow reference: a small generated book fed to the store one day at a
// time, as a product would send it, with the daily run (score, then detect) after each day and each
// churner's case closed as lost on their churn day. The backtest then replays the same history in
// memory from the store and must find the same cases, on the same days, for the same rules, and the
// same figures.
import { expect, it } from 'vitest';
import { generateScenario, createScenarioAccounts, recordChurn } from '../../bench/lib/churn-scenarios';
import { backtestFigures, type AccountTruth, type ReplayCase } from '../../src/domain/detection-replay';
import { SYSTEM_ACTOR } from '../../src/domain/policy';
import { forEachStore } from '../helpers/stores';

const DAY = 86_400_000;
const dayText = (n: number) => new Date(Date.UTC(2026, 0, 1) + n * DAY).toISOString().slice(0, 10);

forEachStore('detection backtest', (current) => {
  it('finds the cases and figures of the daily run fed day by day, writing nothing', async () => {
    const t = current();
    const days = 110;
    const scenario = generateScenario({ seed: 5, accounts: 36, days, start: dayText(0), churnRate: 0.35 });
    t.clock.set(`${dayText(0)}T00:00:00Z`);
    await createScenarioAccounts(scenario, t.services, t.clock.now());
    const byDay = new Map<string, unknown[]>();
    for (const account of scenario.accounts)
      for (const signal of account.signals) {
        const day = signal.occurredAt.slice(0, 10);
        byDay.set(day, [...(byDay.get(day) ?? []), signal]);
      }
    for (let n = 0; n < days; n += 1) {
      const day = dayText(n);
      t.clock.set(`${day}T00:10:00Z`);
      for (const account of scenario.accounts)
        if (account.churnDay === day) await recordChurn(t.services, t.clock, account);
      t.clock.set(`${day}T23:30:00Z`);
      const records = byDay.get(day) ?? [];
      if (records.length > 0) await t.services.signals.ingest(SYSTEM_ACTOR, records);
      await t.services.health.score();
      await t.services.detection.evaluate();
    }

    // What the daily run opened, case by case: the rules behind each at its opening, and how it ended
    // (lost when the customer left, recovered when its signs cleared).
    const db = t.store.db;
    const cases = await db
      .selectFrom('risk_cases')
      .innerJoin('accounts', 'accounts.id', 'risk_cases.account_id')
      .select([
        'risk_cases.id',
        'risk_cases.account_id',
        'accounts.external_id',
        'risk_cases.opened_at',
        'risk_cases.closed_at',
        'risk_cases.outcome',
      ])
      .where('risk_cases.source', '=', 'rule')
      .orderBy('risk_cases.opened_at')
      .execute();
    const evidence = await db
      .selectFrom('risk_case_evidence')
      .select(['case_id', 'rule_key', 'at'])
      .execute();
    const live = cases.map((row) => ({
      account: row.external_id,
      openedDay: row.opened_at.slice(0, 10),
      rules: evidence
        .filter((entry) => entry.case_id === row.id && entry.at === row.opened_at)
        .map((entry) => entry.rule_key)
        .sort(),
      closedDay: row.closed_at?.slice(0, 10) ?? null,
      outcome: row.outcome,
    }));
    const first = new Map<string, (typeof live)[number]>();
    for (const opened of live) if (!first.has(opened.account)) first.set(opened.account, opened);
    expect(live.length).toBeGreaterThan(5);
    expect(live.some((opened) => opened.outcome === 'recovered')).toBe(true);

    const counts = async () =>
      Promise.all(
        (['risk_cases', 'risk_case_evidence', 'rule_states', 'health_scores', 'audit_log'] as const).map(
          async (table) =>
            Number(
              (
                await db
                  .selectFrom(table)
                  .select((eb) => eb.fn.countAll<number>().as('n'))
                  .executeTakeFirstOrThrow()
              ).n,
            ),
        ),
      );
    const before = await counts();
    const report = await t.services.detectionBacktest.run({ from: dayText(0), to: dayText(days - 1) });
    const replayed = report.current.cases.map((opened) => ({
      account: opened.account,
      openedDay: opened.openedDay,
      rules: [...opened.rules].sort(),
      closedDay: opened.closedDay,
      outcome: opened.outcome,
    }));
    const order = (list: { account: string; openedDay: string }[]) =>
      [...list].sort((a, b) => a.account.localeCompare(b.account) || a.openedDay.localeCompare(b.openedDay));
    expect(order(replayed)).toEqual(order(live));

    // The same figures, judged by the same truth (the cases closed as lost, with their surveys).
    const ids = new Map(cases.map((row) => [row.external_id, row.account_id]));
    const accounts = await db.selectFrom('accounts').select(['id', 'external_id']).execute();
    for (const row of accounts) ids.set(row.external_id, row.id);
    const truth = new Map<number, AccountTruth>(
      scenario.accounts.map((account) => [
        ids.get(account.external) ?? 0,
        {
          churnDay: account.churnDay,
          reasons: account.churnDay ? [account.reasons[0] ?? 'product_adoption'] : [],
          showsSignals: true,
        },
      ]),
    );
    const liveCases: ReplayCase[] = [...first.values()].map((opened) => ({
      accountId: ids.get(opened.account) ?? 0,
      openedDay: opened.openedDay,
      rulesAtOpening: opened.rules,
      reasonsAtOpening: [],
      added: [],
      evidenceRules: new Set(opened.rules),
      closedDay: null,
      outcome: null,
    }));
    const rules = await t.services.detection.rules();
    const reference = backtestFigures(
      { days, cases: liveCases, firings: [], waited: new Map(), clears: [] },
      truth,
      {
        from: dayText(0),
        to: dayText(days - 1),
        rules,
      },
    );
    expect(report.churned).toBe(scenario.accounts.filter((account) => account.churnDay !== null).length);
    expect(report.current.figures).toMatchObject({
      precision: reference.precision,
      recall: reference.recall,
      medianLeadDays: reference.medianLeadDays,
      flagged: reference.flagged,
      openedAfterChurn: 0,
    });

    // Nothing was written: the store holds the same cases and rule states as before the backtest.
    expect(await counts()).toEqual(before);
  });

  it('refuses what it cannot judge: days after today, duplicate rule keys, an empty set, a rule that can never hold', async () => {
    const t = current();
    t.clock.set('2026-06-01T12:00:00Z');
    const run = (body: unknown) => t.services.detectionBacktest.run(body);
    await expect(run({ from: '2026-05-01', to: '2027-06-01' })).rejects.toMatchObject({
      code: 'VALIDATION_FAILED',
      message: 'to: 2027-06-01 is after today (2026-06-01); history ends today.',
    });
    const [rule] = await t.services.detection.rules();
    await expect(run({ from: '2026-05-01', to: '2026-06-01', rules: [rule, rule] })).rejects.toMatchObject({
      code: 'VALIDATION_FAILED',
      message: 'rules: rule keys must be unique',
    });
    await expect(run({ from: '2026-05-01', to: '2026-06-01', rules: [] })).rejects.toMatchObject({
      code: 'VALIDATION_FAILED',
      message: 'rules: an empty rule set opens nothing; leave rules out to backtest the live rules.',
    });
    const never = {
      key: 'never',
      name: 'Never',
      reason: 'poor_engagement',
      condition: { kind: 'measure', input: { kind: 'days_silent', metric: 'usage.events' }, min: 9, max: 2 },
    };
    await expect(run({ from: '2026-05-01', to: '2026-06-01', rules: [never] })).rejects.toMatchObject({
      code: 'VALIDATION_FAILED',
    });
    await expect(t.services.detection.updateRules(SYSTEM_ACTOR, [never])).rejects.toMatchObject({
      code: 'VALIDATION_FAILED',
    });
  });

  it('runs one backtest at a time: another asked meanwhile is told when to try again', async () => {
    const t = current();
    t.clock.set('2026-06-01T12:00:00Z');
    const body = { from: '2026-05-01', to: '2026-06-01' };
    const first = t.services.detectionBacktest.run(body);
    await expect(t.services.detectionBacktest.run(body)).rejects.toMatchObject({
      code: 'BACKTEST_RUNNING',
      details: { retryAfterSeconds: 15 },
    });
    expect((await first).days).toBe(32);
    expect((await t.services.detectionBacktest.run(body)).days).toBe(32);
  });
});

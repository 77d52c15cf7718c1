// Proof that a play works: a generated book where the play truly raises the save rate and health
// shows the effect, with intervals that exclude zero; one where it does nothing shows none.
import { expect, it } from 'vitest';
import { SYSTEM_ACTOR } from '../../src/domain/policy';
import { createPlayRunner } from '../../src/jobs/play-runner';
import { unconfiguredMailer } from '../../src/services/messaging';
import { HealthRepository } from '../../src/store/health.repository';
import { forEachStore, type TestStore } from '../helpers/stores';

/** Small, seeded pseudo-random numbers (mulberry32) so each scenario is the same on every run. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let x = state;
    x = Math.imul(x ^ (x >>> 15), x | 1);
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

/** A seeded Fisher-Yates shuffle. */
function shuffle<T>(items: readonly T[], next: () => number): T[] {
  const copy = [...items];
  for (let i = copy.length - 1; i > 0; i -= 1) {
    const j = Math.floor(next() * (i + 1));
    [copy[i], copy[j]] = [copy[j] as T, copy[i] as T];
  }
  return copy;
}

interface Scenario {
  accounts: number;
  saveRate: { treated: number; holdout: number };
  healthLift: { treated: number; holdout: number };
  seed: number;
}

async function runScenario(t: TestStore, scenario: Scenario) {
  const next = random(scenario.seed);
  const play = await t.services.playbooks.create(SYSTEM_ACTOR, {
    name: 'Save call',
    definition: {
      trigger: { kind: 'case_opened' },
      steps: [
        {
          kind: 'task',
          title: 'Call {{account.name}}',
          dueInDays: 2,
          assignee: { kind: 'role', role: 'admin' },
        },
      ],
      holdoutPercent: 50,
    },
  });
  await t.services.playbooks.update(SYSTEM_ACTOR, play.id, { active: true, version: play.version });
  const start = t.clock.now();
  const day = (at: Date) => at.toISOString().slice(0, 10);
  const health = new HealthRepository(t.store.db);
  const accountIds: number[] = [];
  for (let i = 0; i < scenario.accounts; i += 1) {
    const account = await t.services.accounts.create(SYSTEM_ACTOR, {
      externalId: `S-${i}`,
      name: `Scenario ${i}`,
      arr: 5_000 + Math.round(next() * 20_000),
    });
    accountIds.push(account.id);
  }
  const baseline = (id: number) => 40 + (id % 20);
  await health.upsertScores(
    accountIds.map((accountId) => ({
      accountId,
      day: day(start),
      score: baseline(accountId),
      band: 'Fair',
      components: [],
      missing: [],
    })),
    start,
  );
  const cases = new Map<number, number>();
  for (const accountId of accountIds) {
    const opened = await t.services.riskCases.open(SYSTEM_ACTOR, { accountId, reasons: ['poor_engagement'] });
    cases.set(accountId, opened.id);
  }
  await createPlayRunner(t.services, { mailer: unconfiguredMailer }).drain();
  const runs = (await t.services.playbooks.runs({ play: play.id }, { limit: 500, offset: 0 })).items;
  expect(runs).toHaveLength(scenario.accounts);

  // What happens next depends only on the group the account landed in: exactly the scenario's save
  // rate within each group (which accounts are saved is shuffled), and its health lift with the same
  // spread of noise in both groups, so a play that does nothing truly changes nothing.
  t.clock.advanceDays(30);
  const later = t.clock.now();
  const scores = [];
  const noise = [-12, -6, 0, 6, 12];
  for (const group of ['treated', 'holdout'] as const) {
    const members = shuffle(
      runs.filter((run) => run.cohort === group),
      next,
    );
    const saves = Math.round(scenario.saveRate[group] * members.length);
    for (const [index, run] of members.entries()) {
      await t.services.riskCases.moveStage(SYSTEM_ACTOR, cases.get(run.accountId) ?? 0, {
        stage: index < saves ? 'closed_recovered' : 'closed_lost',
      });
      scores.push({
        accountId: run.accountId,
        day: day(later),
        score: baseline(run.accountId) + scenario.healthLift[group] + (noise[index % noise.length] ?? 0),
        band: 'Fair',
        components: [],
        missing: [],
      });
    }
  }
  await health.upsertScores(scores, later);
  return t.services.playbooks.effectiveness(play.id);
}

forEachStore('play effectiveness', (current) => {
  it('shows the effect of a play that helps: save rate and health up, intervals above zero', async () => {
    const report = await runScenario(current(), {
      accounts: 240,
      saveRate: { treated: 0.6, holdout: 0.3 },
      healthLift: { treated: 6, holdout: 0 },
      seed: 7,
    });
    expect(report.treated.entered + report.holdout.entered).toBe(240);
    expect(report.holdout.entered).toBeGreaterThan(90);
    expect(report.treated.entered).toBeGreaterThan(90);
    expect(report.saveRate.verdict).toBe('helps');
    expect(report.saveRate.ci95?.[0]).toBeGreaterThan(0);
    expect(report.saveRate.difference).toBeGreaterThan(0.15);
    expect(report.saveRate.difference).toBeLessThan(0.45);
    expect(report.churnRate.verdict).toBe('helps');
    expect(report.healthChange30.verdict).toBe('helps');
    expect(report.healthChange30.difference).toBeGreaterThan(3);
    expect(report.verdict).toBe('helps');
    expect(report.summary).toMatch(/^The play helps\./);
  });

  it('shows no effect for a play that does nothing, and says so plainly', async () => {
    const report = await runScenario(current(), {
      accounts: 240,
      saveRate: { treated: 0.45, holdout: 0.45 },
      healthLift: { treated: 0, holdout: 0 },
      seed: 11,
    });
    expect(report.saveRate.verdict).toBe('no_measurable_difference');
    expect(report.saveRate.ci95?.[0]).toBeLessThan(0);
    expect(report.saveRate.ci95?.[1]).toBeGreaterThan(0);
    expect(report.healthChange30.verdict).toBe('no_measurable_difference');
    expect(report.verdict).toBe('no_measurable_difference');
    expect(report.summary).toMatch(/^No measurable effect\./);
  });
});

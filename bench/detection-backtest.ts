// Detection judged on books with known truth, and the speed of the rules backtest.
//
// 1. Generated books (bench/lib/churn-scenarios.ts), one per seed: churners of several archetypes
//    (and silent ones), healthy accounts with the noise real books carry. Each book is replayed in
//    memory with the rules as they were before (bench/fixtures/rules-before.json) and with today's
//    defaults; the figures are printed per seed and on average.
// 2. One book written into a store (every signal through the import's write path, churn as cases
//    closed as lost), then `retain detection backtest` on it: its time against one SQL aggregate
//    over the same rollups, and its report with the per-rule table.
//
//   npm run bench:detection
//   npm run bench:detection -- --seeds 20 --accounts 1000 --book-accounts 3000 --days 180
//   npm run bench:detection -- --pg postgres://postgres@127.0.0.1:5432/postgres
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { sql } from 'kysely';
import { formatBacktest } from '../src/cli/commands/detection';
import { DEFAULT_RULES, detectionRuleSchema, type DetectionRule } from '../src/domain/detection';
import { backtestFigures, replayDetection, type AccountTruth } from '../src/domain/detection-replay';
import { DEFAULT_SCORECARD } from '../src/domain/health';
import { DEFAULT_SETTINGS } from '../src/domain/settings';
import { createServices } from '../src/services';
import { ManualClock } from '../src/services/clock';
import { openStore } from '../src/store/db';
import { seconds, target } from './lib/book';
import { generateScenario, replayAccountsOf, storeScenario, type Scenario } from './lib/churn-scenarios';

const { values } = parseArgs({
  options: {
    seeds: { type: 'string', default: '20' },
    accounts: { type: 'string', default: '1000' },
    days: { type: 'string', default: '180' },
    'book-accounts': { type: 'string', default: '3000' },
    pg: { type: 'string' },
  },
});
const seeds = Number(values.seeds);
const accounts = Number(values.accounts);
const days = Number(values.days);
const bookAccounts = Number(values['book-accounts']);
const START = '2026-01-01';

const before: DetectionRule[] = (
  JSON.parse(readFileSync(new URL('./fixtures/rules-before.json', import.meta.url), 'utf8')) as unknown[]
).map((rule) => detectionRuleSchema.parse(rule));

const truthOf = (scenario: Scenario) =>
  new Map<number, AccountTruth>(
    scenario.accounts.map((account, index) => [
      index + 1,
      { churnDay: account.churnDay, reasons: account.reasons, showsSignals: account.archetype !== 'silent' },
    ]),
  );

type Row = { precision: number; recall: number; reason: number; after: number; flagged: number };
const judged = async (scenario: Scenario, rules: readonly DetectionRule[]): Promise<Row> => {
  const history = replayAccountsOf(scenario);
  const result = await replayDetection(history, {
    rules,
    scorecard: DEFAULT_SCORECARD,
    from: START,
    to: scenario.end,
    recoveryDays: DEFAULT_SETTINGS.detectionRecoveryDays,
  });
  const figures = backtestFigures(result, truthOf(scenario), { from: START, to: scenario.end, rules });
  return {
    precision: figures.precision ?? 0,
    recall: figures.recall[30] ?? 0,
    reason: figures.rightReasonAtOpening ?? 0,
    after: figures.openedAfterChurn,
    flagged: figures.flagged,
  };
};

const f3 = (value: number) => value.toFixed(3);
console.log(
  `Generated books: ${seeds} seeds x ${accounts} accounts x ${days} days; recall counts churners with a warning sign, caught 30+ days ahead`,
);
console.log(
  `  seed  ${'rules before: precision  recall  reason  after churn'.padEnd(52)}  defaults now: precision  recall  reason  after churn`,
);
const rows: { old: Row; now: Row }[] = [];
for (let seed = 1; seed <= seeds; seed += 1) {
  const scenario = generateScenario({ seed, accounts, days, start: START });
  const row = { old: await judged(scenario, before), now: await judged(scenario, DEFAULT_RULES) };
  rows.push(row);
  const cells = (r: Row) =>
    `${f3(r.precision).padStart(23)}  ${f3(r.recall).padStart(6)}  ${f3(r.reason).padStart(6)}  ${String(r.after).padStart(11)}`;
  console.log(`  ${String(seed).padStart(4)}  ${cells(row.old).padEnd(52)}  ${cells(row.now)}`);
}
const mean = (pick: (row: { old: Row; now: Row }) => number) =>
  rows.reduce((sum, row) => sum + pick(row), 0) / rows.length;
const min = (pick: (row: { old: Row; now: Row }) => number) => Math.min(...rows.map(pick));
for (const [label, of] of [
  ['mean', mean],
  ['lowest', min],
] as const) {
  console.log(
    `  ${label.padEnd(7)}before: precision ${f3(of((r) => r.old.precision))}, recall ${f3(of((r) => r.old.recall))}, reason ${f3(of((r) => r.old.reason))}` +
      ` | now: precision ${f3(of((r) => r.now.precision))}, recall ${f3(of((r) => r.now.recall))}, reason ${f3(of((r) => r.now.reason))}`,
  );
}
console.log(
  `  cases opened after the customer left: before ${rows.reduce((s, r) => s + r.old.after, 0)}, now ${rows.reduce((s, r) => s + r.now.after, 0)}`,
);

// 2. The backtest on a stored book.
const { url, drop } = await target({ pg: values.pg });
const store = await openStore(url);
try {
  const clock = new ManualClock(`${START}T00:00:00.000Z`);
  const services = createServices(store, clock);
  const scenario = generateScenario({ seed: 1, accounts: bookAccounts, days, start: START });
  const written = Date.now();
  await storeScenario(scenario, { services, clock });
  const signals = scenario.accounts.reduce((sum, account) => sum + account.signals.length, 0);
  console.log(
    `\n${store.kind}: ${bookAccounts} accounts, ${signals} signals over ${days} days written in ${seconds(Date.now() - written)}`,
  );
  // Baseline: one SQL aggregate over the rollups the backtest reads.
  const t0 = performance.now();
  await sql`select account_id, metric, count(*), sum(value) from daily_rollups where day between ${START} and ${scenario.end} group by account_id, metric`.execute(
    store.db,
  );
  const aggregate = performance.now() - t0;
  const t1 = performance.now();
  const report = await services.detectionBacktest.run({ from: START, to: scenario.end });
  const backtest = performance.now() - t1;
  console.log(
    `  one SQL aggregate over the rollups   ${seconds(aggregate).padStart(9)}\n` +
      `  retain detection backtest           ${seconds(backtest).padStart(9)}  (${(backtest / aggregate).toFixed(1)}x the aggregate; ${
        backtest < 30_000 ? 'within' : 'OVER'
      } the 30 s target)\n`,
  );
  console.log(formatBacktest(report));
} finally {
  await store.close();
  await drop();
}

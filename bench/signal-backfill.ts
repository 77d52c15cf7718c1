// A historical backfill: one generated book's signals (bench/lib/churn-scenarios.ts) as one CSV
// file, imported into a store two ways:
//   - `retain import signals`: every signal written, then the accounts scored and detected once,
//     today (the baseline: the plain import of the same file);
//   - `retain import signals --replay`: the same file written day by day from its first day, with
//     scoring and detection at each day's end, so cases open on the day their evidence arrived.
// Prints both times, their ratio, the time per replayed day, and the cases the replay opened beside
// those the in-memory rules backtest finds on the same history (they must agree).
//
//   npm run bench:backfill
//   npm run bench:backfill -- --accounts 3000 --days 180
//   npm run bench:backfill -- --pg postgres://postgres@127.0.0.1:5432/postgres
import { createReadStream, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { DEFAULT_RULES } from '../src/domain/detection';
import { replayDetection } from '../src/domain/detection-replay';
import { DEFAULT_SCORECARD } from '../src/domain/health';
import { SYSTEM_ACTOR } from '../src/domain/policy';
import { DEFAULT_SETTINGS } from '../src/domain/settings';
import { createServices } from '../src/services';
import { ManualClock } from '../src/services/clock';
import type { SignalImportReport } from '../src/services/imports';
import type { BackfillReport } from '../src/services/signal-backfill';
import { openStore } from '../src/store/db';
import { seconds, target } from './lib/book';
import {
  createScenarioAccounts,
  generateScenario,
  replayAccountsOf,
  scenarioCsv,
} from './lib/churn-scenarios';

const { values } = parseArgs({
  options: {
    accounts: { type: 'string', default: '1000' },
    days: { type: 'string', default: '180' },
    seed: { type: 'string', default: '1' },
    pg: { type: 'string' },
  },
});
const accounts = Number(values.accounts);
const days = Number(values.days);
const START = '2026-01-01';

const scenario = generateScenario({ seed: Number(values.seed), accounts, days, start: START });
const signals = scenario.accounts.reduce((sum, account) => sum + account.signals.length, 0);
const dir = mkdtempSync(join(tmpdir(), 'retain-backfill-'));
const file = join(dir, 'signals.csv');
writeFileSync(file, scenarioCsv(scenario));
const end = new Date(`${scenario.end}T23:59:59.999Z`);

async function timed(
  replay: boolean,
): Promise<{ ms: number; report: BackfillReport | SignalImportReport; kind: string }> {
  const { url, drop } = await target({ pg: values.pg });
  const store = await openStore(url);
  try {
    const clock = new ManualClock(`${START}T00:00:00.000Z`);
    const services = createServices(store, clock);
    await createScenarioAccounts(scenario, services, clock.now());
    clock.set(end);
    const started = performance.now();
    const report = replay
      ? await services.signalBackfill.replay(SYSTEM_ACTOR, createReadStream(file))
      : await services.imports.importSignals(SYSTEM_ACTOR, createReadStream(file));
    return { ms: performance.now() - started, report, kind: store.kind };
  } finally {
    await store.close();
    await drop();
  }
}

try {
  const plain = await timed(false);
  const replayed = await timed(true);
  // The backfill knows nothing of who left (no case closed as lost): neither does this replay.
  const history = replayAccountsOf(scenario).map((account) => ({ ...account, churnDay: null }));
  const memory = await replayDetection(history, {
    rules: DEFAULT_RULES,
    scorecard: DEFAULT_SCORECARD,
    from: START,
    to: scenario.end,
    recoveryDays: DEFAULT_SETTINGS.detectionRecoveryDays,
  });
  const replayDays = 'replay' in replayed.report ? replayed.report.replay.days : days;
  console.log(`${plain.kind}: ${accounts} accounts, ${signals} signals over ${days} days, one CSV file`);
  console.log(
    `  retain import signals            ${seconds(plain.ms).padStart(10)}   cases opened ${plain.report.detection?.casesOpened ?? 0} (all today)`,
  );
  console.log(
    `  retain import signals --replay   ${seconds(replayed.ms).padStart(10)}   cases opened ${replayed.report.detection?.casesOpened ?? 0}, ` +
      `closed as recovered ${replayed.report.detection?.recovered ?? 0}; ${(replayed.ms / replayDays).toFixed(0)} ms a day`,
  );
  console.log(`  replay / plain import            ${(replayed.ms / plain.ms).toFixed(1)}x`);
  console.log(
    `  the in-memory rules backtest on the same history opens ${memory.cases.length} cases, ` +
      `${memory.cases.filter((opened) => opened.outcome === 'recovered').length} closing as recovered`,
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}

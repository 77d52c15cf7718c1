// Proving and learning the health score against churn history: backtest the live (or any) scorecard
// on a labelled dataset, fit a scorecard from the data, and apply it as the live score when asked.
import { parse } from 'csv-parse/sync';
import {
  backtest,
  bandOrderOf,
  MEASURE_COLUMN,
  reportOf,
  type BacktestReport,
} from '../domain/churn-model/backtest';
import { fitChurnModel } from '../domain/churn-model/fit';
import { toScorecard, type SignalColumn } from '../domain/churn-model/scorecard';
import { stratifiedSplit, timeSplit, type Split } from '../domain/churn-model/split';
import { buildTable, subset, type ChurnTable, type ColumnType } from '../domain/churn-model/table';
import { AppError } from '../domain/errors';
import { parseCalendarDate } from '../domain/values';
import { scorecardSchema, type Scorecard } from '../domain/health';
import { assertCan, type Actor } from '../domain/policy';
import { daysBefore } from '../domain/health';
import { AccountRepository } from '../store/account.repository';
import { HealthRepository } from '../store/health.repository';
import { RiskCaseRepository } from '../store/risk-case.repository';
import type { ServiceContext } from './context';
import type { HealthService } from './health';
import { validationFailed } from './json-config';

export interface DatasetOptions {
  /** Column holding the churn outcome (1/0, true/false, yes/no). */
  label: string;
  id?: string | undefined;
  /** Date column: enables a time split; not used as an input. */
  date?: string | undefined;
  types?: Record<string, ColumnType> | undefined;
  ignore?: readonly string[] | undefined;
}

export interface SplitOptions {
  seed: number;
  /** Share of rows held out for testing; 0 tests on the training rows themselves. */
  testShare: number;
  kind: 'stratified' | 'time';
}

export const DEFAULT_SPLIT: SplitOptions = { seed: 1, testShare: 0.25, kind: 'stratified' };

export interface SplitSummary {
  kind: Split['kind'] | 'none';
  seed: number;
  testShare: number;
  trainRows: number;
  testRows: number;
}

export interface FitRun {
  seed: number;
  auc: number;
  liftTop10: number;
}

export interface FitResult {
  scorecard: Scorecard;
  split: SplitSummary;
  /** The fitted scorecard on the held-out rows. */
  test: BacktestReport;
  crossValidatedAuc: number;
  /** Inputs used only for some accounts, in words. */
  interactions: string[];
  skipped: ChurnTable['skipped'];
  /** One fit per seed when repeats were asked for, with their held-out AUC. */
  runs: FitRun[];
  meanAuc: number;
  applied: boolean;
}

export interface BacktestResult {
  split: SplitSummary;
  report: BacktestReport;
}

/** Parses a churn CSV (header row first) into a table; the first data row is line 2. */
export function readChurnCsv(content: Buffer | string, options: DatasetOptions): ChurnTable {
  let records: Record<string, string>[];
  try {
    records = parse(content, { columns: true, skip_empty_lines: true, bom: true, trim: true });
  } catch (error) {
    const line = (error as { lines?: number }).lines;
    throw new AppError(
      'MODEL_VALUE_INVALID',
      `The file is not valid CSV${line ? ` (line ${line})` : ''}: ${(error as Error).message}`,
      { line },
    );
  }
  return buildTable(records, { ...options, firstLine: 2 });
}

function splitTable(
  table: ChurnTable,
  options: SplitOptions,
): { train: ChurnTable; test: ChurnTable; split: SplitSummary } {
  if (!(options.testShare >= 0 && options.testShare < 1))
    throw new AppError('VALIDATION_FAILED', 'testShare: must be at least 0 and below 1.', {
      field: 'testShare',
    });
  if (options.testShare === 0)
    return {
      train: table,
      test: table,
      split: {
        kind: 'none',
        seed: options.seed,
        testShare: 0,
        trainRows: table.labels.length,
        testRows: table.labels.length,
      },
    };
  let split: Split;
  if (options.kind === 'time') {
    if (!table.days)
      throw new AppError('VALIDATION_FAILED', 'A time split needs a date column (--date).', {
        field: 'date',
      });
    split = timeSplit(table.days, options.testShare);
  } else split = stratifiedSplit(table.labels, options.testShare, options.seed);
  return {
    train: subset(table, split.train),
    test: subset(table, split.test),
    split: {
      kind: split.kind,
      seed: options.seed,
      testShare: options.testShare,
      trainRows: split.train.length,
      testRows: split.test.length,
    },
  };
}

const churnRate = (table: ChurnTable) =>
  table.labels.filter((label) => label === 1).length / table.labels.length;

/** The measures that apply to some accounts only, by name. */
const interactionsOf = (scorecard: Scorecard) =>
  scorecard.measures.filter((m) => m.input.kind === 'attribute' && m.input.when).map((m) => m.name);

/** Churn history from the store: accounts as they were on `asOf`, churned = a case closed as lost within the horizon. */
export interface StoreHistoryOptions {
  /** The day the prediction is made (`YYYY-MM-DD`). */
  asOf: string;
  /** How many days after `asOf` a loss counts as churn. */
  horizonDays: number;
  ignore?: readonly string[] | undefined;
}

const ACCOUNT_CHUNK = 1000;

/** Validates the options; returns the as-of day normalised to `YYYY-MM-DD`. */
function checkHistoryOptions(options: StoreHistoryOptions): string {
  const day = parseCalendarDate(options.asOf);
  if (!day.ok) throw new AppError('INVALID_DATE', `asOf: ${day.message}.`, { field: 'asOf' });
  if (!Number.isInteger(options.horizonDays) || options.horizonDays < 1 || options.horizonDays > 730)
    throw new AppError('VALIDATION_FAILED', 'horizonDays: must be a whole number from 1 to 730.', {
      field: 'horizonDays',
    });
  return day.value;
}

export class ChurnModelService {
  constructor(
    private readonly context: ServiceContext,
    private readonly health: HealthService,
  ) {}

  /**
   * Who was lost after `asOf`: every account id, with the label of each still a customer on `asOf`
   * (1 when a case of theirs closed as lost in the following `horizonDays`), null for those gone by then.
   */
  private async outcomes(options: StoreHistoryOptions) {
    const asOf = checkHistoryOptions(options);
    const db = this.context.store.db;
    const end = daysBefore(asOf, -options.horizonDays);
    const closings = await new RiskCaseRepository(db).lostClosings();
    // Without a loss in the window there is nothing to learn or test: said before any score is read.
    const lostInWindow = [...closings.values()].some((days) =>
      days.some((at) => at.slice(0, 10) > asOf && at.slice(0, 10) <= end),
    );
    if (!lostInWindow)
      throw new AppError(
        'MODEL_LABEL_CONSTANT',
        `Between ${asOf} and ${options.horizonDays} days later no account was lost: there is nothing to test against.`,
      );
    const labelOf = (id: number): 0 | 1 | null => {
      const lost = (closings.get(id) ?? []).map((at) => at.slice(0, 10));
      if (lost.some((day) => day <= asOf)) return null; // already gone on the as-of day
      return lost.some((day) => day <= end) ? 1 : 0;
    };
    return { asOf, ids: await new AccountRepository(db).allIds(), labelOf };
  }

  /**
   * The accounts still customers on `asOf`, each labelled churned when a case of theirs closed as lost
   * in the following `horizonDays`, with their stored score on `asOf`.
   */
  private async history(options: StoreHistoryOptions) {
    const { asOf, ids, labelOf } = await this.outcomes(options);
    const db = this.context.store.db;
    const accounts = [];
    for (let i = 0; i < ids.length; i += ACCOUNT_CHUNK) {
      const chunk = ids.slice(i, i + ACCOUNT_CHUNK);
      const found = await new AccountRepository(db).findManyById(chunk);
      const scores = await new HealthRepository(db).scoresAsOf(chunk, asOf);
      for (const id of chunk) {
        const account = found.get(id);
        const label = labelOf(id);
        if (!account || label === null) continue;
        accounts.push({ account, label, health: scores.get(id) ?? null });
      }
    }
    return accounts;
  }

  /**
   * Backtests the scores the store held on `asOf` (as they were then, not recomputed) against the
   * losses that followed.
   */
  async backtestStore(
    options: StoreHistoryOptions,
  ): Promise<BacktestResult & { asOf: string; horizonDays: number }> {
    // Only each account's label and its score and band that day: no account or score details read.
    const { asOf, ids, labelOf } = await this.outcomes(options);
    const bands = await new HealthRepository(this.context.store.db).scoreBandsAsOf(ids, asOf);
    const accounts = ids.flatMap((id) => {
      const label = labelOf(id);
      return label === null ? [] : [{ label, health: bands.get(id) ?? null }];
    });
    const scored = accounts.flatMap(({ label, health }) =>
      health ? [{ label, score: health.score, band: health.band }] : [],
    );
    if (scored.length > 0 && scored.every((entry) => entry.label === scored[0]?.label))
      throw new AppError(
        'MODEL_LABEL_CONSTANT',
        `Between ${options.asOf} and ${options.horizonDays} days later ${scored[0]?.label === 1 ? 'every' : 'no'} scored account was lost: there is nothing to test against.`,
      );
    const report = reportOf(
      scored,
      accounts.length - scored.length,
      bandOrderOf(await this.health.scorecard()),
    );
    return {
      asOf: options.asOf,
      horizonDays: options.horizonDays,
      split: { kind: 'none', seed: 0, testShare: 0, trainRows: 0, testRows: scored.length },
      report,
    };
  }

  /**
   * The store's churn history as a table: account attributes, ARR, tier and lifecycle stage, plus
   * what each signal measure read on `asOf` (columns `measure:<key>`), labelled by losses after it.
   */
  async storeTable(
    options: StoreHistoryOptions,
  ): Promise<{ table: ChurnTable; signalColumns: Map<string, SignalColumn> }> {
    const accounts = await this.history(options);
    const scorecard = await this.health.scorecard();
    const signalMeasures = scorecard.measures.filter((measure) => measure.input.kind !== 'attribute');
    const records = accounts.map(({ account, label, health }) => {
      const record: Record<string, string | number | boolean | null> = {
        'account id': account.externalId,
        churned: label,
        arr: account.arr,
        tier: account.tier,
        lifecycleStage: account.lifecycleStage,
      };
      for (const [key, value] of Object.entries(account.attributes))
        if (!Object.hasOwn(record, key)) record[key] = value;
      for (const measure of signalMeasures) {
        const component = health?.components.find((c) => c.key === measure.key);
        record[`${MEASURE_COLUMN}${measure.key}`] = component?.value ?? null;
      }
      return record;
    });
    // Every record gets every column, so the table has the same columns whichever account comes first.
    const columns = [...new Set(records.flatMap((record) => Object.keys(record)))];
    const rows = records.map((record) => Object.fromEntries(columns.map((c) => [c, record[c] ?? null])));
    const table = buildTable(rows, {
      label: 'churned',
      id: 'account id',
      ignore: options.ignore,
      firstLine: 1,
    });
    const signalColumns = new Map(
      signalMeasures.map((measure): [string, SignalColumn] => [
        `${MEASURE_COLUMN}${measure.key}`,
        {
          key: measure.key,
          name: measure.name,
          label: measure.label,
          unit: measure.unit,
          input: measure.input,
        },
      ]),
    );
    return { table, signalColumns };
  }

  /** Evaluates a scorecard (the live one unless given) on the held-out rows of a labelled table. */
  async backtest(
    table: ChurnTable,
    options: SplitOptions & { scorecard?: unknown },
  ): Promise<BacktestResult> {
    let scorecard: Scorecard;
    if (options.scorecard === undefined) scorecard = await this.health.scorecard();
    else {
      const parsed = scorecardSchema.safeParse(options.scorecard);
      if (!parsed.success) throw validationFailed(parsed.error, 'scorecard');
      scorecard = parsed.data;
    }
    const { test, split } = splitTable(table, options);
    return { split, report: backtest(scorecard, test) };
  }

  /**
   * Fits a scorecard on the training rows and tests it on the held-out rows (repeated over `repeats`
   * seeds when asked); with `apply`, the first seed's scorecard becomes the live health score.
   */
  async fit(
    actor: Actor,
    table: ChurnTable,
    options: SplitOptions & {
      repeats?: number;
      apply?: boolean;
      source: string;
      signalColumns?: ReadonlyMap<string, SignalColumn>;
    },
  ): Promise<FitResult> {
    if (options.apply) assertCan(actor, 'config.write');
    const repeats = Math.max(1, options.repeats ?? 1);
    if (repeats > 1 && options.kind === 'time')
      throw new AppError(
        'VALIDATION_FAILED',
        'Repeats need a stratified split: a time split has one answer.',
        {
          field: 'repeats',
        },
      );
    const runs: (FitRun & { result: Omit<FitResult, 'runs' | 'meanAuc' | 'applied'> })[] = [];
    for (let r = 0; r < repeats; r += 1) {
      const seed = options.seed + r;
      const { train, test, split } = splitTable(table, { ...options, seed });
      const model = fitChurnModel(train, { seed, plainColumns: [...(options.signalColumns?.keys() ?? [])] });
      const scorecard = toScorecard(model, {
        ...(options.signalColumns ? { signalColumns: options.signalColumns } : {}),
        baseRate: churnRate(train),
        source: `${options.source}; ${split.kind} split, seed ${seed}, ${split.trainRows} training rows`,
      });
      const report = backtest(scorecard, test);
      runs.push({
        seed,
        auc: report.auc,
        liftTop10: report.top.find((t) => t.share === 0.1)?.lift ?? 0,
        result: {
          scorecard,
          split,
          test: report,
          crossValidatedAuc: model.crossValidatedAuc,
          interactions: interactionsOf(scorecard),
          skipped: table.skipped,
        },
      });
    }
    const first = runs[0];
    if (!first) throw new AppError('INTERNAL', 'No fit was run.');
    if (options.apply) await this.health.updateScorecard(actor, first.result.scorecard);
    return {
      ...first.result,
      runs: runs.map(({ seed, auc, liftTop10 }) => ({ seed, auc, liftTop10 })),
      meanAuc: runs.reduce((sum, run) => sum + run.auc, 0) / runs.length,
      applied: Boolean(options.apply),
    };
  }
}

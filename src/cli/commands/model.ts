// `retain fit` and `retain backtest`: learn a health scorecard from churn history, and prove a
// scorecard against it, on a held-out split that the same seed reproduces.
import { readFileSync, writeFileSync } from 'node:fs';
import { InvalidArgumentError, type Command } from 'commander';
import type { BacktestReport } from '../../domain/churn-model/backtest';
import type { ColumnType } from '../../domain/churn-model/table';
import { AppError } from '../../domain/errors';
import { SYSTEM_ACTOR } from '../../domain/policy';
import {
  DEFAULT_SPLIT,
  readChurnCsv,
  type DatasetOptions,
  type FitResult,
  type SplitOptions,
  type SplitSummary,
} from '../../services/churn-model';
import { withServices } from '../run';

interface DataFlags {
  db?: string;
  label?: string;
  fromStore?: boolean;
  asOf?: string;
  horizonDays: number;
  id?: string;
  date?: string;
  type?: string[];
  ignore?: string;
  seed: number;
  testShare: number;
  timeSplit?: boolean;
  json?: string;
}

const percent = (value: number) => `${(value * 100).toFixed(1)}%`;

function parseNumber(min: number, max: number) {
  return (raw: string) => {
    const value = Number(raw);
    if (!Number.isFinite(value) || value < min || value > max)
      throw new InvalidArgumentError(`expected a number from ${min} to ${max}`);
    return value;
  };
}

function parseType(raw: string, previous: string[] = []): string[] {
  if (!/^[^=]+=(number|category)$/.test(raw))
    throw new InvalidArgumentError(`"${raw}" is not COLUMN=number or COLUMN=category`);
  return [...previous, raw];
}

function datasetOptions(file: string | undefined, flags: DataFlags): DatasetOptions {
  if (!file || !flags.label)
    throw new AppError(
      'VALIDATION_FAILED',
      'Name a CSV file and its churn label column (--label), or use --from-store with --as-of.',
      { field: file ? 'label' : 'file' },
    );
  const types: Record<string, ColumnType> = {};
  for (const entry of flags.type ?? []) {
    const at = entry.lastIndexOf('=');
    types[entry.slice(0, at)] = entry.slice(at + 1) as ColumnType;
  }
  return {
    label: flags.label,
    id: flags.id,
    date: flags.date,
    types,
    ignore: flags.ignore ? flags.ignore.split(',').map((column) => column.trim()) : [],
  };
}

function splitOptions(flags: DataFlags): SplitOptions {
  return { seed: flags.seed, testShare: flags.testShare, kind: flags.timeSplit ? 'time' : 'stratified' };
}

function historyOptions(flags: DataFlags) {
  if (!flags.asOf)
    throw new AppError('VALIDATION_FAILED', '--from-store needs --as-of YYYY-MM-DD.', { field: 'asOf' });
  return {
    asOf: flags.asOf,
    horizonDays: flags.horizonDays,
    ignore: flags.ignore ? flags.ignore.split(',').map((column) => column.trim()) : [],
  };
}

function readFile(file: string): Buffer {
  try {
    return readFileSync(file);
  } catch (error) {
    throw new AppError('FILE_NOT_READABLE', `Cannot read "${file}": ${(error as Error).message}`, { file });
  }
}

function withDataOptions(command: Command): Command {
  return command
    .option('--label <column>', 'column with the churn outcome (1/0, true/false, yes/no)')
    .option('--id <column>', 'column with the account id (not used as an input)')
    .option('--date <column>', 'date column, for --time-split (not used as an input)')
    .option(
      '--type <column=type>',
      'override an inferred column type: number or category (repeatable)',
      parseType,
    )
    .option('--ignore <columns>', 'comma-separated columns to leave out')
    .option('--seed <n>', 'seed of the train/test split', parseNumber(0, 2 ** 31), DEFAULT_SPLIT.seed)
    .option(
      '--test-share <share>',
      'share of rows held out for testing (0 = none)',
      parseNumber(0, 0.9),
      DEFAULT_SPLIT.testShare,
    )
    .option('--time-split', 'hold out the latest rows by --date instead of a stratified random share')
    .option('--json <file>', 'also write the full result as JSON')
    .option(
      '--from-store',
      "use the store's history instead of a file: churned = a case closed as lost after --as-of",
    )
    .option('--as-of <day>', 'with --from-store: the day the prediction is made (YYYY-MM-DD)')
    .option(
      '--horizon-days <n>',
      'with --from-store: days after --as-of in which a loss counts',
      parseNumber(1, 730),
      180,
    )
    .option('--db <target>', 'SQLite file path or postgres:// URL');
}

function describeSplit(split: SplitSummary): string {
  if (split.kind === 'none') return `all ${split.testRows} rows (no held-out split)`;
  return `${split.testRows} held-out rows (${split.kind} split, ${percent(split.testShare)}, seed ${split.seed}; ${split.trainRows} training rows)`;
}

export function formatBacktest(report: BacktestReport): string {
  const lines = [
    `Accounts ${report.accounts}, churned ${report.churned} (${percent(report.baseRate)})` +
      (report.unscored > 0 ? `, ${report.unscored} left out: nothing the scorecard reads` : ''),
    `ROC AUC ${report.auc.toFixed(3)} (ranked by ${report.rankedBy === 'churn_probability' ? 'churn probability' : 'health score'})`,
    '',
    'Riskiest   Accounts  Churned  Precision  Recall   Lift',
    ...report.top.map(
      (t) =>
        `top ${String(Math.round(t.share * 100)).padStart(2)}%  ${String(t.accounts).padStart(9)}  ${String(t.churned).padStart(7)}  ${percent(t.precision).padStart(9)}  ${percent(t.recall).padStart(6)}  ${t.lift.toFixed(2).padStart(5)}x`,
    ),
    '',
    'Band        Accounts  Churned  Churn rate  Predicted',
    ...report.calibration.map(
      (row) =>
        `${row.band.padEnd(10)}  ${String(row.accounts).padStart(8)}  ${String(row.churned).padStart(7)}  ${percent(row.churnRate).padStart(10)}  ${(row.predicted === null ? '-' : percent(row.predicted)).padStart(9)}`,
    ),
  ];
  return `${lines.join('\n')}\n`;
}

function formatFit(result: FitResult): string {
  const measures = [...result.scorecard.measures].sort((a, b) => b.weight - a.weight);
  const lines = [
    ...result.skipped.map((s) => `Left out "${s.column}": ${s.reason}.`),
    `Fitted ${measures.length} measures (cross-validated AUC on training rows ${result.crossValidatedAuc.toFixed(3)}):`,
    ...measures.map((m) => `  ${m.weight.toFixed(2).padStart(7)}  ${m.name}`),
    '',
    `Held-out test: ${describeSplit(result.split)}`,
    formatBacktest(result.test),
  ];
  if (result.runs.length > 1) {
    lines.push(
      `Repeated over ${result.runs.length} seeds: ` +
        result.runs
          .map((run) => `seed ${run.seed} AUC ${run.auc.toFixed(3)} lift@10% ${run.liftTop10.toFixed(2)}x`)
          .join('; '),
      `Mean held-out AUC ${result.meanAuc.toFixed(3)}`,
      '',
    );
  }
  return lines.join('\n');
}

export function modelCommands(program: Command): void {
  withDataOptions(
    program
      .command('fit')
      .argument('[file]', 'CSV with one row per account, a churn label column and input columns')
      .description('learn a health scorecard from churn history and test it on held-out rows'),
  )
    .option(
      '--repeats <n>',
      'fit on this many seeds (seed, seed+1, ...) and report the mean held-out AUC',
      parseNumber(1, 50),
      1,
    )
    .option(
      '--out <file>',
      'write the fitted scorecard as JSON (for `retain backtest --scorecard` or PUT /health/scorecard)',
    )
    .option('--apply', 'make the fitted scorecard the live health score, then re-score every account')
    .action(
      async (
        file: string | undefined,
        flags: DataFlags & { repeats: number; out?: string; apply?: boolean },
      ) => {
        const fromFile = flags.fromStore
          ? null
          : readChurnCsv(readFile(file ?? ''), datasetOptions(file, flags));
        const fitted = (result: FitResult) => {
          process.stdout.write(formatFit(result));
          if (flags.out) {
            writeFileSync(flags.out, `${JSON.stringify(result.scorecard, null, 2)}\n`);
            process.stdout.write(`Scorecard written to ${flags.out}\n`);
          }
          if (flags.json) writeFileSync(flags.json, `${JSON.stringify(result, null, 2)}\n`);
        };
        // From a file, the store only lends its live scorecard (or takes the fitted one with --apply).
        await withServices({ ...flags, createStore: fromFile !== null }, async (services) => {
          const fromStore = fromFile ? null : await services.churnModel.storeTable(historyOptions(flags));
          const table = fromFile ?? fromStore?.table;
          if (!table) return;
          const result = await services.churnModel.fit({ ...SYSTEM_ACTOR, label: 'cli' }, table, {
            ...splitOptions(flags),
            repeats: flags.repeats,
            apply: Boolean(flags.apply),
            source: fromStore
              ? `fitted by retain fit on the store's history: losses within ${flags.horizonDays} days of ${flags.asOf}`
              : `fitted by retain fit on ${file}`,
            ...(fromStore ? { signalColumns: fromStore.signalColumns } : {}),
          });
          fitted(result);
          if (flags.apply) {
            const run = await services.health.score();
            process.stdout.write(
              `Applied as the live health score; re-scored ${run.scored} accounts (${run.withoutData} without data).\n`,
            );
          }
        });
      },
    );

  withDataOptions(
    program
      .command('backtest')
      .argument(
        '<file>',
        'CSV with one row per account, a churn label column and the columns the scorecard reads',
      )
      .description(
        'evaluate a health scorecard as a churn predictor: AUC, lift of the riskiest, calibration by band',
      ),
  )
    .option('--scorecard <file>', 'a scorecard JSON file (default: the live scorecard of the store)')
    .action(async (file: string | undefined, flags: DataFlags & { scorecard?: string }) => {
      if (flags.fromStore) {
        await withServices(flags, async (services) => {
          const result = await services.churnModel.backtestStore(historyOptions(flags));
          process.stdout.write(
            `Backtest of the scores stored on ${result.asOf} against losses in the ${result.horizonDays} days after\n` +
              formatBacktest(result.report),
          );
          if (flags.json) writeFileSync(flags.json, `${JSON.stringify(result, null, 2)}\n`);
        });
        return;
      }
      const table = readChurnCsv(readFile(file ?? ''), datasetOptions(file, flags));
      let scorecard: unknown;
      if (flags.scorecard) {
        try {
          scorecard = JSON.parse(readFile(flags.scorecard).toString('utf8'));
        } catch (error) {
          if (error instanceof AppError) throw error;
          throw new AppError(
            'VALIDATION_FAILED',
            `"${flags.scorecard}" is not JSON: ${(error as Error).message}`,
            {
              file: flags.scorecard,
            },
          );
        }
      }
      await withServices({ ...flags, createStore: true }, async (services) => {
        const result = await services.churnModel.backtest(table, {
          ...splitOptions(flags),
          ...(scorecard === undefined ? {} : { scorecard }),
        });
        process.stdout.write(`Backtest on ${describeSplit(result.split)}\n${formatBacktest(result.report)}`);
        if (flags.json) writeFileSync(flags.json, `${JSON.stringify(result, null, 2)}\n`);
      });
    });
}

// Backtesting a health scorecard as a churn predictor: score every account of a labelled table the
// way the live score would, then ask how well the ranking separates churners from stayers.
import { AppError } from '../errors';
import { attributeInputs, computeHealth, type AccountFacts, type Scorecard } from '../health';
import { calibration, rocAuc, topShares, type CalibrationRow, type TopShare } from './metrics';
import type { ChurnTable } from './table';

export interface BacktestReport {
  accounts: number;
  churned: number;
  baseRate: number;
  /** Accounts the scorecard could not score (no input it reads), left out of the figures. */
  unscored: number;
  auc: number;
  /** What ranks the accounts: the fitted churn probability, or the health score (lower = riskier). */
  rankedBy: 'churn_probability' | 'health_score';
  top: TopShare[];
  calibration: CalibrationRow[];
}

/** Prefix of columns that hold what a signal measure read on the as-of day (data from the store). */
export const MEASURE_COLUMN = 'measure:';

/** An account's facts from one table row: its columns become attributes. */
export function rowFacts(table: ChurnTable, row: number): AccountFacts {
  const attributes: Record<string, string | number | null> = {};
  for (const column of table.columns) attributes[column.name] = column.values[row] ?? null;
  return { arr: 0, tier: null, lifecycleStage: null, attributes };
}

/** Every measure's input for one row: attributes from columns, signal measures from `measure:` columns. */
function rowInputs(
  scorecard: Scorecard,
  table: ChurnTable,
  row: number,
): Record<string, number | string | null> {
  const inputs = attributeInputs(scorecard.measures, rowFacts(table, row));
  for (const measure of scorecard.measures) {
    if (measure.input.kind === 'attribute') continue;
    const column = table.columns.find((c) => c.name === `${MEASURE_COLUMN}${measure.key}`);
    inputs[measure.key] = column?.values[row] ?? null;
  }
  return inputs;
}

/** Scores each row with the scorecard. */
export function scoreTable(scorecard: Scorecard, table: ChurnTable) {
  return table.labels.map((label, row) => ({
    row,
    label,
    health: computeHealth(scorecard, rowInputs(scorecard, table, row)),
  }));
}

interface Scored {
  label: 0 | 1;
  score: number;
  band: string;
  churnProbability?: number | undefined;
}

/** The report for accounts already scored (by a scorecard now, or as stored on a past day). */
export function reportOf(
  scored: readonly Scored[],
  unscored: number,
  bandOrder: readonly string[],
): BacktestReport {
  if (scored.length === 0)
    throw new AppError(
      'MODEL_NOT_APPLICABLE',
      'No account could be scored: the scorecard reads none of this data.',
    );
  const labels = scored.map((entry) => entry.label);
  const byProbability = scored.every((entry) => entry.churnProbability !== undefined);
  const risk = scored.map((entry) => (byProbability ? (entry.churnProbability ?? 0) : 100 - entry.score));
  const churned = labels.filter((label) => label === 1).length;
  const bands = [
    ...bandOrder,
    ...new Set(scored.map((e) => e.band).filter((band) => !bandOrder.includes(band))),
  ];
  return {
    accounts: scored.length,
    churned,
    baseRate: churned / scored.length,
    unscored,
    auc: rocAuc(risk, labels),
    rankedBy: byProbability ? 'churn_probability' : 'health_score',
    top: topShares(risk, labels),
    calibration: calibration(
      scored.map((entry) => ({
        band: entry.band,
        label: entry.label,
        probability: entry.churnProbability ?? null,
      })),
      bands,
    ),
  };
}

/** Bands from the lowest score up. */
export const bandOrderOf = (scorecard: Scorecard) =>
  [...scorecard.bands].sort((a, b) => a.min - b.min).map((band) => band.name);

/** Evaluates the scorecard on every row of the table. */
export function backtest(scorecard: Scorecard, table: ChurnTable): BacktestReport {
  const scored = scoreTable(scorecard, table);
  const usable = scored.flatMap(({ label, health }) =>
    health
      ? [{ label, score: health.score, band: health.band, churnProbability: health.churnProbability }]
      : [],
  );
  return reportOf(usable, scored.length - usable.length, bandOrderOf(scorecard));
}

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

/** An account's facts from one table row: its columns become attributes. */
export function rowFacts(table: ChurnTable, row: number): AccountFacts {
  const attributes: Record<string, string | number | null> = {};
  for (const column of table.columns) attributes[column.name] = column.values[row] ?? null;
  return { arr: 0, tier: null, lifecycleStage: null, attributes };
}

/** Scores each row with the scorecard: risk (higher = more likely to churn), score, band, probability. */
export function scoreTable(scorecard: Scorecard, table: ChurnTable) {
  return table.labels.map((label, row) => {
    const health = computeHealth(scorecard, attributeInputs(scorecard.measures, rowFacts(table, row)));
    return { row, label, health };
  });
}

/** Evaluates the scorecard on every row of the table. */
export function backtest(scorecard: Scorecard, table: ChurnTable): BacktestReport {
  const scored = scoreTable(scorecard, table);
  const usable = scored.flatMap(({ label, health }) => (health ? [{ label, health }] : []));
  if (usable.length === 0)
    throw new AppError(
      'MODEL_NOT_APPLICABLE',
      'The scorecard reads no column of this data: no account could be scored.',
      { measures: scorecard.measures.map((m) => m.key) },
    );
  const labels = usable.map((entry) => entry.label);
  const byProbability = usable.every((entry) => entry.health.churnProbability !== undefined);
  const risk = usable.map((entry) =>
    byProbability ? (entry.health.churnProbability ?? 0) : 100 - entry.health.score,
  );
  const churned = labels.filter((label) => label === 1).length;
  const bandOrder = [...scorecard.bands].sort((a, b) => a.min - b.min).map((band) => band.name);
  return {
    accounts: usable.length,
    churned,
    baseRate: churned / usable.length,
    unscored: scored.length - usable.length,
    auc: rocAuc(risk, labels),
    rankedBy: byProbability ? 'churn_probability' : 'health_score',
    top: topShares(risk, labels),
    calibration: calibration(
      usable.map((entry) => ({
        band: entry.health.band,
        label: entry.label,
        probability: entry.health.churnProbability ?? null,
      })),
      bandOrder,
    ),
  };
}

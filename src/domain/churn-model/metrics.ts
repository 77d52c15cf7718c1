// How well a risk ranking predicts churn: ROC AUC, what the riskiest slice catches, and whether a
// band's predicted churn matches what happened.

/**
 * Area under the ROC curve for `risk` (higher = more likely to churn) against the labels: the chance
 * a random churner ranks above a random stayer, ties counting half.
 */
export function rocAuc(risk: readonly number[], labels: readonly (0 | 1)[]): number {
  const order = risk
    .map((value, row) => ({ value, label: labels[row] ?? 0 }))
    .sort((a, b) => a.value - b.value);
  let positives = 0;
  let rankSum = 0;
  for (let i = 0; i < order.length;) {
    let j = i;
    while (j < order.length && order[j]?.value === order[i]?.value) j += 1;
    const averageRank = (i + 1 + j) / 2;
    for (let k = i; k < j; k += 1) {
      if (order[k]?.label === 1) {
        positives += 1;
        rankSum += averageRank;
      }
    }
    i = j;
  }
  const negatives = order.length - positives;
  if (positives === 0 || negatives === 0) return Number.NaN;
  return (rankSum - (positives * (positives + 1)) / 2) / (positives * negatives);
}

export interface TopShare {
  /** Share of accounts taken, riskiest first (0.1 = top 10%). */
  share: number;
  accounts: number;
  churned: number;
  /** Churned among the flagged accounts. */
  precision: number;
  /** Share of all churners that are in the flagged slice. */
  recall: number;
  /** Precision over the base churn rate: how many times better than picking at random. */
  lift: number;
}

/** Precision, recall and lift when the riskiest `share` of accounts is flagged. */
export function topShares(
  risk: readonly number[],
  labels: readonly (0 | 1)[],
  shares: readonly number[] = [0.05, 0.1, 0.2],
): TopShare[] {
  const rows = risk.map((value, row) => ({ value, label: labels[row] ?? 0, row }));
  // Riskiest first; ties broken by row so the figure is the same on every run.
  rows.sort((a, b) => b.value - a.value || a.row - b.row);
  const totalChurned = rows.filter((r) => r.label === 1).length;
  const baseRate = rows.length === 0 ? 0 : totalChurned / rows.length;
  return shares.map((share) => {
    const accounts = Math.max(1, Math.round(rows.length * share));
    const churned = rows.slice(0, accounts).filter((r) => r.label === 1).length;
    const precision = churned / accounts;
    return {
      share,
      accounts,
      churned,
      precision,
      recall: totalChurned === 0 ? 0 : churned / totalChurned,
      lift: baseRate === 0 ? 0 : precision / baseRate,
    };
  });
}

export interface CalibrationRow {
  band: string;
  accounts: number;
  churned: number;
  /** Observed churn rate in the band. */
  churnRate: number;
  /** Mean predicted churn probability in the band, when the scorecard carries a churn model. */
  predicted: number | null;
}

/** Observed (and predicted) churn by band, in the order the bands are given. */
export function calibration(
  rows: readonly { band: string; label: 0 | 1; probability: number | null }[],
  bandOrder: readonly string[],
): CalibrationRow[] {
  return bandOrder.map((band) => {
    const inBand = rows.filter((row) => row.band === band);
    const churned = inBand.filter((row) => row.label === 1).length;
    const probabilities = inBand.flatMap((row) => (row.probability === null ? [] : [row.probability]));
    return {
      band,
      accounts: inBand.length,
      churned,
      churnRate: inBand.length === 0 ? 0 : churned / inBand.length,
      predicted:
        probabilities.length === 0 ? null : probabilities.reduce((a, b) => a + b, 0) / probabilities.length,
    };
  });
}

/** Mean log-loss of probabilities against labels (lower is better). */
export function logLoss(probabilities: readonly number[], labels: readonly (0 | 1)[]): number {
  const eps = 1e-12;
  let total = 0;
  probabilities.forEach((p, i) => {
    const clamped = Math.min(1 - eps, Math.max(eps, p));
    total -= labels[i] === 1 ? Math.log(clamped) : Math.log(1 - clamped);
  });
  return probabilities.length === 0 ? 0 : total / probabilities.length;
}

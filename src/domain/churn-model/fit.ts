// Learning a churn model from a table: bin every column on the training rows, pick the penalty by
// cross-validation, add the few interactions that the data supports ("international minutes matter
// for customers on the international plan"), fit, and keep only what a scorecard needs.
import {
  assignBins,
  binColumn,
  binCount,
  DEFAULT_BINNING,
  type Binning,
  type BinningOptions,
  type Condition,
  type TermSpec,
} from './binning';
import { fitLogistic, predictLogOdds, probability, type DesignBlock, type Penalty } from './logistic';
import { rocAuc } from './metrics';
import { stratifiedFolds } from './split';
import type { ChurnTable } from './table';

export interface ModelTerm extends TermSpec {
  /** Added to the log-odds of churn, one per bin (see `binCount`). */
  weights: number[];
  /** Training rows per bin, so a reader can tell a solid band from a thin one. */
  counts: number[];
}

export interface ChurnModel {
  intercept: number;
  terms: ModelTerm[];
  penalty: Penalty;
  /** Cross-validated AUC of the chosen model on the training rows. */
  crossValidatedAuc: number;
}

export interface FitOptions {
  binning?: BinningOptions;
  /** Penalties to choose from; the best by cross-validated AUC wins. */
  penalties?: Penalty[];
  /** Most interaction terms to add (0 for main effects only). */
  maxInteractions?: number;
  /** Columns that take no part in interactions (e.g. signal measures, whose scorecard input has no condition). */
  plainColumns?: readonly string[];
  folds?: number;
  seed?: number;
}

export const DEFAULT_PENALTIES: Penalty[] = [1, 3, 10, 30].map((smooth) => ({ ridge: 1, smooth }));
const DEFAULT_MAX_INTERACTIONS = 6;
/** An interaction must raise cross-validated AUC by at least this much to be kept. */
const MIN_GAIN = 0.001;
/** Gate columns with more values than this are not used to split rows (e.g. a US state). */
const MAX_GATE_LEVELS = 10;
const GATE_CUTS = 5;

function blocksOf(terms: readonly TermSpec[]): DesignBlock[] {
  return terms.map(({ binning }) => ({
    size: binCount(binning),
    ordered: binning.type === 'number' ? binning.cuts.length + 1 : 0,
  }));
}

/** Candidate row conditions on a column, for gating an interaction. */
function gatesOf(binning: Binning): Condition[] {
  if (binning.type === 'category') {
    if (binning.levels.length > MAX_GATE_LEVELS) return [];
    return binning.levels.map((level) => ({ column: binning.column, type: 'category', values: [level] }));
  }
  const { cuts } = binning;
  const picked =
    cuts.length <= GATE_CUTS
      ? cuts
      : Array.from(
          { length: GATE_CUTS },
          (_, i) => cuts[Math.round(((i + 1) * (cuts.length - 1)) / (GATE_CUTS + 1))] ?? 0,
        );
  return [...new Set(picked)].flatMap((cut): Condition[] => [
    { column: binning.column, type: 'number', above: cut, upTo: null },
    { column: binning.column, type: 'number', above: null, upTo: cut },
  ]);
}

const sameTerm = (a: TermSpec, b: TermSpec) =>
  a.binning.column === b.binning.column && JSON.stringify(a.when) === JSON.stringify(b.when);

/** Fits a binned logistic model on `table` (the training rows). */
export function fitChurnModel(table: ChurnTable, options: FitOptions = {}): ChurnModel {
  const binnings = table.columns.map((column) => binColumn(column, options.binning ?? DEFAULT_BINNING));
  const rows = table.labels.map((_, row) => row);
  const folds = stratifiedFolds(table.labels, options.folds ?? 4, options.seed ?? 1);
  const binCache = new Map<string, Int32Array>();
  const binsOf = (terms: readonly TermSpec[]) =>
    terms.map((term) => {
      const key = JSON.stringify([term.binning.column, term.when]);
      let bins = binCache.get(key);
      if (!bins) {
        bins = assignBins(table, [term])[0] ?? new Int32Array(rows.length);
        binCache.set(key, bins);
      }
      return bins;
    });
  const crossValidated = (terms: readonly TermSpec[], penalty: Penalty) => {
    const bins = binsOf(terms);
    const blocks = blocksOf(terms);
    const risk = new Array<number>(rows.length).fill(0);
    folds.forEach((held, f) => {
      const train = folds.flatMap((fold, g) => (g === f ? [] : fold));
      const logOdds = predictLogOdds(
        fitLogistic(blocks, bins, table.labels, train, penalty),
        bins,
        rows.length,
      );
      for (const row of held) risk[row] = logOdds[row] ?? 0;
    });
    return rocAuc(risk, table.labels);
  };

  let terms: TermSpec[] = binnings.map((binning) => ({ binning }));
  const penalties = options.penalties ?? DEFAULT_PENALTIES;
  let best = { penalty: penalties[0] ?? { ridge: 1, smooth: 10 }, auc: Number.NaN };
  for (const penalty of penalties.length > 1 ? penalties : []) {
    const auc = crossValidated(terms, penalty);
    if (Number.isNaN(best.auc) || auc > best.auc + 1e-9) best = { penalty, auc };
  }

  const maxInteractions = options.maxInteractions ?? DEFAULT_MAX_INTERACTIONS;
  const tried: TermSpec[] = [];
  for (let round = 0; round < maxInteractions; round += 1) {
    const candidate = strongestInteraction(
      table,
      binnings.filter((binning) => !options.plainColumns?.includes(binning.column)),
      terms,
      tried,
      best.penalty,
      binsOf,
    );
    if (!candidate) break;
    tried.push(candidate);
    const auc = crossValidated([...terms, candidate], best.penalty);
    if (Number.isNaN(best.auc) || auc < best.auc + MIN_GAIN) {
      // One miss is allowed: the next strongest candidate may still help.
      if (tried.length - (terms.length - binnings.length) > 1) break;
      continue;
    }
    terms = [...terms, candidate];
    best = { ...best, auc };
  }

  const bins = binsOf(terms);
  const fit = fitLogistic(blocksOf(terms), bins, table.labels, rows, best.penalty);
  return {
    intercept: fit.intercept,
    terms: terms.map((term, t) => {
      const counts = new Array<number>(binCount(term.binning)).fill(0);
      for (const bin of bins[t] ?? []) if (bin >= 0) counts[bin] = (counts[bin] ?? 0) + 1;
      return { ...term, weights: fit.weights[t] ?? [], counts };
    }),
    penalty: best.penalty,
    crossValidatedAuc: best.auc,
  };
}

/**
 * The untried interaction that would explain most of what the current model gets wrong, by a score
 * test on the current fit's residuals (cheap: no refit per candidate).
 */
function strongestInteraction(
  table: ChurnTable,
  binnings: readonly Binning[],
  terms: readonly TermSpec[],
  tried: readonly TermSpec[],
  penalty: Penalty,
  binsOf: (terms: readonly TermSpec[]) => Int32Array[],
): TermSpec | null {
  const rows = table.labels.map((_, row) => row);
  const bins = binsOf(terms);
  const logOdds = predictLogOdds(
    fitLogistic(blocksOf(terms), bins, table.labels, rows, penalty),
    bins,
    rows.length,
  );
  const residual = new Float64Array(rows.length);
  const weight = new Float64Array(rows.length);
  logOdds.forEach((z, row) => {
    const p = probability(z);
    residual[row] = (table.labels[row] ?? 0) - p;
    weight[row] = p * (1 - p);
  });
  let best: { term: TermSpec; z: number } | null = null;
  for (const target of binnings) {
    for (const gateBinning of binnings) {
      if (gateBinning.column === target.column) continue;
      for (const when of gatesOf(gateBinning)) {
        const term: TermSpec = { binning: target, when };
        if ([...terms, ...tried].some((other) => sameTerm(other, term))) continue;
        const termBins = binsOf([term])[0];
        if (!termBins) continue;
        const size = binCount(target);
        const sumR = new Float64Array(size);
        const sumW = new Float64Array(size);
        let applies = 0;
        for (let row = 0; row < rows.length; row += 1) {
          const bin = termBins[row] ?? -1;
          if (bin < 0) continue;
          applies += 1;
          sumR[bin] = (sumR[bin] ?? 0) + (residual[row] ?? 0);
          sumW[bin] = (sumW[bin] ?? 0) + (weight[row] ?? 0);
        }
        if (applies < 2 * DEFAULT_BINNING.minRows || applies > rows.length - DEFAULT_BINNING.minRows)
          continue;
        let statistic = 0;
        let df = 0;
        for (let k = 0; k < size; k += 1) {
          if ((sumW[k] ?? 0) <= 0) continue;
          statistic += (sumR[k] ?? 0) ** 2 / ((sumW[k] ?? 0) + penalty.ridge);
          df += 1;
        }
        if (df === 0) continue;
        const z = (statistic - df) / Math.sqrt(2 * df);
        if (!best || z > best.z) best = { term, z };
      }
    }
  }
  return best && best.z > 2 ? best.term : null;
}

/** Log-odds of churn for every row of `table` under `model`. */
export function modelLogOdds(model: ChurnModel, table: ChurnTable): number[] {
  const bins = assignBins(table, model.terms);
  const logOdds = predictLogOdds(
    {
      intercept: model.intercept,
      weights: model.terms.map((term) => term.weights),
      iterations: 0,
      converged: true,
    },
    bins,
    table.labels.length,
  );
  return Array.from(logOdds);
}

// A fitted churn model written as a health scorecard a CS admin can read and edit: one measure per
// input (bands for numbers, a score per value for categories), weighted by how much that input can
// move the odds of churn. The health score is then an exact linear rescaling of the model's log-odds
// (higher score = lower risk), so ranking accounts by score is ranking them by predicted churn.
import type { AttributeCondition, HealthMeasure, Scorecard } from '../health';
import { AppError } from '../errors';
import { keyFromName } from '../values';
import { missingBin, type Condition } from './binning';
import type { ChurnModel, ModelTerm } from './fit';

/** Inputs whose weights span less log-odds than this cannot move a score by a point; they are left out. */
const MIN_RANGE = 0.02;
const MAX_MEASURES = 50;

const round = (value: number, places: number) => Math.round(value * 10 ** places) / 10 ** places;

function formatNumber(value: number): string {
  return String(round(value, 4));
}

function describeCondition(condition: Condition): string {
  if (condition.type === 'category') return `${condition.column} is ${condition.values.join(' or ')}`;
  if (condition.above !== null && condition.upTo !== null)
    return `${condition.column} over ${formatNumber(condition.above)} up to ${formatNumber(condition.upTo)}`;
  if (condition.above !== null) return `${condition.column} over ${formatNumber(condition.above)}`;
  return `${condition.column} at most ${formatNumber(condition.upTo ?? 0)}`;
}

function conditionOf(condition: Condition): AttributeCondition {
  return condition.type === 'category'
    ? { attribute: condition.column, values: condition.values }
    : { attribute: condition.column, above: condition.above, upTo: condition.upTo };
}

/** The log-odds a term can add: its bin weights, plus 0 where a conditional term does not apply. */
function reachable(term: ModelTerm): number[] {
  const used = term.weights.filter((_, bin) => (term.counts[bin] ?? 0) > 0);
  return term.when ? [...used, 0] : used;
}

interface Mapped {
  measure: HealthMeasure;
  max: number;
  range: number;
}

/** A column that stands for an existing signal measure: the fitted measure keeps that measure's input. */
export interface SignalColumn {
  key: string;
  name: string;
  label: string;
  unit: HealthMeasure['unit'];
  input: HealthMeasure['input'];
}

function toMeasure(term: ModelTerm, key: string, signal: SignalColumn | undefined): Mapped | null {
  const values = reachable(term);
  const max = Math.max(...values);
  const range = max - Math.min(...values);
  if (!(range >= MIN_RANGE)) return null;
  // Bins no training row fell in score as the missing bin does.
  const scoreOf = (weight: number) => round(Math.min(100, Math.max(0, (100 * (max - weight)) / range)), 1);
  const { binning } = term;
  const missing = term.when ? 0 : (term.weights[missingBin(binning)] ?? 0);
  const name = term.when ? `${binning.column} (when ${describeCondition(term.when)})` : binning.column;
  const measure: HealthMeasure = {
    key: signal?.key ?? key,
    name: (signal?.name ?? name).slice(0, 200),
    label: (signal?.label ?? name).slice(0, 200),
    unit: signal?.unit ?? 'value',
    weight: Math.max(0.01, round(range * 10, 2)),
    input: signal?.input ?? {
      kind: 'attribute',
      attribute: binning.column,
      ...(term.when ? { when: conditionOf(term.when) } : {}),
    },
    scoring:
      binning.type === 'number'
        ? {
            kind: 'bands',
            bands: [
              ...binning.cuts.map((upTo, bin) => ({ upTo, score: scoreOf(term.weights[bin] ?? 0) })),
              { upTo: null, score: scoreOf(term.weights[binning.cuts.length] ?? 0) },
            ],
          }
        : {
            kind: 'categories',
            categories: binning.levels.map((value, bin) => ({
              value,
              score: scoreOf(term.weights[bin] ?? 0),
            })),
            otherwise: scoreOf(term.weights[binning.levels.length] ?? 0),
          },
    missingScore: scoreOf(missing),
  };
  return { measure, max, range };
}

const logit = (p: number) => Math.log(p / (1 - p));

/**
 * Writes the model as a scorecard. Bands: Poor where predicted churn is at least 1.5x the base rate,
 * Good where it is at most half of it, Average between.
 */
export function toScorecard(
  model: ChurnModel,
  options: { baseRate: number; source: string; signalColumns?: ReadonlyMap<string, SignalColumn> },
): Scorecard {
  const keys = new Set<string>();
  const uniqueKey = (term: ModelTerm) => {
    const signal = term.when ? undefined : options.signalColumns?.get(term.binning.column);
    if (signal) {
      keys.add(signal.key);
      return signal.key;
    }
    const base = keyFromName(
      term.when ? `${term.binning.column}_when_${term.when.column}` : term.binning.column,
      'input',
    ).slice(0, 56);
    let key = base;
    for (let n = 2; keys.has(key); n += 1) key = `${base}_${n}`;
    keys.add(key);
    return key;
  };
  const mapped = model.terms
    .map((term) => ({
      term,
      mapped: toMeasure(
        term,
        uniqueKey(term),
        term.when ? undefined : options.signalColumns?.get(term.binning.column),
      ),
    }))
    .filter((entry): entry is { term: ModelTerm; mapped: Mapped } => entry.mapped !== null)
    .sort((a, b) => b.mapped.range - a.mapped.range)
    .slice(0, MAX_MEASURES);
  // Terms left out add (about) their average to every account: fold that into the intercept.
  const keptTerms = new Set(mapped.map((entry) => entry.term));
  const dropped = model.terms
    .filter((term) => !keptTerms.has(term))
    .reduce((sum, term) => {
      const rows = term.counts.reduce((a, b) => a + b, 0);
      return (
        sum + (rows === 0 ? 0 : term.weights.reduce((a, w, bin) => a + w * (term.counts[bin] ?? 0), 0) / rows)
      );
    }, 0);
  const measures = mapped.map((entry) => entry.mapped.measure);
  if (measures.length === 0)
    throw new AppError(
      'MODEL_NOT_APPLICABLE',
      'No input moves the odds of churn enough to make a scorecard.',
    );
  // score = 100 * sum(max - w) / sum(range)  =>  log-odds = intercept + sum(max) - score * sum(range) / 100.
  const totalRange = measures.reduce((sum, measure) => sum + measure.weight / 10, 0);
  const intercept = model.intercept + dropped + mapped.reduce((sum, entry) => sum + entry.mapped.max, 0);
  const perPoint = -totalRange / 100;
  const scoreAt = (p: number) => Math.round((logit(p) - intercept) / perPoint);
  const poorBelow = Math.min(99, Math.max(1, scoreAt(Math.min(0.95, options.baseRate * 1.5))));
  const goodFrom = Math.min(100, Math.max(poorBelow + 1, scoreAt(Math.max(0.005, options.baseRate * 0.5))));
  return {
    measures,
    bands: [
      { name: 'Poor', min: 0 },
      { name: 'Average', min: poorBelow },
      { name: 'Good', min: goodFrom },
    ],
    churnModel: {
      intercept: round(intercept, 6),
      perPoint: round(perPoint, 8),
      source: options.source.slice(0, 500),
    },
  };
}

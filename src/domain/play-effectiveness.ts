// Whether a play works: its treated runs against the control group it held back. Differences come
// with 95% confidence intervals (Newcombe's score interval for rates, Welch's for mean health change)
// and a plain verdict, which says so when there is too little data to tell.

export interface RunOutcome {
  cohort: 'treated' | 'holdout';
  /** The case's end, if it has closed. */
  outcome: 'recovered' | 'lost' | null;
  /** Health 30 days after entering minus health on entering; null until 30 days have passed. */
  healthChange30: number | null;
}

export interface CohortFigures {
  entered: number;
  closed: number;
  recovered: number;
  lost: number;
  /** Recovered / closed. */
  saveRate: number | null;
  /** Lost / entered. */
  churnRate: number | null;
  healthMeasured: number;
  meanHealthChange30: number | null;
}

export type Verdict = 'helps' | 'hurts' | 'no_measurable_difference' | 'too_small_to_tell';

export interface Comparison {
  /** Treated minus holdout. */
  difference: number | null;
  ci95: [number, number] | null;
  verdict: Verdict;
  explanation: string;
}

export interface EffectivenessReport {
  treated: CohortFigures;
  holdout: CohortFigures;
  saveRate: Comparison;
  churnRate: Comparison;
  healthChange30: Comparison;
  verdict: Verdict;
  summary: string;
}

/** Fewer observations than this in either group and a comparison says it cannot tell. */
export const MIN_PER_GROUP = 10;
const Z = 1.959964;

function figures(runs: readonly RunOutcome[]): CohortFigures {
  const closed = runs.filter((run) => run.outcome !== null);
  const recovered = closed.filter((run) => run.outcome === 'recovered').length;
  const lost = closed.length - recovered;
  const changes = runs.flatMap((run) => (run.healthChange30 === null ? [] : [run.healthChange30]));
  return {
    entered: runs.length,
    closed: closed.length,
    recovered,
    lost,
    saveRate: closed.length > 0 ? recovered / closed.length : null,
    churnRate: runs.length > 0 ? lost / runs.length : null,
    healthMeasured: changes.length,
    meanHealthChange30: changes.length > 0 ? mean(changes) : null,
  };
}

/** Wilson score interval for a proportion. */
export function wilson(successes: number, n: number): [number, number] {
  if (n === 0) return [0, 1];
  const p = successes / n;
  const denominator = 1 + (Z * Z) / n;
  const centre = (p + (Z * Z) / (2 * n)) / denominator;
  const half = (Z * Math.sqrt((p * (1 - p)) / n + (Z * Z) / (4 * n * n))) / denominator;
  return [Math.max(0, centre - half), Math.min(1, centre + half)];
}

/** Newcombe's hybrid score interval for the difference of two proportions (p1 - p2). */
export function proportionDifferenceCi(x1: number, n1: number, x2: number, n2: number): [number, number] {
  const p1 = x1 / n1;
  const p2 = x2 / n2;
  const [l1, u1] = wilson(x1, n1);
  const [l2, u2] = wilson(x2, n2);
  const d = p1 - p2;
  return [d - Math.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2), d + Math.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2)];
}

/** Welch's interval for the difference of two means (a - b). */
export function meanDifferenceCi(a: readonly number[], b: readonly number[]): [number, number] {
  const va = variance(a) / a.length;
  const vb = variance(b) / b.length;
  const se = Math.sqrt(va + vb);
  const df = (va + vb) ** 2 / ((va * va) / (a.length - 1) + (vb * vb) / (b.length - 1) || 1);
  const t = studentT975(Number.isFinite(df) ? df : 1e6);
  const d = mean(a) - mean(b);
  return [d - t * se, d + t * se];
}

/** The 97.5% quantile of Student's t (Cornish-Fisher expansion; within 0.5% for df >= 3). */
export function studentT975(df: number): number {
  const z = Z;
  return (
    z +
    (z ** 3 + z) / (4 * df) +
    (5 * z ** 5 + 16 * z ** 3 + 3 * z) / (96 * df ** 2) +
    (3 * z ** 7 + 19 * z ** 5 + 17 * z ** 3 - 15 * z) / (384 * df ** 3)
  );
}

function compare(
  label: string,
  difference: number | null,
  ci: [number, number] | null,
  enough: boolean,
  lowerIsBetter: boolean,
  format: (value: number) => string,
): Comparison {
  if (!enough || difference === null || ci === null)
    return {
      difference,
      ci95: ci,
      verdict: 'too_small_to_tell',
      explanation: `Too few outcomes to tell whether the play changes ${label} (fewer than ${MIN_PER_GROUP} in a group).`,
    };
  const range = `${format(difference)} (95% CI ${format(ci[0])} to ${format(ci[1])})`;
  if (ci[0] <= 0 && ci[1] >= 0)
    return {
      difference,
      ci95: ci,
      verdict: 'no_measurable_difference',
      explanation: `No measurable difference in ${label}: ${range}, an interval that includes zero.`,
    };
  const better = lowerIsBetter ? ci[1] < 0 : ci[0] > 0;
  return {
    difference,
    ci95: ci,
    verdict: better ? 'helps' : 'hurts',
    explanation: `${better ? 'Better' : 'Worse'} ${label} with the play: ${range}.`,
  };
}

const points = (value: number) => `${value >= 0 ? '+' : ''}${(value * 100).toFixed(1)} pts`;
const scorePoints = (value: number) => `${value >= 0 ? '+' : ''}${value.toFixed(1)}`;

/** Compares treated runs with held-out ones. */
export function playEffectiveness(runs: readonly RunOutcome[]): EffectivenessReport {
  const treatedRuns = runs.filter((run) => run.cohort === 'treated');
  const holdoutRuns = runs.filter((run) => run.cohort === 'holdout');
  const treated = figures(treatedRuns);
  const holdout = figures(holdoutRuns);

  const saveEnough = treated.closed >= MIN_PER_GROUP && holdout.closed >= MIN_PER_GROUP;
  const saveRate = compare(
    'save rate',
    treated.saveRate !== null && holdout.saveRate !== null ? treated.saveRate - holdout.saveRate : null,
    saveEnough
      ? proportionDifferenceCi(treated.recovered, treated.closed, holdout.recovered, holdout.closed)
      : null,
    saveEnough,
    false,
    points,
  );
  const churnEnough = treated.entered >= MIN_PER_GROUP && holdout.entered >= MIN_PER_GROUP;
  const churnRate = compare(
    'churn',
    treated.churnRate !== null && holdout.churnRate !== null ? treated.churnRate - holdout.churnRate : null,
    churnEnough ? proportionDifferenceCi(treated.lost, treated.entered, holdout.lost, holdout.entered) : null,
    churnEnough,
    true,
    points,
  );
  const changes = (list: readonly RunOutcome[]) =>
    list.flatMap((run) => (run.healthChange30 === null ? [] : [run.healthChange30]));
  const a = changes(treatedRuns);
  const b = changes(holdoutRuns);
  const healthEnough = a.length >= MIN_PER_GROUP && b.length >= MIN_PER_GROUP;
  const healthChange30 = compare(
    'health change after 30 days',
    a.length > 0 && b.length > 0 ? mean(a) - mean(b) : null,
    healthEnough ? meanDifferenceCi(a, b) : null,
    healthEnough,
    false,
    scorePoints,
  );

  const decided = [saveRate, churnRate, healthChange30].filter(
    (comparison) => comparison.verdict !== 'too_small_to_tell',
  );
  const verdict: Verdict =
    decided.length === 0
      ? 'too_small_to_tell'
      : decided.some((comparison) => comparison.verdict === 'helps') &&
          !decided.some((comparison) => comparison.verdict === 'hurts')
        ? 'helps'
        : decided.some((comparison) => comparison.verdict === 'hurts') &&
            !decided.some((comparison) => comparison.verdict === 'helps')
          ? 'hurts'
          : 'no_measurable_difference';
  const summary =
    holdout.entered === 0
      ? 'This play holds back no control group, so its effect cannot be measured. Set a holdout percentage.'
      : verdict === 'too_small_to_tell'
        ? `Too early to tell: ${treated.entered} treated and ${holdout.entered} held-out accounts so far.`
        : verdict === 'helps'
          ? `The play helps. ${decided
              .filter((c) => c.verdict === 'helps')
              .map((c) => c.explanation)
              .join(' ')}`
          : verdict === 'hurts'
            ? `The play does harm. ${decided
                .filter((c) => c.verdict === 'hurts')
                .map((c) => c.explanation)
                .join(' ')}`
            : `No measurable effect. ${decided.map((c) => c.explanation).join(' ')}`;
  return { treated, holdout, saveRate, churnRate, healthChange30, verdict, summary };
}

function mean(values: readonly number[]): number {
  return values.reduce((sum, value) => sum + value, 0) / values.length;
}

function variance(values: readonly number[]): number {
  if (values.length < 2) return 0;
  const m = mean(values);
  return values.reduce((sum, value) => sum + (value - m) ** 2, 0) / (values.length - 1);
}

// Health scores: a scorecard of weighted measures, each turning one input into 0-100, combined into
// one score with a band. Missing inputs hand their weight to the measures that are present, and
// every score and every change of score explains itself.
import { z } from 'zod';
import { EVENT_METRIC, METRICS, metricFamily } from './signals';

const metricKey = z.union([
  z.enum(Object.keys(METRICS) as [keyof typeof METRICS, ...(keyof typeof METRICS)[]]),
  z
    .string()
    .regex(
      EVENT_METRIC,
      'an event measure is events.<event> or events.<event>.<property>, in lower case with _',
    ),
]);
const days = z.number().int().min(1).max(365);

const signalInputs = [
  /** % change of the metric's daily average over the last `windowDays` against the window before. */
  z.object({ kind: z.literal('trend'), metric: metricKey, windowDays: days }).strict(),
  /** Days since the metric last had a value above zero. */
  z.object({ kind: z.literal('days_since'), metric: metricKey }).strict(),
  /** Days since the metric last reported anything, zeros included: how long its data has been silent. */
  z.object({ kind: z.literal('days_silent'), metric: metricKey }).strict(),
  /** The latest value of the metric, if seen in the last `maxAgeDays`. */
  z.object({ kind: z.literal('latest'), metric: metricKey, maxAgeDays: days }).strict(),
  /** The metric summed over the last `windowDays`. */
  z.object({ kind: z.literal('window_total'), metric: metricKey, windowDays: days }).strict(),
  /** The metric summed over all time (e.g. open high-priority tickets from opened/closed deltas). */
  z.object({ kind: z.literal('running_total'), metric: metricKey }).strict(),
  /** Days the oldest unpaid invoice is past due (0 when all are paid or not yet due). */
  z.object({ kind: z.literal('days_past_due') }).strict(),
  /** Days the latest-running onboarding milestone is late (0 when none is late). */
  z.object({ kind: z.literal('milestone_days_late') }).strict(),
] as const;
/** What a measure or a detection rule reads from the rollups and due items. */
export const signalInputSchema = z.discriminatedUnion('kind', [...signalInputs]);
export type SignalInput = z.infer<typeof signalInputSchema>;

/** Which accounts an attribute input applies to: a set of values of another attribute, or a range of it. */
export const attributeConditionSchema = z
  .object({
    attribute: z.string().min(1).max(200),
    /** The other attribute is one of these values. */
    values: z.array(z.string().max(200)).min(1).max(100).optional(),
    /** ...or a number with `above < value <= upTo` (either end open when null or left out). */
    above: z.number().nullable().optional(),
    upTo: z.number().nullable().optional(),
  })
  .strict()
  .refine(
    (c) => (c.values !== undefined) !== (c.above != null || c.upTo != null),
    'give either values or a range (above / upTo)',
  );
export type AttributeCondition = z.infer<typeof attributeConditionSchema>;

/**
 * An account fact: an attribute from the CRM import (or `arr`, `tier`, `lifecycleStage`), optionally
 * only for accounts where a condition on another attribute holds; elsewhere the measure has no value.
 */
const attributeInputSchema = z
  .object({
    kind: z.literal('attribute'),
    attribute: z.string().min(1).max(200),
    when: attributeConditionSchema.optional(),
  })
  .strict();

export const measureInputSchema = z.discriminatedUnion('kind', [...signalInputs, attributeInputSchema]);
export type MeasureInput = z.infer<typeof measureInputSchema>;

const point = z.object({ value: z.number(), score: z.number().min(0).max(100) }).strict();

/** How an input value becomes 0-100: stepped bands, or a straight line between two points. */
export const measureScoringSchema = z.discriminatedUnion('kind', [
  z
    .object({
      kind: z.literal('bands'),
      /** Checked in order: the first band whose `upTo` the value does not exceed; `upTo: null` catches the rest. */
      bands: z
        .array(z.object({ upTo: z.number().nullable(), score: z.number().min(0).max(100) }).strict())
        .min(1),
    })
    .strict(),
  z.object({ kind: z.literal('linear'), from: point, to: point }).strict(),
  z
    .object({
      kind: z.literal('categories'),
      /** A score per value of a category attribute (compared as text). */
      categories: z
        .array(z.object({ value: z.string().max(200), score: z.number().min(0).max(100) }).strict())
        .min(1)
        .max(200),
      /** Score for any other value. */
      otherwise: z.number().min(0).max(100),
    })
    .strict(),
]);
export type MeasureScoring = z.infer<typeof measureScoringSchema>;

export const measureSchema = z
  .object({
    key: z.string().regex(/^[a-z0-9_]{1,64}$/),
    name: z.string().min(1).max(200),
    /** How the input reads in an explanation: "active users {change}" etc. */
    label: z.string().min(1).max(200),
    unit: z.enum(['percent', 'days', 'count', 'score', 'value']),
    weight: z.number().positive().max(1000),
    input: measureInputSchema,
    scoring: measureScoringSchema,
    /**
     * Score when the account has no value (or the input's condition does not hold). Without it, the
     * measure hands its weight to the others instead.
     */
    missingScore: z.number().min(0).max(100).optional(),
  })
  .strict();
export type HealthMeasure = z.infer<typeof measureSchema>;

export const bandSchema = z
  .object({ name: z.string().min(1).max(50), min: z.number().min(0).max(100) })
  .strict();
export type HealthBand = z.infer<typeof bandSchema>;

export const scorecardSchema = z
  .object({
    measures: z
      .array(measureSchema)
      .min(1)
      .max(50)
      .refine((list) => new Set(list.map((m) => m.key)).size === list.length, 'measure keys must be unique'),
    /** Lowest score of each band; the first band must start at 0. */
    bands: z
      .array(bandSchema)
      .min(1)
      .max(10)
      .refine((list) => list.some((band) => band.min === 0), 'one band must start at 0'),
    /**
     * For a scorecard fitted to churn history: churn probability = 1 / (1 + e^-(intercept + perPoint x score)).
     */
    churnModel: z
      .object({
        intercept: z.number(),
        perPoint: z.number(),
        /** Where the model was learned, for readers of the configuration. */
        source: z.string().max(500),
      })
      .strict()
      .optional(),
  })
  .strict();
export type Scorecard = z.infer<typeof scorecardSchema>;

export const DEFAULT_SCORECARD: Scorecard = {
  measures: [
    {
      key: 'active_users_trend',
      name: 'Active-user trend',
      label: 'active users',
      unit: 'percent',
      weight: 20,
      input: { kind: 'trend', metric: 'usage.active_users', windowDays: 14 },
      scoring: { kind: 'linear', from: { value: -50, score: 0 }, to: { value: 10, score: 100 } },
    },
    {
      key: 'usage_trend',
      name: 'Product usage trend',
      label: 'product usage',
      unit: 'percent',
      weight: 15,
      input: { kind: 'trend', metric: 'usage.events', windowDays: 30 },
      scoring: { kind: 'linear', from: { value: -60, score: 0 }, to: { value: 0, score: 100 } },
    },
    {
      key: 'days_since_activity',
      name: 'Days since last activity',
      label: 'days since last activity',
      unit: 'days',
      weight: 15,
      input: { kind: 'days_since', metric: 'usage.events' },
      scoring: {
        kind: 'bands',
        bands: [
          { upTo: 3, score: 100 },
          { upTo: 7, score: 80 },
          { upTo: 14, score: 50 },
          { upTo: 30, score: 20 },
          { upTo: null, score: 0 },
        ],
      },
    },
    {
      key: 'licence_utilisation',
      name: 'Licence utilisation',
      label: 'licence utilisation',
      unit: 'percent',
      weight: 15,
      input: { kind: 'latest', metric: 'licence.utilisation', maxAgeDays: 90 },
      scoring: { kind: 'linear', from: { value: 20, score: 0 }, to: { value: 80, score: 100 } },
    },
    {
      key: 'open_high_tickets',
      name: 'Open high-priority tickets',
      label: 'open high-priority tickets',
      unit: 'count',
      weight: 15,
      input: { kind: 'running_total', metric: 'tickets.open_high_delta' },
      scoring: {
        kind: 'bands',
        bands: [
          { upTo: 0, score: 100 },
          { upTo: 1, score: 70 },
          { upTo: 3, score: 40 },
          { upTo: null, score: 0 },
        ],
      },
    },
    {
      key: 'latest_nps',
      name: 'Latest NPS',
      label: 'latest NPS',
      unit: 'score',
      weight: 10,
      input: { kind: 'latest', metric: 'nps.score', maxAgeDays: 180 },
      scoring: { kind: 'linear', from: { value: 0, score: 0 }, to: { value: 10, score: 100 } },
    },
    {
      key: 'latest_csat',
      name: 'Latest CSAT',
      label: 'latest CSAT',
      unit: 'score',
      weight: 5,
      input: { kind: 'latest', metric: 'csat.score', maxAgeDays: 180 },
      scoring: { kind: 'linear', from: { value: 1, score: 0 }, to: { value: 5, score: 100 } },
    },
    {
      key: 'days_past_due',
      name: 'Days past due',
      label: 'days past due',
      unit: 'days',
      weight: 10,
      input: { kind: 'days_past_due' },
      scoring: {
        kind: 'bands',
        bands: [
          { upTo: 0, score: 100 },
          { upTo: 30, score: 70 },
          { upTo: 45, score: 40 },
          { upTo: 90, score: 10 },
          { upTo: null, score: 0 },
        ],
      },
    },
    {
      key: 'onboarding_late',
      name: 'Onboarding milestone late',
      label: 'onboarding milestone lateness',
      unit: 'days',
      weight: 5,
      input: { kind: 'milestone_days_late' },
      scoring: {
        kind: 'bands',
        bands: [
          { upTo: 0, score: 100 },
          { upTo: 14, score: 50 },
          { upTo: null, score: 0 },
        ],
      },
    },
  ],
  bands: [
    { name: 'Poor', min: 0 },
    { name: 'Average', min: 51 },
    { name: 'Good', min: 76 },
  ],
};

/** The days of rollup history these inputs need to look back at. */
export function lookbackDays(inputs: readonly MeasureInput[]): number {
  return Math.max(
    1,
    ...inputs.map((input) => {
      switch (input.kind) {
        case 'trend':
          return input.windowDays * 2;
        case 'latest':
          return input.maxAgeDays;
        case 'window_total':
          return input.windowDays;
        case 'days_since':
        case 'days_silent':
        case 'running_total':
        case 'days_past_due':
        case 'milestone_days_late':
        case 'attribute':
          return 1;
      }
      return 1;
    }),
  );
}

/** Which rollups to read to evaluate these inputs on `today`: each metric only as far back as needed. */
export function factsQuery(inputs: readonly MeasureInput[], today: string) {
  const metrics = (kinds: MeasureInput['kind'][]) => [
    ...new Set(
      inputs.flatMap((input) => ('metric' in input && kinds.includes(input.kind) ? [input.metric] : [])),
    ),
  ];
  const windowed = inputs.filter(
    (input) => input.kind === 'trend' || input.kind === 'latest' || input.kind === 'window_total',
  );
  const windows = metrics(['trend', 'latest', 'window_total']).map((metric) => ({
    metric,
    fromDay: daysBefore(
      today,
      lookbackDays(windowed.filter((input) => 'metric' in input && input.metric === metric)),
    ),
  }));
  return {
    windows,
    // A total reads its family too: zero, not a gap, for an account that sends the signals.
    totalMetrics: [
      ...new Set(metrics(['running_total', 'window_total']).flatMap((m) => [m, ...metricFamily(m)])),
    ],
    recencyMetrics: metrics(['days_since']),
    silenceMetrics: metrics(['days_silent']),
  };
}

/** Applies a measure's scoring to a value; null when a numeric scoring meets a value that is no number. */
export function scoreValue(scoring: MeasureScoring, input: number | string): number | null {
  if (scoring.kind === 'categories') {
    const text = String(input);
    return scoring.categories.find((category) => category.value === text)?.score ?? scoring.otherwise;
  }
  const value = typeof input === 'number' ? input : Number(input.trim() === '' ? Number.NaN : input);
  if (!Number.isFinite(value)) return null;
  if (scoring.kind === 'bands') {
    const band = scoring.bands.find((b) => b.upTo === null || value <= b.upTo) ?? scoring.bands.at(-1);
    return band?.score ?? 0;
  }
  const { from, to } = scoring;
  if (from.value === to.value) return value >= to.value ? to.score : from.score;
  const t = (value - from.value) / (to.value - from.value);
  const clamped = Math.min(1, Math.max(0, t));
  return Math.round((from.score + clamped * (to.score - from.score)) * 10) / 10;
}

export interface ScoreComponent {
  key: string;
  name: string;
  /** The input the measure read; null when the account has no data for it. */
  value: number | string | null;
  /** 0-100, null when the input is missing. */
  score: number | null;
  weight: number;
  /** Share of the total after missing measures handed on their weight (0 when missing). */
  effectiveWeight: number;
  /** Points this measure adds to the total score. */
  points: number;
}

export interface HealthScore {
  score: number;
  band: string;
  components: ScoreComponent[];
  /** Measures without input (their weight went to the others, or they scored `missingScore`). */
  missing: string[];
  /** Chance of churn, for a scorecard fitted to churn history. */
  churnProbability?: number;
}

export function bandOf(bands: readonly HealthBand[], score: number): string {
  const sorted = [...bands].sort((a, b) => b.min - a.min);
  return (sorted.find((band) => score >= band.min) ?? sorted.at(-1))?.name ?? 'Unknown';
}

/** A measure's input value and score; null score when the measure hands its weight on. */
function scoreOf(
  measure: HealthMeasure,
  value: number | string | null,
): { value: number | string | null; score: number | null } {
  const score = value === null ? null : scoreValue(measure.scoring, value);
  if (score !== null)
    return { value: typeof value === 'number' ? Math.round(value * 100) / 100 : value, score };
  return { value: null, score: measure.missingScore ?? null };
}

/**
 * Combines measure inputs into a score. Returns null when no measure has input: an account with no
 * data has no health, rather than a made-up one (a measure's `missingScore` alone does not count).
 */
export function computeHealth(
  scorecard: Scorecard,
  inputs: Readonly<Record<string, number | string | null>>,
): HealthScore | null {
  const read = scorecard.measures.map((measure) => ({
    measure,
    ...scoreOf(measure, inputs[measure.key] ?? null),
  }));
  if (!read.some((entry) => entry.value !== null)) return null;
  const presentWeight = read.reduce(
    (sum, entry) => sum + (entry.score === null ? 0 : entry.measure.weight),
    0,
  );
  const components = read.map(({ measure, value, score }): ScoreComponent => {
    if (score === null) {
      return {
        key: measure.key,
        name: measure.name,
        value: null,
        score: null,
        weight: measure.weight,
        effectiveWeight: 0,
        points: 0,
      };
    }
    const effectiveWeight = measure.weight / presentWeight;
    return {
      key: measure.key,
      name: measure.name,
      value,
      score,
      weight: measure.weight,
      effectiveWeight: Math.round(effectiveWeight * 10_000) / 10_000,
      points: Math.round(score * effectiveWeight * 10) / 10,
    };
  });
  const exact = exactScore(read);
  const score = Math.round(exact);
  return {
    score,
    band: bandOf(scorecard.bands, score),
    components,
    missing: components.filter((c) => c.value === null).map((c) => c.key),
    ...(scorecard.churnModel ? { churnProbability: churnProbability(scorecard.churnModel, exact) } : {}),
  };
}

/** The weighted mean of the measures' scores, over the weight of those that have one. */
function exactScore(read: readonly { measure: HealthMeasure; score: number | null }[]): number {
  let total = 0;
  let weight = 0;
  for (const entry of read) {
    if (entry.score === null) continue;
    total += entry.score * entry.measure.weight;
    weight += entry.measure.weight;
  }
  return total / weight;
}

/**
 * The score alone, as `computeHealth` gives it (same sums in the same order), without building its
 * explanation: the rules backtest scores every account on every day.
 */
export function healthScoreOnly(
  scorecard: Scorecard,
  inputs: Readonly<Record<string, number | string | null>>,
): number | null {
  let present = false;
  let total = 0;
  let weight = 0;
  for (const measure of scorecard.measures) {
    const value = inputs[measure.key] ?? null;
    let score = value === null ? null : scoreValue(measure.scoring, value);
    if (score !== null) present = true;
    else score = measure.missingScore ?? null;
    if (score === null) continue;
    total += score * measure.weight;
    weight += measure.weight;
  }
  return present ? Math.round(total / weight) : null;
}

/** The churn probability a fitted scorecard gives a score (unrounded where available). */
export function churnProbability(model: NonNullable<Scorecard['churnModel']>, score: number): number {
  const z = model.intercept + model.perPoint * score;
  return Math.round((1 / (1 + Math.exp(-z))) * 10_000) / 10_000;
}

export interface ScoreDriver {
  key: string;
  /** Change in points this measure contributed. */
  points: number;
  text: string;
}

function describeValue(measure: HealthMeasure, value: number | string | null): string {
  if (value === null) return 'no data';
  if (typeof value === 'string') return value;
  switch (measure.unit) {
    case 'percent':
      return `${Math.round(value)}%`;
    case 'days':
      return `${Math.round(value)} day${Math.round(value) === 1 ? '' : 's'}`;
    case 'count':
    case 'score':
    case 'value':
      return String(Math.round(value * 10) / 10);
  }
  return String(value);
}

function describe(
  measure: HealthMeasure,
  before: number | string | null,
  after: number | string | null,
): string {
  const { input } = measure;
  if (input.kind === 'trend' && typeof after === 'number') {
    const direction = after < 0 ? 'down' : 'up';
    return `${measure.label} ${direction} ${Math.abs(Math.round(after))}% over ${input.windowDays} days`;
  }
  if (before === null) return `${measure.label} now ${describeValue(measure, after)}`;
  if (after === null) return `${measure.label} no longer reported`;
  return `${measure.label} ${describeValue(measure, before)} → ${describeValue(measure, after)}`;
}

const signed = (points: number) => `${points > 0 ? '+' : ''}${Math.round(points)}`;

/** The weighted average of the given measures' scores, weights renormalised over them. */
function weightedScore(parts: readonly { weight: number; score: number }[]): number {
  const total = parts.reduce((sum, part) => sum + part.weight, 0);
  return total === 0 ? 0 : parts.reduce((sum, part) => sum + part.score * part.weight, 0) / total;
}

/**
 * Which measures moved a score between two days, biggest first, in words:
 * "-18: active users down 42% over 14 days". The change is split exactly over the measures, in three
 * steps: measures that stopped reporting drop out, new ones come in, then the rest change value.
 */
export function explainChange(scorecard: Scorecard, before: HealthScore, after: HealthScore): ScoreDriver[] {
  const scoreIn = (health: HealthScore, key: string) =>
    health.components.find((c) => c.key === key)?.score ?? null;
  const valueIn = (health: HealthScore, key: string) =>
    health.components.find((c) => c.key === key)?.value ?? null;
  const measures = scorecard.measures.map((measure) => ({
    measure,
    was: scoreIn(before, measure.key),
    now: scoreIn(after, measure.key),
  }));
  const kept = measures.filter((m) => m.was !== null && m.now !== null);
  const added = measures.filter((m) => m.was === null && m.now !== null);
  const dropped = measures.filter((m) => m.was !== null && m.now === null);
  const start = weightedScore(
    measures.flatMap((m) => (m.was === null ? [] : [{ weight: m.measure.weight, score: m.was }])),
  );
  const afterDrop = weightedScore(kept.map((m) => ({ weight: m.measure.weight, score: m.was ?? 0 })));
  const keptWeight = kept.reduce((sum, m) => sum + m.measure.weight, 0);
  const droppedTotal = keptWeight + dropped.reduce((sum, m) => sum + m.measure.weight, 0);
  const finalWeight = keptWeight + added.reduce((sum, m) => sum + m.measure.weight, 0);

  // With nothing kept, new measures are measured against the old score as a whole.
  const base = kept.length > 0 ? afterDrop : start;
  const impacts = [
    ...(kept.length > 0
      ? dropped.map((m) => ({ m, points: (m.measure.weight / droppedTotal) * (afterDrop - (m.was ?? 0)) }))
      : []),
    ...added.map((m) => ({ m, points: (m.measure.weight / finalWeight) * ((m.now ?? 0) - base) })),
    ...kept.map((m) => ({ m, points: (m.measure.weight / finalWeight) * ((m.now ?? 0) - (m.was ?? 0)) })),
  ];
  const drivers: ScoreDriver[] = [];
  for (const { m, points } of impacts) {
    if (Math.abs(points) < 0.5) continue;
    drivers.push({
      key: m.measure.key,
      points: Math.round(points * 10) / 10,
      text: `${signed(points)}: ${describe(m.measure, valueIn(before, m.measure.key), valueIn(after, m.measure.key))}`,
    });
  }
  return drivers.sort((a, b) => Math.abs(b.points) - Math.abs(a.points));
}

/** The score in words, one line per measure: what each contributes now. */
export function explainScore(scorecard: Scorecard, health: HealthScore): string[] {
  return scorecard.measures.map((measure) => {
    const component = health.components.find((c) => c.key === measure.key);
    if (!component || component.value === null)
      return `${measure.name}: no data (weight ${measure.weight} shared among the others)`;
    return `${measure.name}: ${describeValue(measure, component.value)} → ${component.score}/100, ${component.points} points`;
  });
}

/** One input pulling the score down: how many points below full marks it leaves the account. */
export interface ScoreFactor {
  key: string;
  name: string;
  value: number | string | null;
  /** Points the account loses on this measure (its share of the weight x (100 - score)). */
  pointsLost: number;
  text: string;
}

/** The inputs that cost the account most points, biggest first: "Age: 52 (-21 points)". */
export function scoreFactors(scorecard: Scorecard, health: HealthScore, limit = 5): ScoreFactor[] {
  return scorecard.measures
    .flatMap((measure): ScoreFactor[] => {
      const component = health.components.find((c) => c.key === measure.key);
      if (!component || component.score === null) return [];
      const pointsLost = Math.round((100 - component.score) * component.effectiveWeight * 10) / 10;
      if (pointsLost < 0.5) return [];
      return [
        {
          key: measure.key,
          name: measure.name,
          value: component.value,
          pointsLost,
          text: `${measure.name}: ${describeValue(measure, component.value)} (-${Math.round(pointsLost)} points)`,
        },
      ];
    })
    .sort((a, b) => b.pointsLost - a.pointsLost)
    .slice(0, limit);
}

/** The account facts an attribute measure can read. */
export interface AccountFacts {
  arr: number;
  tier: string | null;
  lifecycleStage: string | null;
  attributes: Readonly<Record<string, string | number | boolean | null>>;
}

function factOf(account: AccountFacts, name: string): string | number | null {
  const value = Object.hasOwn(account.attributes, name)
    ? account.attributes[name]
    : name === 'arr'
      ? account.arr
      : name === 'tier'
        ? account.tier
        : name === 'lifecycleStage'
          ? account.lifecycleStage
          : null;
  if (value === null || value === undefined) return null;
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'string' && value.trim() === '') return null;
  return value;
}

function conditionHolds(condition: AttributeCondition, value: string | number | null): boolean {
  if (value === null) return false;
  if (condition.values) return condition.values.includes(String(value));
  const number = typeof value === 'number' ? value : Number(value);
  if (!Number.isFinite(number)) return false;
  return (
    (condition.above == null || number > condition.above) &&
    (condition.upTo == null || number <= condition.upTo)
  );
}

/** Reads every attribute measure's input from the account; null where it has no value or does not apply. */
export function attributeInputs(
  measures: readonly { key: string; input: MeasureInput }[],
  account: AccountFacts,
): Record<string, number | string | null> {
  // Measure keys are configuration; without a prototype, `__proto__` is a key like any other.
  const inputs = Object.create(null) as Record<string, number | string | null>;
  for (const { key, input } of measures) {
    if (input.kind !== 'attribute') continue;
    const applies = !input.when || conditionHolds(input.when, factOf(account, input.when.attribute));
    inputs[key] = applies ? factOf(account, input.attribute) : null;
  }
  return inputs;
}

/** Whether any measure reads account attributes (scoring then covers accounts without signals). */
export const readsAttributes = (scorecard: Scorecard) =>
  scorecard.measures.some((measure) => measure.input.kind === 'attribute');

export const SENTIMENTS = ['red', 'yellow', 'green'] as const;
export type Sentiment = (typeof SENTIMENTS)[number];

/** A CSM's read that strongly disagrees with the computed score: green on Poor health, red on Good. */
export function sentimentDisagrees(sentiment: Sentiment, score: number): boolean {
  return (sentiment === 'green' && score <= 40) || (sentiment === 'red' && score >= 76);
}

/**
 * One metric's values by day. A series held in memory for many days (the rules backtest) also
 * answers sums and latest values over a range of day numbers at once.
 */
export interface DaySeries {
  get(day: string): number | undefined;
  /** Sum and number of the values on days `from`..`to` (day numbers, both included). */
  range?(from: number, to: number): { sum: number; count: number };
  /** The latest value on a day in `from`..`to`, if any. */
  latest?(from: number, to: number): number | undefined;
}

/** What the store knows of one account's signals, as the scorecard needs it. */
export interface AccountSignalFacts {
  /** metric -> day -> value, for the days of the lookback window. */
  daily: ReadonlyMap<string, DaySeries>;
  /** metric -> sum over all days (for running totals). */
  totals: ReadonlyMap<string, number>;
  /** metric -> last day with a value above zero (for "days since"). */
  lastPositiveDay: ReadonlyMap<string, string>;
  /** metric -> last day with any value, zero included (for "days silent"). */
  lastDay?: ReadonlyMap<string, string>;
  dueItems: readonly { kind: 'invoice' | 'onboarding'; dueDate: string; doneDate: string | null }[];
}

const DAY = 86_400_000;
const DAY_NUMBER = new Map<string, number>();
/** Days since 1970-01-01 of a `YYYY-MM-DD` day, memoised like `dayText`. */
export function dayNumber(day: string): number {
  let n = DAY_NUMBER.get(day);
  if (n === undefined) {
    n = Math.floor(Date.parse(`${day}T00:00:00Z`) / DAY);
    if (DAY_NUMBER.size > 20_000) DAY_NUMBER.clear();
    DAY_NUMBER.set(day, n);
  }
  return n;
}
const DAY_TEXT = new Map<number, string>();
/** Day number to `YYYY-MM-DD`, memoised: scoring asks for the same few hundred days over and over. */
function dayText(n: number): string {
  let text = DAY_TEXT.get(n);
  if (text === undefined) {
    text = new Date(n * DAY).toISOString().slice(0, 10);
    if (DAY_TEXT.size > 20_000) DAY_TEXT.clear();
    DAY_TEXT.set(n, text);
  }
  return text;
}

/** The calendar day `n` days before `day`. */
export const daysBefore = (day: string, n: number): string => dayText(dayNumber(day) - n);

function meanOver(series: DaySeries | undefined, from: number, to: number): number | null {
  if (!series) return null;
  if (series.range) {
    const { sum, count } = series.range(from, to);
    return count === 0 ? null : sum / count;
  }
  let sum = 0;
  let count = 0;
  for (let n = from; n <= to; n += 1) {
    const value = series.get(dayText(n));
    if (value !== undefined) {
      sum += value;
      count += 1;
    }
  }
  return count === 0 ? null : sum / count;
}

/** Whether the account sends what a metric is made of (the metric itself, or its family). */
function sends(facts: AccountSignalFacts, metric: string): boolean {
  return facts.totals.has(metric) || metricFamily(metric).some((other) => facts.totals.has(other));
}

/** Reads every measure's input for one account on `today`; null where the account has no data. */
export function measureInputs(
  measures: readonly { key: string; input: MeasureInput }[],
  facts: AccountSignalFacts,
  today: string,
): Record<string, number | null> {
  const t = dayNumber(today);
  const inputs: Record<string, number | null> = {};
  for (const measure of measures) {
    const { input } = measure;
    switch (input.kind) {
      case 'trend': {
        // A trend needs history reaching back into the first half of the earlier window, and data in
        // the recent one: a metric that stopped arriving has no trend (the data itself has stopped).
        const series = facts.daily.get(input.metric);
        const start = t - 2 * input.windowDays + 1;
        const reaches = meanOver(series, start, start + Math.ceil(input.windowDays / 2) - 1) !== null;
        const prior = meanOver(series, start, t - input.windowDays);
        const recent = meanOver(series, t - input.windowDays + 1, t);
        if (!reaches || prior === null || recent === null) inputs[measure.key] = null;
        else if (prior === 0) inputs[measure.key] = recent === 0 ? 0 : 100;
        else inputs[measure.key] = ((recent - prior) / prior) * 100;
        break;
      }
      case 'days_since': {
        const last = facts.lastPositiveDay.get(input.metric);
        inputs[measure.key] = last === undefined ? null : Math.max(0, t - dayNumber(last));
        break;
      }
      case 'days_silent': {
        const last = facts.lastDay?.get(input.metric);
        inputs[measure.key] = last === undefined ? null : Math.max(0, t - dayNumber(last));
        break;
      }
      case 'latest': {
        const series = facts.daily.get(input.metric);
        let found: number | null = null;
        if (series?.latest) {
          inputs[measure.key] = series.latest(t - input.maxAgeDays + 1, t) ?? null;
          break;
        }
        for (let n = t; n > t - input.maxAgeDays && found === null; n -= 1) {
          const value = series?.get(dayText(n));
          if (value !== undefined) found = value;
        }
        inputs[measure.key] = found;
        break;
      }
      case 'window_total': {
        const series = facts.daily.get(input.metric);
        if (!sends(facts, input.metric) && !series) {
          inputs[measure.key] = null;
          break;
        }
        if (series?.range) {
          inputs[measure.key] = series.range(t - input.windowDays + 1, t).sum;
          break;
        }
        let sum = 0;
        for (let n = t - input.windowDays + 1; n <= t; n += 1) sum += series?.get(dayText(n)) ?? 0;
        inputs[measure.key] = sum;
        break;
      }
      case 'running_total': {
        const total = facts.totals.get(input.metric) ?? (sends(facts, input.metric) ? 0 : undefined);
        inputs[measure.key] = total === undefined ? null : Math.max(0, total);
        break;
      }
      case 'attribute':
        // Read from the account itself: see attributeInputs.
        break;
      case 'days_past_due':
      case 'milestone_days_late': {
        const kind = input.kind === 'days_past_due' ? 'invoice' : 'onboarding';
        const items = facts.dueItems.filter((item) => item.kind === kind);
        inputs[measure.key] =
          items.length === 0
            ? null
            : Math.max(
                0,
                ...items.filter((item) => item.doneDate === null).map((item) => t - dayNumber(item.dueDate)),
              );
        break;
      }
    }
  }
  return inputs;
}

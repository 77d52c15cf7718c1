// Automated risk detection: rules over health scores and signal measures, each mapped to a risk
// reason. A rule fires when its condition starts to hold; it cannot fire again until the condition
// has cleared (by the hysteresis margin) and its cool-down has passed, so cases do not flap.
import { z } from 'zod';
import { signalInputSchema, type SignalInput } from './health';
import type { SignalKind } from './signals';

const reasonKey = z.string().regex(/^[a-z0-9_]{1,64}$/);

export const ruleConditionSchema = z.discriminatedUnion('kind', [
  /** The health score is under `threshold`. */
  z.object({ kind: z.literal('health_below'), threshold: z.number().min(0).max(100) }).strict(),
  /** The health score fell by at least `percent` % against its value `windowDays` ago. */
  z
    .object({
      kind: z.literal('health_drop'),
      percent: z.number().min(1).max(100),
      windowDays: z.number().int().min(1).max(365),
    })
    .strict(),
  /** A signal measure lies within [min, max] (either bound may be left open). */
  z
    .object({
      kind: z.literal('measure'),
      input: signalInputSchema,
      min: z.number().nullable().default(null),
      max: z.number().nullable().default(null),
    })
    .strict()
    .refine((c) => c.min !== null || c.max !== null, 'a measure rule needs a min or a max')
    .refine(
      (c) => c.min === null || c.max === null || c.min <= c.max,
      'min is above max: the condition could never hold',
    ),
]);
export type RuleCondition = z.infer<typeof ruleConditionSchema>;

export const detectionRuleSchema = z
  .object({
    key: reasonKey,
    name: z.string().min(1).max(200),
    reason: reasonKey,
    condition: ruleConditionSchema,
    /** After firing, the rule cannot fire again on the account for this many days. */
    cooldownDays: z.number().int().min(0).max(365).default(7),
    /** How far past its threshold the value must come back before the rule is re-armed. */
    hysteresis: z.number().min(0).default(0),
    /** The condition must hold on this many days in a row before the rule fires (a dip that recovers does not). */
    forDays: z.number().int().min(1).max(90).default(1),
    /**
     * A weak sign on its own opens no case: it acts with another rule that holds at the same time, or
     * on an account whose case is already open.
     */
    weak: z.boolean().default(false),
    active: z.boolean().default(true),
  })
  .strict();
export type DetectionRule = z.infer<typeof detectionRuleSchema>;

/** A whole rule set: at most 200 rules, each key once. */
export const ruleSetSchema = z
  .array(detectionRuleSchema)
  .max(200)
  .refine(
    (rules) => new Set(rules.map((rule) => rule.key)).size === rules.length,
    'rule keys must be unique',
  );

/** What a rule reads for one account at evaluation time. */
export interface RuleFacts {
  score: number | null;
  /** Health `windowDays` ago, by window length. */
  scoreAgo: ReadonlyMap<number, number>;
  /** Measure inputs by the rule's key. */
  measure: number | null;
}

export interface RuleOutcome {
  holds: boolean;
  /** The condition is clearly over (past the hysteresis margin): the rule may be re-armed. */
  cleared: boolean;
  value: number | null;
  /** The finding in words, for the case's evidence. */
  summary: string;
}

const round = (value: number) => Math.round(value * 10) / 10;

function rangeText(min: number | null, max: number | null, unit: string): string {
  if (min !== null && max !== null) return `between ${min}${unit} and ${max}${unit}`;
  if (min !== null) return `at least ${min}${unit}`;
  return `at most ${String(max)}${unit}`;
}

/** What people call each measure, in a sentence. */
const METRIC_NAMES: Readonly<Record<string, string>> = {
  'usage.events': 'product events',
  'usage.logins': 'logins',
  'usage.active_users': 'active users',
  'usage.errors': 'product errors',
  'licence.utilisation': 'licence utilisation',
  'tickets.opened': 'tickets opened',
  'tickets.closed': 'tickets closed',
  'tickets.escalated': 'tickets escalated',
  'tickets.open_high_delta': 'open high-priority tickets',
  'nps.score': 'NPS',
  'csat.score': 'CSAT',
  'touchpoints.count': 'touchpoints',
  'touchpoints.risk': 'touchpoints marked risk',
  'contacts.champion_left': 'champions who left',
  'business.events': 'business events',
  'competitor.mentions': 'competitor mentions',
};

/** `events.report_exported.rows` → `rows of "report exported" events`. */
export function metricName(metric: string): string {
  const known = METRIC_NAMES[metric];
  if (known) return known;
  const [, event = '', property] = metric.split('.');
  const words = (name: string) => name.replace(/_/g, ' ');
  if (metric.startsWith('events.'))
    return property ? `${words(property)} of "${words(event)}" events` : `"${words(event)}" events`;
  return metric;
}

const capitalised = (text: string) => (/^[a-z]/.test(text) ? text[0]?.toUpperCase() + text.slice(1) : text);

export function describeInput(input: SignalInput): string {
  switch (input.kind) {
    case 'trend':
      return `${capitalised(metricName(input.metric))} over ${input.windowDays} days against the ${input.windowDays} before`;
    case 'days_since':
      return `Days without ${metricName(input.metric)}`;
    case 'days_silent':
      return `Days since any ${metricName(input.metric)} data arrived`;
    case 'latest':
      return `Latest ${metricName(input.metric)}`;
    case 'window_total':
      return `${capitalised(metricName(input.metric))} in the last ${input.windowDays} days`;
    case 'running_total':
      return `${capitalised(metricName(input.metric))} now`;
    case 'days_past_due':
      return 'Days past due';
    case 'milestone_days_late':
      return 'Days an onboarding milestone is late';
  }
  return 'Value';
}

/** The unit a measure's value is written with: a trend is a change in percent. */
const unitOf = (input: SignalInput) =>
  input.kind === 'trend' || ('metric' in input && input.metric === 'licence.utilisation') ? '%' : '';

/** Whether a rule's condition holds, or has clearly cleared, on one account's facts. */
export function ruleHolds(
  rule: DetectionRule,
  facts: RuleFacts,
): { holds: boolean; cleared: boolean; value: number | null } {
  const { condition } = rule;
  switch (condition.kind) {
    case 'health_below': {
      const score = facts.score;
      if (score === null) return { holds: false, cleared: true, value: null };
      return {
        holds: score < condition.threshold,
        cleared: score >= condition.threshold + rule.hysteresis,
        value: score,
      };
    }
    case 'health_drop': {
      const then = facts.scoreAgo.get(condition.windowDays);
      if (facts.score === null || then === undefined || then === 0) {
        return { holds: false, cleared: true, value: null };
      }
      const change = ((facts.score - then) / then) * 100;
      return {
        holds: change <= -condition.percent,
        cleared: change > -(condition.percent - rule.hysteresis),
        value: round(change),
      };
    }
    case 'measure': {
      const value = facts.measure;
      if (value === null) return { holds: false, cleared: true, value: null };
      const { min, max } = condition;
      const inside = (min === null || value >= min) && (max === null || value <= max);
      const h = rule.hysteresis;
      const clear = (min !== null && value < min - h) || (max !== null && value > max + h);
      return { holds: inside, cleared: !inside && clear, value: round(value) };
    }
  }
  return { holds: false, cleared: true, value: null };
}

/** Evaluates one rule against one account's facts, with the finding in words. */
export function evaluateRule(rule: DetectionRule, facts: RuleFacts): RuleOutcome {
  const outcome = ruleHolds(rule, facts);
  return { ...outcome, summary: ruleSummary(rule, facts) };
}

/** The finding in words, for the case's evidence. */
export function ruleSummary(rule: DetectionRule, facts: RuleFacts): string {
  const { condition } = rule;
  switch (condition.kind) {
    case 'health_below':
      return facts.score === null
        ? 'no health score'
        : `health score ${facts.score} is under ${condition.threshold}`;
    case 'health_drop': {
      const then = facts.scoreAgo.get(condition.windowDays);
      if (facts.score === null || then === undefined || then === 0) return 'no health score to compare';
      const change = ((facts.score - then) / then) * 100;
      return `health score fell ${round(-change)}% in ${condition.windowDays} days (${then} → ${facts.score})`;
    }
    case 'measure': {
      const label = describeInput(condition.input);
      const unit = unitOf(condition.input);
      if (facts.measure === null) return `${label}: no data`;
      return `${label}: ${round(facts.measure)}${unit} (rule: ${rangeText(condition.min, condition.max, unit)})`;
    }
  }
  return '';
}

/** Where a rule stands on one account. */
export interface RuleState {
  active: boolean;
  firedAt: string | null;
  /** The first day of the run of days on which the condition has held (rules with `forDays`). */
  holdingSince?: string | null;
  /** When the condition last cleared. */
  clearedAt?: string | null;
}

/**
 * Whether a case detection opened has recovered by `now`: every rule behind it has cleared, at least
 * `days` days ago, and not fired since. Zero days turns recovery off.
 */
export function hasRecovered(
  ruleKeys: readonly string[],
  stateOf: (ruleKey: string) => RuleState | undefined,
  now: Date,
  days: number,
): boolean {
  if (days <= 0 || ruleKeys.length === 0) return false;
  return ruleKeys.every((key) => {
    const state = stateOf(key);
    return (
      state !== undefined &&
      !state.active &&
      state.clearedAt !== null &&
      state.clearedAt !== undefined &&
      now.getTime() - Date.parse(state.clearedAt) >= days * DAY_MS
    );
  });
}

export type RuleDecision = 'fire' | 'clear' | 'none';

const DAY_MS = 86_400_000;
const daysFrom = (from: string, to: string) => Math.round((Date.parse(to) - Date.parse(from)) / DAY_MS);

/**
 * One evaluation of a rule on an account: fire on a hold that has lasted `forDays` days and is past
 * the cool-down; clear once the condition is clearly over. Also says since when the condition holds.
 */
export function decide(
  rule: DetectionRule,
  state: RuleState | null,
  outcome: Pick<RuleOutcome, 'holds' | 'cleared'>,
  now: Date,
): {
  decision: RuleDecision;
  holdingSince: string | null;
  /** The condition holds and has held for the rule's days: the sign is there, fired or not. */
  established: boolean;
} {
  const today = now.toISOString().slice(0, 10);
  if (!outcome.holds) {
    return {
      decision: state?.active && outcome.cleared ? 'clear' : 'none',
      holdingSince: null,
      established: false,
    };
  }
  const holdingSince = rule.forDays > 1 ? (state?.holdingSince ?? today) : null;
  if (holdingSince !== null && daysFrom(holdingSince, today) + 1 < rule.forDays)
    return { decision: 'none', holdingSince, established: false };
  if (state?.active) return { decision: 'none', holdingSince, established: true };
  if (state?.firedAt && now.getTime() - Date.parse(state.firedAt) < rule.cooldownDays * DAY_MS)
    return { decision: 'none', holdingSince, established: true };
  return { decision: 'fire', holdingSince, established: true };
}

/** How many weak signs, for different reasons, must hold at once to open a case without a strong one. */
export const WEAK_QUORUM = 2;

/**
 * Of the rules firing on an account, those that act: every strong one; weak ones when a strong rule
 * fires with them, the account's case is already open, or weak rules for at least `WEAK_QUORUM`
 * different reasons are established at once (`weakHolding`: those reasons, the firing rules'
 * included; a condition still short of its days in a row does not count yet; two signs
 * for one reason, such as a usage dip seen in both licences and health, are one piece of evidence).
 * The others are put off, to fire again when they are corroborated.
 */
export function corroborated<T extends { rule: DetectionRule }>(
  fired: readonly T[],
  weakHolding: number,
  caseOpen: boolean,
): { acting: T[]; deferred: T[] } {
  const strong = fired.some(({ rule }) => !rule.weak);
  if (strong || caseOpen || weakHolding >= WEAK_QUORUM) return { acting: [...fired], deferred: [] };
  return { acting: [], deferred: [...fired] };
}

const measure = (
  key: string,
  name: string,
  reason: string,
  input: SignalInput,
  bounds: { min?: number; max?: number },
  options: Partial<Pick<DetectionRule, 'cooldownDays' | 'hysteresis' | 'forDays' | 'weak' | 'active'>> = {},
): DetectionRule => ({
  key,
  name,
  reason,
  condition: { kind: 'measure', input, min: bounds.min ?? null, max: bounds.max ?? null },
  cooldownDays: 14,
  hysteresis: 0,
  forDays: 1,
  weak: false,
  active: true,
  ...options,
});

/**
 * The rules a new store starts with; admins tune or replace them, and try a change against the
 * store's own history first (`retain detection backtest`). Chosen to hold up on noise: trends need
 * history and a sustained fall, a single survey answer or a short burst of tickets is a weak sign that
 * needs company, and data that stops arriving is named as such.
 */
export const DEFAULT_RULES: DetectionRule[] = [
  {
    key: 'health_poor',
    name: 'Health score is poor',
    reason: 'poor_engagement',
    condition: { kind: 'health_below', threshold: 40 },
    cooldownDays: 14,
    hysteresis: 10,
    forDays: 3,
    weak: false,
    active: true,
  },
  {
    // Off by default: a health score moves with every measure behind it, so a drop restates what
    // the usage, ticket and survey rules already see, and a dip that recovers drops it too.
    key: 'health_drop',
    name: 'Health score dropped sharply',
    reason: 'product_adoption',
    condition: { kind: 'health_drop', percent: 25, windowDays: 14 },
    cooldownDays: 14,
    hysteresis: 10,
    forDays: 3,
    weak: true,
    active: false,
  },
  measure(
    'usage_decline',
    'Active users declining',
    'product_adoption',
    { kind: 'trend', metric: 'usage.active_users', windowDays: 28 },
    { max: -35 },
    { hysteresis: 10, forDays: 7 },
  ),
  measure(
    'licence_drop',
    'Licence utilisation dropped',
    'product_adoption',
    { kind: 'trend', metric: 'licence.utilisation', windowDays: 30 },
    { max: -20 },
    { hysteresis: 5, forDays: 7 },
  ),
  measure(
    'ticket_spike',
    'Support ticket spike',
    'support_issues',
    { kind: 'window_total', metric: 'tickets.opened', windowDays: 7 },
    { min: 5 },
    { hysteresis: 2, weak: true },
  ),
  measure(
    'ticket_load',
    'Heavy support load',
    'support_issues',
    { kind: 'window_total', metric: 'tickets.opened', windowDays: 28 },
    { min: 10 },
    { hysteresis: 2 },
  ),
  measure(
    'high_tickets_open',
    'High-priority tickets left open',
    'support_issues',
    { kind: 'running_total', metric: 'tickets.open_high_delta' },
    { min: 3 },
    { hysteresis: 1, forDays: 5 },
  ),
  measure(
    'payment_past_due',
    'Payment 30-90 days past due',
    'poor_financial_standing',
    { kind: 'days_past_due' },
    { min: 30, max: 90 },
  ),
  measure(
    'low_nps',
    'Detractor NPS (0-6)',
    'poor_nps_csat',
    { kind: 'latest', metric: 'nps.score', maxAgeDays: 90 },
    { max: 6 },
    { hysteresis: 1, weak: true },
  ),
  measure(
    'very_low_nps',
    'Very low NPS (0-3)',
    'poor_nps_csat',
    { kind: 'latest', metric: 'nps.score', maxAgeDays: 90 },
    { max: 3 },
    { hysteresis: 1 },
  ),
  measure(
    'low_csat',
    'Low CSAT',
    'poor_nps_csat',
    { kind: 'latest', metric: 'csat.score', maxAgeDays: 90 },
    { max: 2 },
    { hysteresis: 1, weak: true },
  ),
  measure(
    'champion_left',
    'Champion left',
    'leadership_change',
    { kind: 'window_total', metric: 'contacts.champion_left', windowDays: 30 },
    { min: 1 },
  ),
  measure(
    'business_event',
    'Business change at the customer',
    'business_change',
    { kind: 'window_total', metric: 'business.events', windowDays: 30 },
    { min: 1 },
  ),
  measure(
    'no_activity',
    'No product use for ten days',
    'poor_engagement',
    { kind: 'days_since', metric: 'usage.events' },
    { min: 10 },
    { hysteresis: 7 },
  ),
  measure(
    'data_stopped',
    'Usage data stopped arriving',
    'poor_engagement',
    { kind: 'days_silent', metric: 'usage.events' },
    { min: 7 },
    { hysteresis: 3 },
  ),
  measure(
    'onboarding_late',
    'Onboarding milestone late',
    'delayed_onboarding',
    { kind: 'milestone_days_late' },
    { min: 14 },
  ),
  measure(
    'competitor_mention',
    'Competitor mentioned',
    'product_functionality',
    { kind: 'window_total', metric: 'competitor.mentions', windowDays: 30 },
    { min: 1 },
  ),
];

/** The signal kind behind a measure input, to attach the signals themselves as evidence. */
export function signalKindOf(input: SignalInput): SignalKind | null {
  if (input.kind === 'days_past_due') return 'invoice';
  if (input.kind === 'milestone_days_late') return 'onboarding';
  const prefix = input.metric.split('.')[0];
  const kinds: Record<string, SignalKind> = {
    usage: 'usage',
    events: 'usage',
    licence: 'licence',
    tickets: 'ticket',
    nps: 'nps',
    csat: 'csat',
    touchpoints: 'touchpoint',
    contacts: 'contact_change',
    business: 'business_event',
    competitor: 'competitor_mention',
  };
  return prefix === undefined ? null : (kinds[prefix] ?? null);
}

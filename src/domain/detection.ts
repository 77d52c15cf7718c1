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
    .refine((c) => c.min !== null || c.max !== null, 'a measure rule needs a min or a max'),
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
    active: z.boolean().default(true),
  })
  .strict();
export type DetectionRule = z.infer<typeof detectionRuleSchema>;

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

/** Evaluates one rule against one account's facts. */
export function evaluateRule(rule: DetectionRule, facts: RuleFacts): RuleOutcome {
  const { condition } = rule;
  switch (condition.kind) {
    case 'health_below': {
      const score = facts.score;
      if (score === null) return { holds: false, cleared: true, value: null, summary: 'no health score' };
      return {
        holds: score < condition.threshold,
        cleared: score >= condition.threshold + rule.hysteresis,
        value: score,
        summary: `health score ${score} is under ${condition.threshold}`,
      };
    }
    case 'health_drop': {
      const then = facts.scoreAgo.get(condition.windowDays);
      if (facts.score === null || then === undefined || then === 0) {
        return { holds: false, cleared: true, value: null, summary: 'no health score to compare' };
      }
      const change = ((facts.score - then) / then) * 100;
      return {
        holds: change <= -condition.percent,
        cleared: change > -(condition.percent - rule.hysteresis),
        value: round(change),
        summary: `health score fell ${round(-change)}% in ${condition.windowDays} days (${then} → ${facts.score})`,
      };
    }
    case 'measure': {
      const value = facts.measure;
      const label = describeInput(condition.input);
      const unit = unitOf(condition.input);
      if (value === null) return { holds: false, cleared: true, value: null, summary: `${label}: no data` };
      const { min, max } = condition;
      const inside = (min === null || value >= min) && (max === null || value <= max);
      const h = rule.hysteresis;
      const clear = (min !== null && value < min - h) || (max !== null && value > max + h);
      return {
        holds: inside,
        cleared: !inside && clear,
        value: round(value),
        summary: `${label}: ${round(value)}${unit} (rule: ${rangeText(min, max, unit)})`,
      };
    }
  }
  return { holds: false, cleared: true, value: null, summary: '' };
}

/** Where a rule stands on one account. */
export interface RuleState {
  active: boolean;
  firedAt: string | null;
}

export type RuleDecision = 'fire' | 'clear' | 'none';

/** Fire on a fresh hold past the cool-down; clear once the condition is clearly over. */
export function decide(
  rule: DetectionRule,
  state: RuleState | null,
  outcome: RuleOutcome,
  now: Date,
): RuleDecision {
  if (outcome.holds) {
    if (state?.active) return 'none';
    if (state?.firedAt && now.getTime() - Date.parse(state.firedAt) < rule.cooldownDays * 86_400_000)
      return 'none';
    return 'fire';
  }
  return state?.active && outcome.cleared ? 'clear' : 'none';
}

const measure = (
  key: string,
  name: string,
  reason: string,
  input: SignalInput,
  bounds: { min?: number; max?: number },
  hysteresis = 0,
): DetectionRule => ({
  key,
  name,
  reason,
  condition: { kind: 'measure', input, min: bounds.min ?? null, max: bounds.max ?? null },
  cooldownDays: 7,
  hysteresis,
  active: true,
});

/** The rules a new store starts with; admins tune or replace them. */
export const DEFAULT_RULES: DetectionRule[] = [
  {
    key: 'health_poor',
    name: 'Health score is poor',
    reason: 'poor_engagement',
    condition: { kind: 'health_below', threshold: 40 },
    cooldownDays: 14,
    hysteresis: 10,
    active: true,
  },
  {
    key: 'health_drop',
    name: 'Health score dropped sharply',
    reason: 'product_adoption',
    condition: { kind: 'health_drop', percent: 25, windowDays: 14 },
    cooldownDays: 14,
    hysteresis: 10,
    active: true,
  },
  measure(
    'usage_decline',
    'Active users declining',
    'product_adoption',
    { kind: 'trend', metric: 'usage.active_users', windowDays: 7 },
    { max: -30 },
    10,
  ),
  measure(
    'licence_drop',
    'Licence utilisation dropped',
    'product_adoption',
    { kind: 'trend', metric: 'licence.utilisation', windowDays: 30 },
    { max: -20 },
    5,
  ),
  measure(
    'ticket_spike',
    'Support ticket spike',
    'support_issues',
    { kind: 'window_total', metric: 'tickets.opened', windowDays: 7 },
    { min: 5 },
    2,
  ),
  measure(
    'payment_past_due',
    'Payment 45-90 days past due',
    'poor_financial_standing',
    { kind: 'days_past_due' },
    {
      min: 45,
      max: 90,
    },
  ),
  measure(
    'low_nps',
    'Low NPS',
    'poor_nps_csat',
    { kind: 'latest', metric: 'nps.score', maxAgeDays: 90 },
    { max: 6 },
    1,
  ),
  measure(
    'low_csat',
    'Low CSAT',
    'poor_nps_csat',
    { kind: 'latest', metric: 'csat.score', maxAgeDays: 90 },
    { max: 2 },
    1,
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
    'No product use for three weeks',
    'poor_engagement',
    { kind: 'days_since', metric: 'usage.events' },
    { min: 21 },
    14,
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

// KPI scorecards: a card is a segment, a metric over it, a display format and an optional target.
// Values are snapshotted daily, so a card's trend shows what was true on each day.
import { z } from 'zod';
import type { Filter } from './segment-filter';

export const KPI_METRICS = [
  /** Accounts in the segment. */
  'account_count',
  /** Sum of the segment's account ARR. */
  'arr',
  /** Sum of ARR at risk on the segment's open cases. */
  'arr_at_risk',
  /** Segment accounts as a percentage of all accounts (of the team, for a team view). */
  'share_of_base',
  /** Mean days from opening to closing, over cases closed in the period. */
  'avg_days_to_resolve',
  /** Recovered / (recovered + lost) as a percentage, over cases closed in the period. */
  'save_rate',
  /** ARR at risk of cases lost in the period as a percentage of the segment's ARR, annualised. */
  'gross_revenue_churn',
] as const;
export type KpiMetric = (typeof KPI_METRICS)[number];

export const KPI_FORMATS = ['number', 'currency', 'percent', 'days', 'trend'] as const;
export type KpiFormat = (typeof KPI_FORMATS)[number];

export const kpiTargetSchema = z
  .object({
    comparison: z.enum(['less_than', 'at_most', 'more_than', 'at_least']),
    value: z.number(),
  })
  .strict();
export type KpiTarget = z.infer<typeof kpiTargetSchema>;

export const kpiCardSchema = z
  .object({
    key: z.string().regex(/^[a-z0-9_]{1,64}$/),
    name: z.string().min(1).max(200),
    /** A saved segment's key; null for every account. */
    segment: z
      .string()
      .regex(/^[a-z0-9_]{1,64}$/)
      .nullable(),
    metric: z.enum(KPI_METRICS),
    format: z.enum(KPI_FORMATS),
    /** The window of closed cases for the period metrics (resolve time, save rate, revenue churn). */
    periodDays: z.number().int().min(1).max(730).default(90),
    /** Applies to the team view when `perTeam`; to the whole book otherwise. */
    target: kpiTargetSchema.nullable(),
    /** Whether the target is meant per team (e.g. "fewer than 10 accounts at risk per team"). */
    perTeam: z.boolean().default(false),
    description: z.string().max(1000).optional(),
  })
  .strict();
export type KpiCard = z.infer<typeof kpiCardSchema>;

export const kpiCardsSchema = z
  .array(kpiCardSchema)
  .max(50)
  .refine((cards) => new Set(cards.map((c) => c.key)).size === cards.length, 'card keys must be unique');

/** The risk scorecard a CS team starts from. */
export function defaultKpiCards(annualAttritionTargetPercent: number): KpiCard[] {
  return [
    {
      key: 'accounts_at_risk',
      name: 'Accounts at risk',
      segment: 'accounts_at_risk',
      metric: 'account_count',
      format: 'number',
      periodDays: 90,
      target: { comparison: 'less_than', value: 10 },
      perTeam: true,
      description: 'Open risk cases; a team aims to keep fewer than 10.',
    },
    {
      key: 'at_risk_trend',
      name: 'At-risk trend',
      segment: 'accounts_at_risk',
      metric: 'account_count',
      format: 'trend',
      periodDays: 90,
      target: null,
      perTeam: false,
      description: 'Accounts at risk, day by day.',
    },
    {
      key: 'avg_days_to_resolve',
      name: 'Average days to resolve risk',
      segment: null,
      metric: 'avg_days_to_resolve',
      format: 'days',
      periodDays: 90,
      target: { comparison: 'at_most', value: 45 },
      perTeam: false,
    },
    {
      key: 'arr_at_risk',
      name: 'ARR at risk',
      segment: 'accounts_at_risk',
      metric: 'arr_at_risk',
      format: 'currency',
      periodDays: 90,
      target: null,
      perTeam: false,
    },
    {
      key: 'save_rate',
      name: 'Save rate',
      segment: null,
      metric: 'save_rate',
      format: 'percent',
      periodDays: 90,
      target: { comparison: 'at_least', value: 60 },
      perTeam: false,
      description: 'Recovered / (recovered + lost), cases closed in the last 90 days.',
    },
    {
      key: 'gross_revenue_churn',
      name: 'Gross revenue churn',
      segment: null,
      metric: 'gross_revenue_churn',
      format: 'percent',
      periodDays: 365,
      target: { comparison: 'at_most', value: annualAttritionTargetPercent },
      perTeam: false,
      description: 'ARR lost in the last 12 months against the annual attrition target.',
    },
  ];
}

export type TargetStatus = 'on_target' | 'off_target' | 'no_target' | 'no_data';

/** Whether a value meets its target. */
export function targetStatus(target: KpiTarget | null, value: number | null): TargetStatus {
  if (value === null) return 'no_data';
  if (!target) return 'no_target';
  const met =
    target.comparison === 'less_than'
      ? value < target.value
      : target.comparison === 'at_most'
        ? value <= target.value
        : target.comparison === 'more_than'
          ? value > target.value
          : value >= target.value;
  return met ? 'on_target' : 'off_target';
}

/** Mean of whole days between pairs of ISO instants; null without pairs. */
export function meanDays(pairs: readonly { from: string; to: string }[]): number | null {
  if (pairs.length === 0) return null;
  const total = pairs.reduce(
    (sum, pair) => sum + (Date.parse(pair.to) - Date.parse(pair.from)) / 86_400_000,
    0,
  );
  return Math.round((total / pairs.length) * 10) / 10;
}

/** Recovered over recovered plus lost, in percent; null when nothing closed. */
export function saveRate(recovered: number, lost: number): number | null {
  return recovered + lost === 0 ? null : Math.round((recovered / (recovered + lost)) * 1000) / 10;
}

/** Lost ARR over the period as a percentage of ARR, scaled to a year. */
export function grossRevenueChurn(lostArr: number, baseArr: number, periodDays: number): number | null {
  if (baseArr <= 0) return null;
  return Math.round((lostArr / baseArr) * (365 / periodDays) * 1000) / 10;
}

/** A card's value as a reader sees it: "171,000", "50%", "4 days". */
export function formatKpi(format: KpiFormat, value: number | null): string {
  if (value === null) return '-';
  switch (format) {
    case 'currency':
      return value.toLocaleString('en-US', { maximumFractionDigits: 0 });
    case 'percent':
      return `${value}%`;
    case 'days':
      return `${value} days`;
    case 'number':
    case 'trend':
      return String(value);
  }
}

/** A target in words: "less than 10". */
export const describeTarget = (target: KpiTarget | null) =>
  target ? `${target.comparison.replace('_', ' ')} ${target.value}` : '';

export const STATUS_TEXT: Record<TargetStatus, string> = {
  on_target: 'on target',
  off_target: 'off target',
  no_target: '',
  no_data: 'no data',
};

/**
 * Which accounts a card derived from case history counts on a past day: every account, or those
 * with a risk case open at the end of that day.
 */
export type HistoryScope = 'book' | 'open_cases';

export type CaseHistoryDerivation =
  { derivable: true; scope: HistoryScope } | { derivable: false; reason: string };

/** Whether a filter says no more than "has an open risk case" (`risk.stage is not empty`). */
export function isOpenCaseFilter(filter: Filter): boolean {
  switch (filter.kind) {
    case 'not':
      return (
        filter.item.kind === 'empty' &&
        filter.item.field.kind === 'risk' &&
        filter.item.field.name === 'stage'
      );
    case 'and':
    case 'or':
      return filter.items.length > 0 && filter.items.every(isOpenCaseFilter);
    case 'compare':
    case 'in':
    case 'within':
    case 'empty':
      return false;
  }
}

const CASE_METRICS: readonly KpiMetric[] = ['arr_at_risk', 'avg_days_to_resolve', 'save_rate'];

/**
 * Whether a card's value on a past day can be derived from case history: when each case opened and
 * closed, how it ended and its ARR at risk. That holds for accounts at risk, ARR at risk, days to
 * resolve and save rate, over every account or over a segment that only says "has an open risk
 * case". Anything else read as of a past day would be today's data passed off as history: account
 * ARR and the account list (arr, share_of_base, gross_revenue_churn, and account_count over every
 * account), and segments reading health scores, signals, renewals, account fields or a particular
 * stage, reason or track, none of which are kept day by day. `filter` is the card's segment filter,
 * null for a card without a segment.
 */
export function caseHistoryDerivation(card: KpiCard, filter: Filter | null): CaseHistoryDerivation {
  const openCases = filter !== null && isOpenCaseFilter(filter);
  if (card.segment !== null && !openCases)
    return {
      derivable: false,
      reason:
        'Its segment reads more than whether an account has an open risk case, and the rest is not ' +
        'kept day by day, so its history starts with the first daily snapshot.',
    };
  if (card.metric === 'account_count' && openCases) return { derivable: true, scope: 'open_cases' };
  if (CASE_METRICS.includes(card.metric))
    return { derivable: true, scope: openCases ? 'open_cases' : 'book' };
  return {
    derivable: false,
    reason:
      'It depends on account ARR or the list of accounts, which are not kept day by day, so its ' +
      'history starts with the first daily snapshot.',
  };
}

/** Why a team's view has no derived history: past team membership is not kept. */
export const TEAM_HISTORY_REASON =
  'Which team each account belonged to on past days is not kept, so the team view’s history starts ' +
  'with its first daily snapshot.';

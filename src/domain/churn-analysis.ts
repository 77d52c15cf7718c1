// Churn analysis: when customers leave (tenure, days before renewal, lifecycle stage: the journey's
// weak points) and why (the reasons on lost cases, what separation surveys say), and attrition per
// segment against the annual target. Pure: takes the lost cases, returns the tables.
import type { SeparationSurvey } from './risk-case';

export interface LostCase {
  caseId: number;
  accountId: number;
  closedAt: string;
  arrAtRisk: number;
  /** When the account became a customer (an attribute such as signup date), or null. */
  customerSince: string | null;
  renewalDate: string | null;
  lifecycleStage: string | null;
  reasons: string[];
  survey: SeparationSurvey | null;
}

export interface Bucket {
  label: string;
  cases: number;
  arr: number;
}

const DAY = 86_400_000;

function bucketise(
  cases: readonly LostCase[],
  labels: readonly string[],
  labelOf: (c: LostCase) => string,
): Bucket[] {
  const buckets = new Map(labels.map((label) => [label, { label, cases: 0, arr: 0 }]));
  for (const c of cases) {
    const label = labelOf(c);
    const bucket = buckets.get(label) ?? { label, cases: 0, arr: 0 };
    bucket.cases += 1;
    bucket.arr += c.arrAtRisk;
    buckets.set(label, bucket);
  }
  return [...buckets.values()];
}

export const TENURE_BUCKETS = [
  'under 6 months',
  '6-12 months',
  '1-2 years',
  '2 years or more',
  'unknown',
] as const;
export const RENEWAL_BUCKETS = [
  'after the renewal date',
  'within 30 days of renewal',
  '31-90 days before renewal',
  '91-180 days before renewal',
  'more than 180 days before renewal',
  'no renewal date',
] as const;

/** How long they had been customers when they left. */
export function byTenure(cases: readonly LostCase[]): Bucket[] {
  return bucketise(cases, TENURE_BUCKETS, (c) => {
    if (!c.customerSince) return 'unknown';
    const days = (Date.parse(c.closedAt) - Date.parse(c.customerSince)) / DAY;
    if (Number.isNaN(days) || days < 0) return 'unknown';
    return days < 182
      ? 'under 6 months'
      : days < 365
        ? '6-12 months'
        : days < 730
          ? '1-2 years'
          : '2 years or more';
  });
}

/** How far from their renewal they left: at renewal, or mid-contract. */
export function byRenewal(cases: readonly LostCase[]): Bucket[] {
  return bucketise(cases, RENEWAL_BUCKETS, (c) => {
    if (!c.renewalDate) return 'no renewal date';
    const days = (Date.parse(`${c.renewalDate}T00:00:00Z`) - Date.parse(c.closedAt)) / DAY;
    if (days < 0) return 'after the renewal date';
    return days <= 30
      ? 'within 30 days of renewal'
      : days <= 90
        ? '31-90 days before renewal'
        : days <= 180
          ? '91-180 days before renewal'
          : 'more than 180 days before renewal';
  });
}

/** Which lifecycle stage they were in. */
export function byLifecycleStage(cases: readonly LostCase[]): Bucket[] {
  return bucketise(cases, [], (c) => c.lifecycleStage ?? 'unknown').sort((a, b) => b.cases - a.cases);
}

/** The reasons on the lost cases (a case counts under each of its reasons), most frequent first. */
export function byReason(cases: readonly LostCase[], names: ReadonlyMap<string, string>): Bucket[] {
  const buckets = new Map<string, Bucket>();
  for (const c of cases)
    for (const reason of c.reasons.length > 0 ? c.reasons : ['(no reason)']) {
      const label = names.get(reason) ?? reason;
      const bucket = buckets.get(label) ?? { label, cases: 0, arr: 0 };
      bucket.cases += 1;
      bucket.arr += c.arrAtRisk;
      buckets.set(label, bucket);
    }
  return [...buckets.values()].sort((a, b) => b.cases - a.cases || b.arr - a.arr);
}

export interface SurveySummary {
  answered: number;
  primaryReasons: Bucket[];
  wouldReturn: { yes: number; no: number; unsure: number };
  competitors: { name: string; cases: number }[];
  comments: { caseId: number; comment: string }[];
}

/** What the separation surveys say. */
export function surveySummary(cases: readonly LostCase[], names: ReadonlyMap<string, string>): SurveySummary {
  const answered = cases.filter((c) => c.survey !== null);
  const competitors = new Map<string, number>();
  for (const c of answered) {
    const name = c.survey?.competitor?.trim();
    if (name) competitors.set(name, (competitors.get(name) ?? 0) + 1);
  }
  return {
    answered: answered.length,
    primaryReasons: bucketise(
      answered,
      [],
      (c) => names.get(c.survey?.primaryReason ?? '') ?? c.survey?.primaryReason ?? '',
    ).sort((a, b) => b.cases - a.cases),
    wouldReturn: {
      yes: answered.filter((c) => c.survey?.wouldReturn === true).length,
      no: answered.filter((c) => c.survey?.wouldReturn === false).length,
      unsure: answered.filter((c) => c.survey?.wouldReturn === null || c.survey?.wouldReturn === undefined)
        .length,
    },
    competitors: [...competitors.entries()]
      .map(([name, n]) => ({ name, cases: n }))
      .sort((a, b) => b.cases - a.cases),
    comments: answered.flatMap((c) =>
      c.survey?.comments ? [{ caseId: c.caseId, comment: c.survey.comments }] : [],
    ),
  };
}

/** Lost ARR as a yearly percentage of the base (ARR still here plus ARR lost). */
export function attritionPercent(lostArr: number, remainingArr: number, periodDays: number): number | null {
  const base = lostArr + remainingArr;
  if (base <= 0) return null;
  return Math.round((lostArr / base) * (365 / periodDays) * 1000) / 10;
}

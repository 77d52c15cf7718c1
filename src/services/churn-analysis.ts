// Churn analysis over a period: attrition against the annual target for the book and per saved
// segment, when customers left (tenure, days before renewal, lifecycle stage) and why (reasons of
// the lost cases, separation survey answers).
import {
  attritionPercent,
  byLifecycleStage,
  byReason,
  byRenewal,
  byTenure,
  surveySummary,
  type Bucket,
  type LostCase,
  type SurveySummary,
} from '../domain/churn-analysis';
import { parseCalendarDate } from '../domain/values';
import { AppError } from '../domain/errors';
import type { ExpressionBuilder } from 'kysely';
import { RiskCaseRepository } from '../store/risk-case.repository';
import type { Database } from '../store/schema';
import type { ServiceContext } from './context';
import type { RiskConfigService } from './risk-config';

/** Attribute names under which CRMs keep the date an account became a customer. */
const CUSTOMER_SINCE = [
  'customer_since',
  'customerSince',
  'signup_date',
  'signupDate',
  'start_date',
  'contract_start',
];

export interface AttritionLine {
  key: string;
  name: string;
  lostAccounts: number;
  lostArr: number;
  remainingArr: number;
  /** Lost ARR over (remaining + lost), scaled to a year. */
  attritionPercent: number | null;
  status: 'on_target' | 'off_target' | 'no_data';
}

export interface ChurnAnalysis {
  from: string;
  to: string;
  teamId: number | null;
  targetPercent: number;
  overall: AttritionLine;
  segments: AttritionLine[];
  when: { tenure: Bucket[]; renewal: Bucket[]; lifecycleStage: Bucket[] };
  why: { reasons: Bucket[]; survey: SurveySummary };
}

const DAY = 86_400_000;

export class ChurnAnalysisService {
  constructor(
    private readonly context: ServiceContext,
    private readonly config: RiskConfigService,
  ) {}

  async analysis(
    options: { from?: string; to?: string; teamId?: number | null } = {},
  ): Promise<ChurnAnalysis> {
    const now = this.context.clock.now();
    const day = (text: string | undefined, fallback: Date, field: string) => {
      if (text === undefined) return fallback.toISOString();
      const parsed = parseCalendarDate(text);
      if (!parsed.ok) throw new AppError('INVALID_DATE', `${field}: ${parsed.message}.`, { field });
      return `${parsed.value}T00:00:00.000Z`;
    };
    const to = options.to
      ? new Date(Date.parse(day(options.to, now, 'to')) + DAY).toISOString()
      : now.toISOString();
    const from = day(options.from, new Date(Date.parse(to) - 365 * DAY), 'from');
    if (from >= to) throw new AppError('INVALID_DATE', 'from: must be before to.', { field: 'from' });
    const teamId = options.teamId ?? null;
    const periodDays = (Date.parse(to) - Date.parse(from)) / DAY;
    const db = this.context.store.db;
    const settings = await this.config.settings();
    const reasonNames = new Map((await this.config.listReasons()).map((r) => [r.key, r.name]));

    let lostQuery = db
      .selectFrom('risk_cases')
      .innerJoin('accounts', 'accounts.id', 'risk_cases.account_id')
      .select([
        'risk_cases.id',
        'risk_cases.account_id',
        'risk_cases.closed_at',
        'risk_cases.arr_at_risk',
        'accounts.renewal_date',
        'accounts.lifecycle_stage',
        'accounts.attributes',
      ])
      .where('risk_cases.outcome', '=', 'lost')
      .where('risk_cases.closed_at', '>', from)
      .where('risk_cases.closed_at', '<=', to);
    if (teamId !== null) lostQuery = lostQuery.where('accounts.team_id', '=', teamId);
    const rows = await lostQuery.orderBy('risk_cases.closed_at').execute();
    const repo = new RiskCaseRepository(db);
    const reasons = await repo.reasonsOf(rows.map((r) => r.id));
    const surveys = await repo.separationSurveys(rows.map((r) => r.id));
    const lost: LostCase[] = rows.map((row) => {
      const attributes = JSON.parse(row.attributes) as Record<string, unknown>;
      const since = CUSTOMER_SINCE.map((key) => attributes[key]).find(
        (v): v is string => typeof v === 'string' && v !== '',
      );
      const sinceDay = since ? parseCalendarDate(since) : null;
      return {
        caseId: row.id,
        accountId: row.account_id,
        closedAt: row.closed_at ?? to,
        arrAtRisk: Number(row.arr_at_risk),
        customerSince: sinceDay?.ok ? `${sinceDay.value}T00:00:00.000Z` : null,
        renewalDate: row.renewal_date,
        lifecycleStage: row.lifecycle_stage,
        reasons: (reasons.get(row.id) ?? []).map((r) => r.key),
        survey: surveys.get(row.id) ?? null,
      } satisfies LostCase;
    });

    // ARR still here: accounts in scope never lost up to the end of the period.
    const stillCustomer = (eb: ExpressionBuilder<Database, 'accounts'>) =>
      eb.not(
        eb.exists(
          eb
            .selectFrom('risk_cases as rc')
            .select('rc.id')
            .whereRef('rc.account_id', '=', 'accounts.id')
            .where('rc.outcome', '=', 'lost')
            .where('rc.closed_at', '<=', to),
        ),
      );
    let remainingQuery = db
      .selectFrom('accounts')
      .select((eb) => eb.fn.sum<number | string | null>('accounts.arr').as('arr'))
      .where(stillCustomer);
    if (teamId !== null) remainingQuery = remainingQuery.where('accounts.team_id', '=', teamId);
    const remainingArr = Number((await remainingQuery.executeTakeFirst())?.arr ?? 0);
    const line = (
      key: string,
      name: string,
      cases: readonly LostCase[],
      remaining: number,
    ): AttritionLine => {
      const lostArr = cases.reduce((sum, c) => sum + c.arrAtRisk, 0);
      const percent = attritionPercent(lostArr, remaining, periodDays);
      return {
        key,
        name,
        lostAccounts: new Set(cases.map((c) => c.accountId)).size,
        lostArr,
        remainingArr: remaining,
        attritionPercent: percent,
        status:
          percent === null
            ? 'no_data'
            : percent <= settings.annualAttritionTargetPercent
              ? 'on_target'
              : 'off_target',
      };
    };

    // Per segment: who was a member when they left (from the membership history), against the ARR of
    // today's members who are still customers.
    const segments = await db
      .selectFrom('saved_segments')
      .select(['id', 'key', 'name'])
      .orderBy('name')
      .execute();
    const events = lost.length
      ? await db
          .selectFrom('segment_membership_events')
          .select(['segment_id', 'account_id', 'kind', 'at'])
          .where('account_id', 'in', [...new Set(lost.map((c) => c.accountId))])
          .orderBy('at')
          .orderBy('id')
          .execute()
      : [];
    const segmentLines: AttritionLine[] = [];
    for (const segment of segments) {
      const memberAtLoss = lost.filter((c) => {
        const last = events
          .filter((e) => e.segment_id === segment.id && e.account_id === c.accountId && e.at <= c.closedAt)
          .at(-1);
        return last?.kind === 'entered';
      });
      let membersQuery = db
        .selectFrom('segment_members')
        .innerJoin('accounts', 'accounts.id', 'segment_members.account_id')
        .select((eb) => eb.fn.sum<number | string | null>('accounts.arr').as('arr'))
        .where('segment_members.segment_id', '=', segment.id)
        .where(stillCustomer);
      if (teamId !== null) membersQuery = membersQuery.where('accounts.team_id', '=', teamId);
      const remaining = Number((await membersQuery.executeTakeFirst())?.arr ?? 0);
      segmentLines.push(line(segment.key, segment.name, memberAtLoss, remaining));
    }

    return {
      from,
      to,
      teamId,
      targetPercent: settings.annualAttritionTargetPercent,
      overall: line('all', 'All accounts', lost, remainingArr),
      segments: segmentLines,
      when: { tenure: byTenure(lost), renewal: byRenewal(lost), lifecycleStage: byLifecycleStage(lost) },
      why: { reasons: byReason(lost, reasonNames), survey: surveySummary(lost, reasonNames) },
    };
  }
}

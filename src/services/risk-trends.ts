// Risk Trends: cases by reason over weeks or months, split by an account attribute, with a
// drill-down that returns exactly the cases a cell counts (both come from the same rows and rules).
import { AppError } from '../domain/errors';
import {
  cellCases,
  periodsBetween,
  trendCells,
  type TrendCase,
  type TrendCell,
  type TrendInterval,
  type TrendMeasure,
  type TrendPeriod,
} from '../domain/risk-trends';
import { RiskCaseRepository, type TrendCaseRow } from '../store/risk-case.repository';
import type { ServiceContext } from './context';

/** What a trend can be split by: a fixed account or case field, or any attribute (`attribute:region`). */
export const BREAKDOWNS = ['none', 'tier', 'team', 'owner', 'lifecycle_stage', 'stage', 'track'] as const;
export type Breakdown = (typeof BREAKDOWNS)[number] | `attribute:${string}`;

export interface TrendQuery {
  interval: TrendInterval;
  measure: TrendMeasure;
  /** Day (`YYYY-MM-DD`) the first period contains. */
  from: string;
  /** Day the last period contains (default today). */
  to?: string | undefined;
  breakdown: Breakdown;
}

export interface RiskTrends {
  interval: TrendInterval;
  measure: TrendMeasure;
  breakdown: Breakdown;
  periods: TrendPeriod[];
  reasons: string[];
  groups: string[];
  cells: TrendCell[];
}

function isFixed(breakdown: Breakdown): breakdown is (typeof BREAKDOWNS)[number] {
  return (BREAKDOWNS as readonly string[]).includes(breakdown);
}

function groupOf(row: TrendCaseRow, breakdown: Breakdown): string | null {
  if (!isFixed(breakdown)) {
    const value = row.attributes[breakdown.slice('attribute:'.length)];
    if (typeof value === 'string') return value === '' ? null : value;
    return typeof value === 'number' || typeof value === 'boolean' ? String(value) : null;
  }
  switch (breakdown) {
    case 'tier':
      return row.tier;
    case 'team':
      return row.teamName;
    case 'owner':
      return row.ownerEmail;
    case 'lifecycle_stage':
      return row.lifecycleStage;
    case 'stage':
      return row.stage;
    case 'track':
      return row.track;
    case 'none':
      return null;
  }
}

export class RiskTrendService {
  constructor(private readonly context: ServiceContext) {}

  private async load(query: TrendQuery) {
    const now = this.context.clock.now().toISOString();
    const to = query.to ?? now.slice(0, 10);
    const periods = periodsBetween(`${query.from}T00:00:00.000Z`, `${to}T00:00:00.000Z`, query.interval);
    const first = periods[0];
    const last = periods.at(-1);
    if (!first || !last) throw new AppError('VALIDATION_FAILED', 'No period in the range.', {});
    const repo = new RiskCaseRepository(this.context.store.db);
    const rows = await repo.casesOpenBetween(first.start, last.end);
    const reasons = await repo.reasonsOf(rows.map((row) => row.caseId));
    const cases: TrendCase[] = rows.map((row) => ({
      caseId: row.caseId,
      accountId: row.accountId,
      externalId: row.externalId,
      accountName: row.accountName,
      openedAt: row.openedAt,
      closedAt: row.closedAt,
      reasons: (reasons.get(row.caseId) ?? []).map((reason) => reason.key),
      group: query.breakdown === 'none' ? null : groupOf(row, query.breakdown),
    }));
    return { now, periods, cases };
  }

  /** The trend table: one cell per period, reason and group that has cases. */
  async trends(query: TrendQuery): Promise<RiskTrends> {
    const { now, periods, cases } = await this.load(query);
    const cells = trendCells(cases, periods, query.measure, now, query.breakdown !== 'none');
    return {
      interval: query.interval,
      measure: query.measure,
      breakdown: query.breakdown,
      periods,
      reasons: [...new Set(cells.map((c) => c.reason))].sort(),
      groups: query.breakdown === 'none' ? [] : [...new Set(cells.map((c) => c.group ?? ''))].sort(),
      cells,
    };
  }

  /** The cases and accounts behind one cell of the same trend. */
  async drillDown(query: TrendQuery & { period: string; reason: string; group?: string | undefined }) {
    const { now, periods, cases } = await this.load(query);
    const period = periods.find((p) => p.key === query.period);
    if (!period)
      throw new AppError(
        'VALIDATION_FAILED',
        `period: "${query.period}" is not one of the trend's periods.`,
        {
          field: 'period',
          periods: periods.map((p) => p.key),
        },
      );
    const items = cellCases(
      cases,
      period,
      { reason: query.reason, group: query.breakdown === 'none' ? null : (query.group ?? null) },
      query.measure,
      now,
    );
    return {
      period,
      reason: query.reason,
      group: query.group ?? null,
      cases: items.length,
      accounts: [
        ...new Map(
          items.map((c) => [c.accountId, { id: c.accountId, externalId: c.externalId, name: c.accountName }]),
        ).values(),
      ],
      items: items.map(
        ({ caseId, accountId, externalId, accountName, openedAt, closedAt, reasons, group }) => ({
          caseId,
          accountId,
          externalId,
          accountName,
          openedAt,
          closedAt,
          reasons,
          group,
        }),
      ),
    };
  }
}

// What the book looks like: KPI cards, huddle lists, the monthly risk report, risk trends and the
// churn analysis.
import { z } from 'zod';
import { KPI_FORMATS, KPI_METRICS, kpiCardSchema, kpiTargetSchema, type KpiCard } from '../../domain/kpi';
import type { MonthlyRiskReport, ReportCase } from '../../domain/monthly-report';
import type { Services } from '../../services';
import type { ChurnAnalysis } from '../../services/churn-analysis';
import type { Huddle } from '../../services/huddles';
import type { KpiValue } from '../../services/kpis';
import { BREAKDOWNS, type RiskTrends } from '../../services/risk-trends';
import { riskCaseViewSchema, weeklyUpdateSchema } from './risk-cases';
import { day, exactly, id, listOf, timestamp, type Answer } from './shared';

export const kpiCardResponse = exactly<KpiCard>()(kpiCardSchema.meta({ id: 'KpiCard' }));

export const kpiCardsResponse = listOf(kpiCardResponse);

export const kpiValuesResponse = listOf(
  exactly<KpiValue>()(
    z
      .object({
        key: z.string(),
        name: z.string(),
        metric: z.enum(KPI_METRICS),
        format: z.enum(KPI_FORMATS),
        segment: z.string().nullable(),
        description: z.string().nullable(),
        teamId: id.nullable(),
        value: z.number().nullable().describe('null when there is nothing to measure'),
        target: kpiTargetSchema.nullable(),
        status: z.enum(['on_target', 'off_target', 'no_target', 'no_data']),
        series: z
          .array(
            z.object({
              day,
              value: z.number().nullable(),
              backfilled: z
                .boolean()
                .describe('Derived afterwards from case history, not recorded on the day'),
            }),
          )
          .describe('Daily snapshots of the last 30 days, oldest first, then today’s value'),
        change: z.number().nullable().describe('Against the snapshot 30 days ago, when there is one'),
        history: z
          .object({
            derivable: z.boolean().describe('Whether past days can be derived from case history'),
            reason: z.string().nullable().describe('When not, why history starts with the first snapshot'),
          })
          .describe('Whether this view’s past days are backfilled from case history'),
      })
      .meta({ id: 'KpiValue' }),
  ),
);

export const kpiSnapshotResponse = exactly<Answer<Services['kpis']['snapshot']>>()(
  z.object({ day, values: z.number().int().describe('Card values stored') }),
);

export const kpiBackfillResponse = exactly<Answer<Services['kpis']['backfill']>>()(
  z
    .object({
      from: day.nullable().describe('The first day derived: the day the oldest case opened'),
      to: day.nullable().describe('The last day derived: yesterday'),
      stored: z.number().int().describe('Values stored; days with a snapshot are left as they were'),
      cards: z.array(z.string()).describe('Cards derived from case history'),
      skipped: z.array(z.string()).describe('Cards case history cannot answer for'),
    })
    .meta({ id: 'KpiBackfill' }),
);

export const huddleResponse = exactly<Huddle>()(
  z
    .object({
      teamId: id,
      teamName: z.string(),
      since: timestamp.describe('Changes are counted from here: the last huddle, or two weeks back'),
      lastHeldAt: timestamp.nullable(),
      csms: z.array(
        z.object({
          userId: id,
          name: z.string(),
          email: z.string(),
          openCases: z.number().int(),
          cases: z
            .array(
              z.object({
                case: riskCaseViewSchema,
                lastUpdate: weeklyUpdateSchema.nullable(),
                changes: z.array(z.string()).describe('What changed since the last huddle'),
                isNew: z.boolean(),
              }),
            )
            .describe('The top five open cases by priority'),
        }),
      ),
    })
    .meta({ id: 'Huddle' }),
);

export const huddleHeldResponse = exactly<Answer<Services['huddles']['markHeld']>>()(
  z.object({ teamId: id, heldAt: timestamp }),
);

const reportCase = {
  caseId: id,
  accountId: id,
  externalId: z.string(),
  account: z.string(),
  owner: z.string().nullable(),
  stage: z.string(),
  reasons: z.array(z.string()),
  arrAtRisk: z.number(),
  openedAt: timestamp,
  closedAt: timestamp.nullable(),
  daysOpen: z.number(),
};

const reportCaseSchema = exactly<ReportCase>()(z.object(reportCase).meta({ id: 'ReportCase' }));

const quadrantFigures = z.object({ cases: z.number().int(), arr: z.number() });

export const monthlyReportSchema = exactly<MonthlyRiskReport>()(
  z
    .object({
      team: z.object({ id, name: z.string(), leads: z.array(z.string()) }),
      month: z.string().describe('YYYY-MM'),
      from: timestamp,
      to: timestamp.describe('The first instant after the month, or now for the current month'),
      generatedAt: timestamp,
      newCases: z.array(reportCaseSchema),
      saved: z.array(reportCaseSchema),
      lost: z.array(reportCaseSchema),
      openAtEnd: z.array(reportCaseSchema),
      reasons: z.array(
        z.object({
          reason: z.string(),
          opened: z.number().int(),
          lost: z.number().int(),
          openAtEnd: z.number().int(),
        }),
      ),
      matrix: z
        .object({
          expected_avoidable: quadrantFigures,
          expected_unavoidable: quadrantFigures,
          unexpected_avoidable: quadrantFigures,
          unexpected_unavoidable: quadrantFigures,
          unplaced: quadrantFigures,
        })
        .describe('Cases open at the end of the month, per quadrant'),
      staleUpdates: z.array(
        z.object({
          ...reportCase,
          lastUpdateAt: timestamp.nullable(),
          daysWithoutUpdate: z.number(),
        }),
      ),
      updateOverdueDays: z.number().int(),
      kpis: z.array(
        z.object({
          name: z.string(),
          value: z.string(),
          target: z.string(),
          status: z.string(),
          asOf: day.nullable(),
        }),
      ),
    })
    .meta({ id: 'MonthlyRiskReport' }),
);

const trendPeriod = z.object({
  key: z.string().describe('2026-03 for a month; the Monday (2026-03-02) for a week'),
  start: timestamp,
  end: timestamp.describe('Exclusive'),
});

export const riskTrendsResponse = exactly<RiskTrends>()(
  z
    .object({
      interval: z.enum(['week', 'month']),
      measure: z.enum(['opened', 'open']),
      breakdown: z.union([z.enum(BREAKDOWNS), z.templateLiteral(['attribute:', z.string()])]),
      periods: z.array(trendPeriod),
      reasons: z.array(z.string()),
      groups: z.array(z.string()),
      cells: z.array(
        z.object({
          period: z.string(),
          reason: z.string(),
          group: z.string().nullable(),
          cases: z.number().int(),
        }),
      ),
    })
    .meta({ id: 'RiskTrends' }),
);

export const riskTrendCellResponse = exactly<Answer<Services['riskTrends']['drillDown']>>()(
  z
    .object({
      period: trendPeriod,
      reason: z.string(),
      group: z.string().nullable(),
      cases: z.number().int(),
      accounts: z.array(z.object({ id, externalId: z.string(), name: z.string() })),
      items: z.array(
        z.object({
          caseId: id,
          accountId: id,
          externalId: z.string(),
          accountName: z.string(),
          openedAt: timestamp,
          closedAt: timestamp.nullable(),
          reasons: z.array(z.string()),
          group: z.string().nullable(),
        }),
      ),
    })
    .meta({ id: 'RiskTrendCell' }),
);

const attritionLine = z.object({
  key: z.string(),
  name: z.string(),
  lostAccounts: z.number().int(),
  lostArr: z.number(),
  remainingArr: z.number(),
  attritionPercent: z.number().nullable().describe('Lost ARR over remaining + lost, scaled to a year'),
  status: z.enum(['on_target', 'off_target', 'no_data']),
});

const bucket = z.object({ label: z.string(), cases: z.number().int(), arr: z.number() });

export const churnAnalysisResponse = exactly<ChurnAnalysis>()(
  z
    .object({
      from: timestamp,
      to: timestamp,
      teamId: id.nullable(),
      targetPercent: z.number(),
      overall: attritionLine,
      segments: z.array(attritionLine),
      when: z.object({ tenure: z.array(bucket), renewal: z.array(bucket), lifecycleStage: z.array(bucket) }),
      why: z.object({
        reasons: z.array(bucket),
        survey: z.object({
          answered: z.number().int(),
          primaryReasons: z.array(bucket),
          wouldReturn: z.object({ yes: z.number().int(), no: z.number().int(), unsure: z.number().int() }),
          competitors: z.array(z.object({ name: z.string(), cases: z.number().int() })),
          comments: z.array(z.object({ caseId: id, comment: z.string() })),
        }),
      }),
    })
    .meta({ id: 'ChurnAnalysis' }),
);

/** The monthly report as JSON, or written out as Markdown, HTML or the CSV of one table. */
export const monthlyReportResponse = {
  description: 'The report in the format asked for.',
  content: {
    'application/json': { schema: monthlyReportSchema },
    'text/markdown': { schema: z.string().describe('format=md') },
    'text/html': { schema: z.string().describe('format=html: a static page, no script') },
    'text/csv': { schema: z.string().describe('format=csv: the rows of `table`') },
  },
};

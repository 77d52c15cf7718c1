// Risk Trends: cases by reason over time, split by an account attribute, with drill-down to the
// exact cases and accounts of a cell.
import type { FastifyPluginCallbackZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Services } from '../../services';
import { churnAnalysisResponse, riskTrendCellResponse, riskTrendsResponse } from '../responses';
import { BREAKDOWNS, type Breakdown } from '../../services/risk-trends';
import { calendarDate } from '../schemas';

const breakdown = z
  .string()
  .max(200)
  .refine(
    (value) => (BREAKDOWNS as readonly string[]).includes(value) || /^attribute:.+$/.test(value),
    `one of ${BREAKDOWNS.join(', ')} or attribute:<name>`,
  )
  .transform((value) => value as Breakdown)
  .default('none');

const trendQuery = z.object({
  interval: z.enum(['week', 'month']).default('month'),
  measure: z
    .enum(['opened', 'open'])
    .default('opened')
    .describe('opened: cases opened in the period; open: cases open at its end'),
  from: calendarDate.describe('A day in the first period'),
  to: calendarDate.optional().describe('A day in the last period (default today)'),
  breakdown,
});

export const riskTrendRoutes =
  (services: Services): FastifyPluginCallbackZod =>
  (app, _options, done) => {
    app.get(
      '/risk-trends',
      {
        config: { access: 'read' },
        schema: {
          operationId: 'getRiskTrends',
          response: { 200: riskTrendsResponse },
          summary: 'Cases by reason over time',
          tags: ['risk trends'],
          description:
            'Cases by reason per week or month, optionally split by tier, team, owner, lifecycle_stage, stage, ' +
            'track or attribute:<name>. A case counts once under each of its reasons.',
          querystring: trendQuery,
        },
      },
      (request) => services.riskTrends.trends(request.query),
    );

    app.get(
      '/risk-trends/drill-down',
      {
        config: { access: 'read' },
        schema: {
          operationId: 'drillDownRiskTrends',
          response: { 200: riskTrendCellResponse },
          summary: 'The cases behind one trend cell',
          tags: ['risk trends'],
          description: 'The exact cases and accounts one cell of the trend counts.',
          querystring: trendQuery.extend({
            period: z.string().min(7).max(10).describe('The period key: 2026-03 or the Monday of a week'),
            reason: z.string().min(1).max(64),
            group: z.string().max(200).optional(),
          }),
        },
      },
      (request) => services.riskTrends.drillDown(request.query),
    );
    app.get(
      '/churn-analysis',
      {
        config: { access: 'read' },
        schema: {
          operationId: 'getChurnAnalysis',
          response: { 200: churnAnalysisResponse },
          summary: 'Churn against the attrition target',
          tags: ['risk trends'],
          description:
            'Churn over a period (default the last 365 days): attrition of the book and of each saved segment against ' +
            'the annual target, when customers left (tenure, days before renewal, lifecycle stage) and why (reasons ' +
            'of lost cases, separation survey answers).',
          querystring: z.object({
            from: calendarDate.optional(),
            to: calendarDate.optional(),
            teamId: z.coerce.number().int().positive().optional(),
          }),
        },
      },
      (request) => services.churnAnalysis.analysis(request.query),
    );
    done();
  };

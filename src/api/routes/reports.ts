// Huddles and the monthly risk report.
import type { FastifyPluginCallbackZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Services } from '../../services';
import { REPORT_TABLES } from '../../services/reports';
import { actorOf } from '../auth-hook';
import { huddleHeldResponse, huddleResponse, monthlyReportResponse } from '../responses';
import { idParams } from '../schemas';

export const reportRoutes =
  (services: Services): FastifyPluginCallbackZod =>
  (app, _options, done) => {
    app.get(
      '/teams/:id/huddle',
      {
        config: { access: 'read' },
        schema: {
          operationId: 'getHuddle',
          response: { 200: huddleResponse },
          summary: "A team's huddle list",
          tags: ['huddles'],
          description:
            "The team's huddle list: each CSM's top five open cases by priority, the last weekly update and what " +
            'changed since the last huddle (two weeks back when none was recorded).',
          params: idParams,
        },
      },
      (request) => services.huddles.huddle(request.params.id),
    );

    app.post(
      '/teams/:id/huddles',
      {
        config: { access: 'segments.write' },
        schema: {
          operationId: 'recordHuddle',
          response: { 200: huddleHeldResponse },
          summary: 'Record that a huddle was held',
          tags: ['huddles'],
          description: 'Record that the team held its huddle now (its lead or an admin).',
          params: idParams,
        },
      },
      (request) => services.huddles.markHeld(actorOf(request), request.params.id),
    );

    app.get(
      '/reports/monthly',
      {
        config: { access: 'read' },
        schema: {
          operationId: 'getMonthlyReport',
          response: { 200: monthlyReportResponse },
          summary: 'The monthly risk report',
          tags: ['reports'],
          description:
            "A team's monthly risk report: new, saved and lost cases and ARR, top reasons, matrix, cases without a " +
            'current weekly update, KPI cards against target. format=json (default), md, html, or csv with table=' +
            REPORT_TABLES.join('|') +
            '. The written forms name their file in Content-Disposition: risk-report-<team>-<month>.md or .html, ' +
            'risk-report-<team>-<month>-<table>.csv.',
          querystring: z.object({
            teamId: z.coerce.number().int().positive(),
            month: z.string().regex(/^\d{4}-\d{2}$/, 'YYYY-MM'),
            format: z.enum(['json', 'md', 'html', 'csv']).default('json'),
            table: z.enum(REPORT_TABLES).default('new'),
          }),
        },
      },
      async (request, reply) => {
        const { teamId, month, format, table } = request.query;
        if (format === 'json') return services.reports.monthly(teamId, month);
        const name = await services.reports.fileName(teamId, month, format, table);
        switch (format) {
          case 'md':
            return reply
              .type('text/markdown; charset=utf-8')
              .header('content-disposition', `attachment; filename="${name}"`)
              .send(await services.reports.markdown(teamId, month));
          case 'html':
            // A static page: no script at all, its one inline stylesheet allowed. Shown in the browser
            // when opened, saved under its name when downloaded.
            return reply
              .type('text/html; charset=utf-8')
              .header(
                'content-security-policy',
                "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'",
              )
              .header('content-disposition', `inline; filename="${name}"`)
              .send(await services.reports.html(teamId, month));
          case 'csv':
            return reply
              .type('text/csv; charset=utf-8')
              .header('content-disposition', `attachment; filename="${name}"`)
              .send(await services.reports.csv(teamId, month, table));
        }
      },
    );
    done();
  };

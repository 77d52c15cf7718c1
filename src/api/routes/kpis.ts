// KPI scorecards: card values with target status and trends from daily snapshots; the card list.
import type { FastifyPluginCallbackZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Services } from '../../services';
import { actorOf } from '../auth-hook';
import { ifMatch, ifMatchHeader, itemsWithRevision } from '../revision';
import { kpiBackfillResponse, kpiCardsResponse, kpiSnapshotResponse, kpiValuesResponse } from '../responses';

export const kpiRoutes =
  (services: Services): FastifyPluginCallbackZod =>
  (app, _options, done) => {
    app.get(
      '/kpis',
      {
        config: { access: 'read' },
        schema: {
          operationId: 'listKpis',
          response: { 200: kpiValuesResponse },
          summary: 'KPI cards with values and targets',
          tags: ['kpis'],
          description:
            'Every KPI card with its value now, target status, the last 30 daily snapshots and the change ' +
            'against 30 days ago; for one team with teamId.',
          querystring: z.object({ teamId: z.coerce.number().int().positive().optional() }),
        },
      },
      async (request) => ({ items: await services.kpis.scorecard({ teamId: request.query.teamId ?? null }) }),
    );

    app.get(
      '/kpis/cards',
      {
        config: { access: 'read' },
        schema: {
          operationId: 'getKpiCards',
          response: { 200: kpiCardsResponse },
          summary: 'Get the KPI card definitions',
          tags: ['kpis'],
          description: 'The KPI card definitions.',
        },
      },
      async (_request, reply) => itemsWithRevision(reply, await services.kpis.cards()),
    );

    app.put(
      '/kpis/cards',
      {
        config: { access: 'config.write' },
        schema: {
          operationId: 'replaceKpiCards',
          headers: ifMatchHeader,
          response: { 200: kpiCardsResponse },
          summary: 'Replace the KPI cards',
          tags: ['kpis'],
          description:
            'Replace the KPI cards (admins): key, name, segment (a saved segment key or null), metric ' +
            '(account_count, arr, arr_at_risk, share_of_base, avg_days_to_resolve, save_rate, gross_revenue_churn), ' +
            'format, periodDays, target ({ comparison: less_than|at_most|more_than|at_least, value } or null), perTeam.',
          body: z.array(z.unknown()).max(50),
        },
      },
      async (request, reply) =>
        itemsWithRevision(
          reply,
          await services.kpis.updateCards(actorOf(request), request.body, ifMatch(request)),
        ),
    );

    app.post(
      '/kpis/snapshot',
      {
        config: { access: 'config.write' },
        schema: {
          operationId: 'snapshotKpis',
          response: { 200: kpiSnapshotResponse },
          summary: "Store today's KPI values",
          tags: ['kpis'],
          description: "Store today's value of every card now (the daily run does this).",
        },
      },
      () => services.kpis.snapshot(),
    );

    app.post(
      '/kpis/backfill',
      {
        config: { access: 'config.write' },
        schema: {
          operationId: 'backfillKpis',
          response: { 200: kpiBackfillResponse },
          summary: 'Backfill KPI history from case history',
          tags: ['kpis'],
          description:
            'Derive the whole book’s past values of the cards case history can answer for (accounts at risk, ' +
            'ARR at risk, days to resolve and save rate, over every account or the open-case segment), as of ' +
            'the end of each day from the oldest case to yesterday, and store them marked backfilled on days ' +
            'without a snapshot. Recorded snapshots are never overwritten; running it again adds nothing. The ' +
            'scorecard does this by itself on its first read when the book has no history.',
        },
      },
      () => services.kpis.backfill(),
    );
    done();
  };

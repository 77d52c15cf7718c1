// Health scores: an account's score with its explanation, the scorecard, CSM sentiment, re-scoring.
import type { FastifyPluginCallbackZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { SENTIMENTS } from '../../domain/health';
import type { Services } from '../../services';
import { actorOf } from '../auth-hook';
import { idParams } from '../schemas';

export const healthScoreRoutes =
  (services: Services): FastifyPluginCallbackZod =>
  (app, _options, done) => {
    app.get(
      '/accounts/:id/health',
      {
        schema: {
          tags: ['health'],
          description:
            'Current score with components and explanation, change over 3/7/14/30/90 days, 90 days of history, ' +
            'what moved the score since `since` days ago, and the CSM sentiment beside it.',
          params: idParams,
          querystring: z.object({ since: z.coerce.number().int().min(1).max(365).default(7) }),
        },
      },
      (request) => services.health.accountHealth(request.params.id, { since: request.query.since }),
    );

    app.post(
      '/accounts/:id/sentiment',
      {
        config: { access: 'case.write' },
        schema: {
          tags: ['health'],
          params: idParams,
          body: z.object({
            sentiment: z.enum(SENTIMENTS),
            note: z.string().max(5_000).nullable().default(null),
          }),
        },
      },
      (request) =>
        services.health.setSentiment(
          actorOf(request),
          request.params.id,
          request.body.sentiment,
          request.body.note,
        ),
    );

    app.get(
      '/health/disagreements',
      {
        schema: {
          tags: ['health'],
          description:
            'Accounts whose CSM sentiment strongly disagrees with the computed score (green on poor, red on good).',
          querystring: z.object({
            ownerId: z.coerce.number().int().positive().optional(),
            teamId: z.coerce.number().int().positive().optional(),
          }),
        },
      },
      async (request) => ({ items: await services.health.disagreements(request.query) }),
    );

    app.get('/health/scorecard', { schema: { tags: ['health'] } }, () => services.health.scorecard());

    app.put(
      '/health/scorecard',
      {
        config: { access: 'config.write' },
        schema: {
          tags: ['health'],
          description: 'Replace the scorecard: weighted measures and bands. Validated as a whole.',
          body: z.record(z.string(), z.unknown()),
        },
      },
      (request) => services.health.updateScorecard(actorOf(request), request.body),
    );

    app.post(
      '/health/rescore',
      {
        config: { access: 'config.write' },
        schema: { tags: ['health'], description: 'Re-score every account now.' },
      },
      () => services.health.score(),
    );
    done();
  };

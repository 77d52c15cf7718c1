// Health scores: an account's score with its explanation, the scorecard, CSM sentiment, re-scoring.
import type { FastifyPluginCallbackZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { ColumnType } from '../../domain/churn-model/table';
import { AppError } from '../../domain/errors';
import { scorecardSchema, SENTIMENTS } from '../../domain/health';
import type { Services } from '../../services';
import { DEFAULT_SPLIT, readChurnCsv } from '../../services/churn-model';
import { actorOf } from '../auth-hook';
import { ifMatch, ifMatchHeader, withRevision } from '../revision';
import {
  accountHealthSchema,
  backtestResponse,
  disagreementsResponse,
  fitResponse,
  historyBacktestResponse,
  scoreRunSchema,
  scorecardPreviewResponse,
  scorecardResponse,
} from '../responses';
import { idParams, queryFlag } from '../schemas';

const column = z.string().min(1).max(200);
/** How a labelled churn CSV is read and split, for fit and backtest. */
const modelQuery = z.object({
  label: column.describe('Column with the churn outcome (1/0, true/false, yes/no).'),
  id: column.optional().describe('Column with the account id (not an input).'),
  date: column.optional().describe('Date column, for timeSplit (not an input).'),
  types: z
    .string()
    .max(10_000)
    .regex(
      /^([^=,]+=(number|category))(,[^=,]+=(number|category))*$/,
      'COLUMN=number|category pairs, comma separated',
    )
    .optional()
    .describe('Override inferred column types, e.g. "Area code=category,Tenure=number".'),
  ignore: z.string().max(10_000).optional().describe('Comma-separated columns to leave out.'),
  seed: z.coerce.number().int().min(0).max(2_147_483_647).default(DEFAULT_SPLIT.seed),
  testShare: z.coerce.number().min(0).max(0.9).default(DEFAULT_SPLIT.testShare),
  timeSplit: queryFlag.default(false),
});
type ModelQuery = z.infer<typeof modelQuery>;

function churnTable(body: unknown, query: ModelQuery) {
  if (!Buffer.isBuffer(body))
    throw new AppError(
      'UNSUPPORTED_MEDIA_TYPE',
      'Send the CSV file as the request body with Content-Type: text/csv.',
    );
  const types: Record<string, ColumnType> = {};
  for (const pair of query.types?.split(',') ?? []) {
    const at = pair.lastIndexOf('=');
    types[pair.slice(0, at)] = pair.slice(at + 1) === 'number' ? 'number' : 'category';
  }
  return readChurnCsv(body, {
    label: query.label,
    id: query.id,
    date: query.date,
    types,
    ignore: query.ignore?.split(',').map((name) => name.trim()) ?? [],
  });
}

const splitOf = (query: ModelQuery) => ({
  seed: query.seed,
  testShare: query.testShare,
  kind: query.timeSplit ? ('time' as const) : ('stratified' as const),
});

export const healthScoreRoutes =
  (services: Services): FastifyPluginCallbackZod =>
  (app, _options, done) => {
    app.get(
      '/accounts/:id/health',
      {
        config: { access: 'read' },
        schema: {
          operationId: 'getAccountHealth',
          response: { 200: accountHealthSchema },
          summary: "An account's health score, explained",
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
          operationId: 'recordSentiment',
          response: { 200: accountHealthSchema },
          summary: "Record the CSM's sentiment",
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
        config: { access: 'read' },
        schema: {
          operationId: 'listHealthDisagreements',
          response: { 200: disagreementsResponse },
          summary: 'Where CSM sentiment disagrees with the score',
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

    app.get(
      '/health/scorecard',
      {
        config: { access: 'read' },
        schema: {
          operationId: 'getScorecard',
          response: { 200: scorecardResponse },
          summary: 'Get the health scorecard',
          tags: ['health'],
        },
      },
      async (_request, reply) => withRevision(reply, await services.health.scorecard()),
    );

    app.put(
      '/health/scorecard',
      {
        config: { access: 'config.write' },
        schema: {
          operationId: 'replaceScorecard',
          headers: ifMatchHeader,
          response: { 200: scorecardResponse },
          summary: 'Replace the health scorecard',
          tags: ['health'],
          description: 'Replace the scorecard: weighted measures and bands. Validated as a whole.',
          body: z.record(z.string(), z.unknown()),
        },
      },
      async (request, reply) =>
        withRevision(
          reply,
          await services.health.updateScorecard(actorOf(request), request.body, ifMatch(request)),
        ),
    );

    app.post(
      '/health/scorecard/preview',
      {
        config: { access: 'config.write' },
        schema: {
          operationId: 'previewScorecard',
          response: { 200: scorecardPreviewResponse },
          summary: 'Preview the band changes of a candidate scorecard',
          tags: ['health'],
          description:
            'Scores every account today with the live scorecard and with the candidate, in memory (nothing is ' +
            'stored or changed), and counts the accounts per band under each and the moves between bands: what ' +
            'replacing the scorecard would do, before it is applied.',
          body: z.object({ scorecard: scorecardSchema }),
        },
      },
      (request) => services.health.previewScorecard(request.body.scorecard),
    );

    app.post(
      '/health/backtest',
      {
        config: { access: 'read', csvBody: true },
        schema: {
          operationId: 'backtestScorecard',
          response: { 200: backtestResponse },
          summary: 'Backtest the scorecard on labelled CSV',
          tags: ['health'],
          description:
            'Evaluate the live scorecard as a churn predictor on the held-out rows of a labelled CSV body ' +
            '(Content-Type: text/csv): ROC AUC, precision/recall/lift of the riskiest 5/10/20%, calibration by band. ' +
            'The same seed and testShare as a fit test on the rows that fit never saw.',
          querystring: modelQuery,
        },
      },
      (request) =>
        services.churnModel.backtest(churnTable(request.body, request.query), splitOf(request.query)),
    );

    app.post(
      '/health/fit',
      {
        config: { access: 'config.write', csvBody: true },
        schema: {
          operationId: 'fitScorecard',
          response: { 200: fitResponse },
          summary: 'Fit a scorecard from labelled CSV',
          tags: ['health'],
          description:
            'Learn a scorecard from a labelled CSV body (Content-Type: text/csv): binned inputs, penalised logistic ' +
            'regression, mapped into measures with bands and weights. Returns the scorecard and its held-out ' +
            'backtest; apply=true makes it the live health score.',
          querystring: modelQuery.extend({
            apply: queryFlag.default(false),
            repeats: z.coerce.number().int().min(1).max(5).default(1),
          }),
        },
      },
      async (request) => {
        const result = await services.churnModel.fit(
          actorOf(request),
          churnTable(request.body, request.query),
          {
            ...splitOf(request.query),
            repeats: request.query.repeats,
            apply: request.query.apply,
            source: 'fitted through the API',
          },
        );
        if (request.query.apply) await services.health.score();
        return result;
      },
    );

    const historyBody = z.object({
      asOf: z.string().max(30).describe('The day the prediction is made (YYYY-MM-DD).'),
      horizonDays: z.number().int().min(1).max(730).default(180),
      ignore: z.array(column).max(500).optional().describe('Attributes to leave out of a fit.'),
    });

    app.post(
      '/health/history/backtest',
      {
        config: { access: 'read' },
        schema: {
          operationId: 'backtestScoreHistory',
          response: { 200: historyBacktestResponse },
          summary: 'Backtest stored scores against what happened',
          tags: ['health'],
          description:
            'Backtest the scores the store held on `asOf` (as stored then) against the cases closed as lost ' +
            'in the following `horizonDays`: ROC AUC, lift of the riskiest, churn by band.',
          body: historyBody,
        },
      },
      (request) => services.churnModel.backtestStore(request.body),
    );

    app.post(
      '/health/history/fit',
      {
        config: { access: 'config.write' },
        schema: {
          operationId: 'fitScorecardFromHistory',
          response: { 200: fitResponse },
          summary: "Fit a scorecard from the store's history",
          tags: ['health'],
          description:
            "Learn a scorecard from the store's history: account attributes and what each signal measure read on " +
            '`asOf`, labelled by losses in the following `horizonDays`. apply=true makes it the live score.',
          body: historyBody.extend({
            apply: z.boolean().default(false),
            seed: z.number().int().min(0).max(2_147_483_647).default(DEFAULT_SPLIT.seed),
            testShare: z.number().min(0).max(0.9).default(DEFAULT_SPLIT.testShare),
          }),
        },
      },
      async (request) => {
        const { apply, seed, testShare, ...history } = request.body;
        const { table, signalColumns } = await services.churnModel.storeTable(history);
        const result = await services.churnModel.fit(actorOf(request), table, {
          seed,
          testShare,
          kind: 'stratified',
          apply,
          signalColumns,
          source: `fitted through the API on losses within ${history.horizonDays} days of ${history.asOf}`,
        });
        if (apply) await services.health.score();
        return result;
      },
    );

    app.post(
      '/health/rescore',
      {
        config: { access: 'config.write' },
        schema: {
          operationId: 'rescoreAll',
          response: { 200: scoreRunSchema },
          summary: 'Re-score every account',
          tags: ['health'],
          description: 'Re-score every account now.',
        },
      },
      () => services.health.score(),
    );
    done();
  };

// Health scores: an account's score explained, the scorecard, backtests and fits against churn.
import { z } from 'zod';
import { scorecardSchema, SENTIMENTS, type Scorecard } from '../../domain/health';
import type { Services } from '../../services';
import type { BacktestResult, FitResult } from '../../services/churn-model';
import type { AccountHealth, ScorecardPreview, ScoreRun } from '../../services/health';
import { day, exactly, id, listOf, ratio, timestamp, type Answer } from './shared';

const inputValue = z.union([z.number(), z.string()]).nullable().describe('The input read; null without data');

export const accountHealthSchema = exactly<AccountHealth>()(
  z
    .object({
      accountId: id,
      current: z
        .object({
          accountId: id,
          day,
          computedAt: timestamp,
          score: z.number().describe('0-100'),
          band: z.string(),
          components: z.array(
            z.object({
              key: z.string(),
              name: z.string(),
              value: inputValue,
              score: z.number().nullable().describe('0-100; null when the input is missing'),
              weight: z.number(),
              effectiveWeight: z
                .number()
                .describe('Share of the total once missing measures handed on their weight'),
              points: z.number().describe('Points this measure adds to the score'),
            }),
          ),
          missing: z.array(z.string()).describe('Measures without data'),
          churnProbability: z.number().optional().describe('When the scorecard carries a churn model'),
          explanation: z.array(z.string()),
          factors: z
            .array(
              z.object({
                key: z.string(),
                name: z.string(),
                value: inputValue,
                pointsLost: z.number(),
                text: z.string(),
              }),
            )
            .describe('The inputs that cost the account most points'),
        })
        .nullable()
        .describe('null before the account was first scored'),
      changes: z.array(
        z.object({
          days: z.number().int(),
          from: z.number().nullable(),
          change: z.number().nullable(),
          percent: z.number().nullable(),
        }),
      ),
      drivers: z
        .array(z.object({ key: z.string(), points: z.number(), text: z.string() }))
        .describe('What moved the score since `since` days ago, biggest first'),
      history: z.array(z.object({ day, score: z.number(), band: z.string() })),
      sentiment: z
        .object({
          accountId: id,
          sentiment: z.enum(SENTIMENTS),
          note: z.string().nullable(),
          userId: id.nullable(),
          userEmail: z.string().nullable(),
          at: timestamp,
        })
        .nullable(),
      disagreement: z.boolean().describe('The CSM’s sentiment strongly disagrees with the score'),
    })
    .meta({ id: 'AccountHealth' }),
);

export const disagreementsResponse = listOf(
  exactly<Answer<Services['health']['disagreements']>[number]>()(
    z
      .object({
        accountId: id,
        externalId: z.string(),
        name: z.string(),
        sentiment: z.enum(SENTIMENTS),
        note: z.string().nullable(),
        at: timestamp,
        score: z.number().nullable(),
        band: z.string().nullable(),
        day: day.nullable(),
      })
      .meta({ id: 'HealthDisagreement' }),
  ),
);

export const scorecardResponse = exactly<Scorecard>()(scorecardSchema.meta({ id: 'Scorecard' }));

const splitSchema = z.object({
  kind: z.enum(['stratified', 'time', 'none']),
  seed: z.number().int(),
  testShare: z.number(),
  trainRows: z.number().int(),
  testRows: z.number().int(),
});

const backtestReportSchema = z
  .object({
    accounts: z.number().int(),
    churned: z.number().int(),
    baseRate: z.number(),
    unscored: z.number().int().describe('Accounts the scorecard could not score, left out of the figures'),
    auc: ratio.describe('ROC AUC; null when the rows hold no churner or no stayer'),
    rankedBy: z.enum(['churn_probability', 'health_score']),
    top: z
      .array(
        z.object({
          share: z.number(),
          accounts: z.number().int(),
          churned: z.number().int(),
          precision: z.number(),
          recall: z.number(),
          lift: z.number(),
        }),
      )
      .describe('The riskiest 5, 10 and 20%'),
    calibration: z
      .array(
        z.object({
          band: z.string(),
          accounts: z.number().int(),
          churned: z.number().int(),
          churnRate: z.number(),
          predicted: z.number().nullable(),
        }),
      )
      .describe('Churn by band'),
  })
  .meta({ id: 'BacktestReport' });

export const backtestResponse = exactly<BacktestResult>()(
  z.object({ split: splitSchema, report: backtestReportSchema }).meta({ id: 'Backtest' }),
);

export const historyBacktestResponse = exactly<Answer<Services['churnModel']['backtestStore']>>()(
  z.object({ split: splitSchema, report: backtestReportSchema, asOf: day, horizonDays: z.number().int() }),
);

export const fitResponse = exactly<FitResult>()(
  z
    .object({
      scorecard: scorecardSchema,
      split: splitSchema,
      test: backtestReportSchema.describe('The fitted scorecard on the held-out rows'),
      crossValidatedAuc: ratio,
      interactions: z.array(z.string()).describe('Inputs used only for some accounts, in words'),
      skipped: z.array(z.object({ column: z.string(), reason: z.string() })),
      runs: z.array(z.object({ seed: z.number().int(), auc: ratio, liftTop10: z.number() })),
      meanAuc: ratio,
      applied: z.boolean().describe('Whether it became the live health score'),
    })
    .meta({ id: 'Fit' }),
);

export const scoreRunSchema = exactly<ScoreRun>()(
  z
    .object({
      day,
      scored: z.number().int(),
      withoutData: z.number().int().describe('Accounts with no data for any measure: no score is made up'),
      bandChanges: z.number().int(),
    })
    .meta({ id: 'ScoreRun' }),
);

const bandCount = z.object({
  band: z.string().nullable().describe('null: accounts with no data to score'),
  accounts: z.number().int(),
});

export const scorecardPreviewResponse = exactly<ScorecardPreview>()(
  z
    .object({
      day,
      accounts: z.number().int().describe('Accounts in the book'),
      changed: z.number().int().describe('Accounts whose band would change'),
      live: z.array(bandCount).describe('Accounts per band under the live scorecard, lowest band first'),
      candidate: z.array(bandCount).describe('Accounts per band under the candidate, lowest band first'),
      moves: z
        .array(
          z.object({
            from: z.string().nullable().describe('Band under the live scorecard; null: no score'),
            to: z.string().nullable().describe('Band under the candidate; null: no score'),
            accounts: z.number().int(),
          }),
        )
        .describe('Moves between bands, most accounts first'),
    })
    .meta({ id: 'ScorecardPreview' }),
);

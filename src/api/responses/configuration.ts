// Configuration of the risk process: stages, reasons, settings, detection rules, and the whole of
// it as one exported document. These are the shapes the configuration is written in, so each answer
// is built from the schema it was validated by (with the stored id where there is one).
import { z } from 'zod';
import { detectionRuleSchema, type DetectionRule } from '../../domain/detection';
import type { DetectionBacktest } from '../../services/detection-backtest';
import type { RiskStage } from '../../domain/risk-lifecycle';
import type { RiskReason } from '../../domain/risk-reason';
import { settingsSchema, type RetainSettings } from '../../domain/settings';
import type { Services } from '../../services';
import { configDocumentSchema, type ConfigDocument } from '../../services/config-transfer';
import type { DetectionRun } from '../../services/detection';
import { exactly, id, listOf, type Answer } from './shared';

const { stages, reasons } = configDocumentSchema.shape;

export const riskStageSchema = exactly<RiskStage>()(
  z.object({ id, ...stages.element.shape }).meta({ id: 'RiskStage' }),
);

export const riskStagesResponse = listOf(riskStageSchema);

export const riskReasonSchema = exactly<RiskReason>()(
  z.object({ id, ...reasons.element.shape }).meta({ id: 'RiskReason' }),
);

export const riskReasonsResponse = listOf(riskReasonSchema);

export const settingsResponse = exactly<RetainSettings>()(settingsSchema.meta({ id: 'Settings' }));

export const detectionRuleResponse = exactly<DetectionRule>()(
  detectionRuleSchema.meta({ id: 'DetectionRule' }),
);

export const detectionRulesResponse = listOf(detectionRuleResponse);

export const configDocumentResponse = exactly<ConfigDocument>()(
  configDocumentSchema.meta({ id: 'ConfigDocument' }),
);

export const configImportResponse = exactly<Answer<Services['configTransfer']['import']>>()(
  z
    .object({
      stages: z.number().int(),
      reasons: z.number().int(),
      rules: z.number().int(),
    })
    .describe('How many stages, reasons and detection rules the document held'),
);

export const detectionRunSchema = exactly<DetectionRun>()(
  z
    .object({
      evaluated: z.number().int(),
      fired: z.number().int(),
      casesOpened: z.number().int(),
      casesUpdated: z.number().int(),
      suppressed: z
        .number()
        .int()
        .describe('Firings held back: a CSM closed a case for the same reason within the quiet period'),
      deferred: z
        .number()
        .int()
        .describe('Weak signs that held alone on accounts without an open case: they act once corroborated'),
      recovered: z
        .number()
        .int()
        .describe(
          'Cases detection opened that closed as recovered: every sign behind them stayed clear long enough',
        ),
      cleared: z.number().int(),
      openedCases: z.array(z.number().int()).describe('The ids of the cases this run opened'),
    })
    .meta({ id: 'DetectionRun' }),
);

const share = z.number().nullable().describe('A share from 0 to 1; null when there is nothing to divide by');

const backtestRunSchema = z.object({
  figures: z.object({
    accounts: z.number().int(),
    churners: z.number().int(),
    recallBase: z
      .number()
      .int()
      .describe('Churners whose churn day lies at least 30 days into the replay: what recall divides by'),
    flagged: z.number().int().describe('Accounts the rules would have opened a case for'),
    flaggedChurners: z.number().int(),
    precision: share.describe('Flagged accounts that went on to leave'),
    recall: z
      .object({ 30: share, 60: share, 90: share })
      .describe('Churners with a case opened at least 30, 60 or 90 days before they left'),
    medianLeadDays: z.number().nullable(),
    rightReasonAtOpening: share.describe('Flagged churners whose case opened with a reason they left for'),
    casesOpened: z.number().int(),
    openedAfterChurn: z.number().int(),
    rules: z.array(
      z.object({
        rule: z.string(),
        firings: z.number().int(),
        waitedAlone: z.number().int(),
        onChurners: z.number().int(),
        precision: share.describe('Per firing: the share of its firings on accounts that went on to leave'),
        casesOpened: z.number().int(),
      }),
    ),
  }),
  accountsBehind: z
    .object({
      truePositives: z.array(z.string()),
      falsePositives: z.array(z.string()),
      missed: z.array(z.string()),
      wrongReason: z.array(z.string()),
    })
    .describe('The accounts behind each figure, by external id'),
  cases: z.array(
    z.object({
      account: z.string(),
      openedDay: z.string(),
      rules: z.array(z.string()),
      reasons: z.array(z.string()),
      closedDay: z.string().nullable(),
      outcome: z.enum(['lost', 'recovered']).nullable(),
    }),
  ),
});

export const detectionBacktestResponse = exactly<DetectionBacktest>()(
  z
    .object({
      from: z.string(),
      to: z.string(),
      days: z.number().int(),
      accounts: z.number().int(),
      churned: z.number().int().describe('Accounts that left: cases closed as lost'),
      current: backtestRunSchema.describe('The live rules'),
      candidate: backtestRunSchema.optional().describe('The rules tried, when given'),
      difference: z
        .object({ wouldOpen: z.array(z.string()), wouldNotOpen: z.array(z.string()) })
        .optional()
        .describe('Accounts the tried rules would flag and the live ones not, and the other way round'),
      ms: z.number().int(),
    })
    .meta({ id: 'DetectionBacktest' }),
);

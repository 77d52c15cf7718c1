// Configuration of the risk process: stages, reasons, settings, detection rules, and the whole of
// it as one exported document. These are the shapes the configuration is written in, so each answer
// is built from the schema it was validated by (with the stored id where there is one).
import { z } from 'zod';
import { detectionRuleSchema, type DetectionRule } from '../../domain/detection';
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
      cleared: z.number().int(),
    })
    .meta({ id: 'DetectionRun' }),
);

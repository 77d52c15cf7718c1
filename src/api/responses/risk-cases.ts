// Risk cases: the worklist, one case with its history, weekly updates and the At-Risk Matrix.
import { z } from 'zod';
import { QUADRANTS } from '../../domain/matrix';
import { separationSurveySchema, type CaseAccountFacts, type WeeklyUpdate } from '../../domain/risk-case';
import type { Services } from '../../services';
import type { BulkRowResult } from '../../services/bulk-cases';
import type {
  DescribedAuditEntry,
  RiskCaseDetail,
  RiskCaseView,
  WorklistItem,
} from '../../services/risk-cases';
import { auditEntrySchema } from './accounts';
import {
  WORKLIST_SCOPES,
  WORKLIST_SORTS,
  worklistFiltersSchema,
  type WorklistView,
} from '../../services/worklist-views';
import { day, exactly, id, listOf, timestamp, type Answer } from './shared';

const caseAccountSchema = exactly<CaseAccountFacts>()(
  z.object({
    externalId: z.string(),
    name: z.string(),
    ownerId: id.nullable(),
    ownerEmail: z.string().nullable(),
    teamId: id.nullable(),
    teamName: z.string().nullable(),
    tier: z.string().nullable(),
    arr: z.number(),
    renewalDate: day.nullable(),
  }),
);

const caseView = {
  id,
  accountId: id,
  account: caseAccountSchema,
  stage: z.object({ id, key: z.string(), name: z.string(), isEnd: z.boolean() }),
  status: z.enum(['open', 'closed']),
  source: z.enum(['manual', 'rule']),
  openedAt: timestamp,
  openedByUserId: id.nullable(),
  reasons: z.array(z.object({ key: z.string(), name: z.string(), addedAt: timestamp })),
  matrix: z.object({
    expected: z.boolean().nullable(),
    avoidable: z.boolean().nullable(),
    quadrant: z.enum(QUADRANTS),
  }),
  arrAtRisk: z.number(),
  ltv: z.number(),
  ltvSource: z.enum(['given', 'derived']),
  track: z.enum(['human', 'digital']),
  trackReasons: z.array(z.string()),
  priority: z.number().describe('0-100; higher is worked first'),
  stageEnteredAt: timestamp,
  timeInStageDays: z.number(),
  totalOpenDays: z.number(),
  closedAt: timestamp.nullable(),
  outcome: z.enum(['recovered', 'lost']).nullable(),
  lastUpdateAt: timestamp.nullable(),
  updateOverdue: z.boolean(),
  version: z.number().int().describe('Send it back with a change; 409 VERSION_CONFLICT when it moved on'),
};

export const riskCaseViewSchema = exactly<RiskCaseView>()(z.object(caseView).meta({ id: 'RiskCaseView' }));

export const riskCaseViewsResponse = listOf(riskCaseViewSchema);

export const worklistItemSchema = exactly<WorklistItem>()(
  z
    .object({
      ...caseView,
      health: z.object({ score: z.number(), band: z.string() }).nullable(),
    })
    .meta({ id: 'WorklistItem' }),
);

export const worklistResponse = z
  .object({ total: z.number().int(), items: z.array(worklistItemSchema) })
  .meta({ id: 'Worklist' });

export const weeklyUpdateSchema = exactly<WeeklyUpdate>()(
  z
    .object({
      id,
      caseId: id,
      background: z.string(),
      doneSoFar: z.string(),
      nextSteps: z.string(),
      authorId: id.nullable(),
      authorEmail: z.string().nullable(),
      at: timestamp,
    })
    .meta({ id: 'WeeklyUpdate' }),
);

export const weeklyUpdatesResponse = listOf(weeklyUpdateSchema);

export const riskCaseSchema = exactly<RiskCaseDetail>()(
  z
    .object({
      ...caseView,
      stageTimes: z.array(
        z.object({
          stageId: id,
          key: z.string(),
          name: z.string(),
          isEnd: z.boolean(),
          visits: z.number().int(),
          current: z.boolean(),
          days: z.number(),
        }),
      ),
      stageHistory: z.array(
        z.object({
          from: z.string().nullable(),
          to: z.string(),
          at: timestamp,
          by: z.string().nullable(),
          note: z.string().nullable(),
        }),
      ),
      evidence: z.array(
        z.object({
          id,
          caseId: id,
          ruleKey: z.string(),
          reasonKey: z.string(),
          reasonName: z.string(),
          at: timestamp,
          summary: z.string(),
          details: z.record(z.string(), z.unknown()),
        }),
      ),
      updates: z.array(weeklyUpdateSchema),
      separationSurvey: separationSurveySchema.nullable(),
    })
    .meta({ id: 'RiskCase' }),
);

export const riskMatrixResponse = exactly<{ cells: Answer<Services['riskCases']['matrixSummary']> }>()(
  z
    .object({
      cells: z.array(
        z.object({
          quadrant: z.enum(QUADRANTS),
          cases: z.number().int(),
          arrAtRisk: z.number(),
          ltv: z.number(),
        }),
      ),
    })
    .meta({ id: 'RiskMatrix' }),
);

export const bulkCaseResultsResponse = exactly<{ results: BulkRowResult[] }>()(
  z
    .object({
      results: z.array(
        z.object({
          caseId: id,
          ok: z.boolean(),
          error: z
            .object({ code: z.string(), message: z.string() })
            .optional()
            .describe('Why the row was refused: VERSION_CONFLICT when it changed since it was read'),
        }),
      ),
    })
    .meta({ id: 'BulkCaseResults' }),
);

export const worklistViewSchema = exactly<WorklistView>()(
  z
    .object({
      id,
      name: z.string(),
      scope: z.enum(WORKLIST_SCOPES),
      filters: worklistFiltersSchema,
      sort: z.enum(WORKLIST_SORTS),
      order: z.enum(['asc', 'desc']).nullable(),
      shared: z.boolean().describe("Shared with the owner's team"),
      ownerId: id,
      ownerName: z.string(),
      mine: z.boolean().describe("The caller's own view, theirs to change"),
      createdAt: timestamp,
      updatedAt: timestamp,
    })
    .meta({ id: 'WorklistView' }),
);

export const worklistViewsResponse = listOf(worklistViewSchema);

export const caseAuditEntrySchema = exactly<DescribedAuditEntry>()(
  auditEntrySchema
    .extend({
      title: z.string().describe('The action as a heading ("Stage changed")'),
      actorName: z.string().describe('Who made the change, by name: a person, a play, or Retain'),
      summary: z
        .string()
        .describe(
          'What changed, in words, with stage, reason and rule names (empty when the title says it all)',
        ),
    })
    .meta({ id: 'CaseAuditEntry' }),
);

export const caseAuditResponse = listOf(caseAuditEntrySchema);

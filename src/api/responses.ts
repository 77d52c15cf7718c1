// What the API answers, as zod schemas: the OpenAPI document's response bodies, and what each
// reply is serialised through. Each schema is checked against the service type it describes
// (`exactly`), so a field added to one and not the other fails the build rather than vanishing
// from the answer or the document.
import { z } from 'zod';
import { QUADRANTS } from '../domain/matrix';
import { ROLES } from '../domain/policy';
import { separationSurveySchema } from '../domain/risk-case';
import type { User } from '../domain/user';
import type { RiskCaseDetail, WorklistItem } from '../services/risk-cases';

/** Compiles only when the schema's output and the type have the same fields. */
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
function exactly<T>() {
  return <S extends z.ZodType>(schema: S, ..._check: Same<z.output<S>, T> extends true ? [] : [never]): S =>
    schema;
}

const timestamp = z.string().describe('ISO-8601, UTC');
const day = z.string().describe('YYYY-MM-DD');

export const userSchema = exactly<User>()(
  z
    .object({
      id: z.number().int(),
      email: z.string(),
      name: z.string(),
      role: z.enum(ROLES),
      teamId: z.number().int().nullable(),
      active: z.boolean(),
      createdAt: timestamp,
      updatedAt: timestamp,
    })
    .meta({ id: 'User' }),
);

export const loginResponse = z
  .object({
    user: userSchema,
    csrfToken: z.string().describe('Send it as x-csrf-token on every write with the session cookie'),
    expiresAt: timestamp,
  })
  .meta({ id: 'Login' });

const caseView = {
  id: z.number().int(),
  accountId: z.number().int(),
  account: z.object({
    externalId: z.string(),
    name: z.string(),
    ownerId: z.number().int().nullable(),
    ownerEmail: z.string().nullable(),
    teamId: z.number().int().nullable(),
    teamName: z.string().nullable(),
    tier: z.string().nullable(),
    arr: z.number(),
    renewalDate: day.nullable(),
  }),
  stage: z.object({ id: z.number().int(), key: z.string(), name: z.string(), isEnd: z.boolean() }),
  status: z.enum(['open', 'closed']),
  source: z.enum(['manual', 'rule']),
  openedAt: timestamp,
  openedByUserId: z.number().int().nullable(),
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

export const riskCaseSchema = exactly<RiskCaseDetail>()(
  z
    .object({
      ...caseView,
      stageTimes: z.array(
        z.object({
          stageId: z.number().int(),
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
          id: z.number().int(),
          caseId: z.number().int(),
          ruleKey: z.string(),
          reasonKey: z.string(),
          reasonName: z.string(),
          at: timestamp,
          summary: z.string(),
          details: z.record(z.string(), z.unknown()),
        }),
      ),
      updates: z.array(
        z.object({
          id: z.number().int(),
          caseId: z.number().int(),
          background: z.string(),
          doneSoFar: z.string(),
          nextSteps: z.string(),
          authorId: z.number().int().nullable(),
          authorEmail: z.string().nullable(),
          at: timestamp,
        }),
      ),
      separationSurvey: separationSurveySchema.nullable(),
    })
    .meta({ id: 'RiskCase' }),
);

// Playbooks and tasks: plays and their versions, dry runs, runs, effectiveness, the outbox and the
// task inbox.
import { z } from 'zod';
import {
  playActionSchema,
  playDefinitionSchema,
  playStepSchema,
  type PlayDefinition,
} from '../../domain/playbook';
import type { Services } from '../../services';
import type { ActionResult } from '../../services/case-actions';
import type { DryRun, PlayView } from '../../services/playbooks';
import type { TaskView } from '../../services/tasks';
import type { OutboxRecord, RunRecord, TaskRecord } from '../../store/play.repository';
import { exactly, id, listOf, pageOf, timestamp, type Answer } from './shared';

// A definition as it is read back: the one it was saved as, except that callers who may not edit
// plays see every webhook URL as "[hidden]" (it often holds a token).
const [task, wait, waitUntil, email, webhook, action] = playStepSchema.options;
const shownStep = z.discriminatedUnion('kind', [
  task,
  wait,
  waitUntil,
  email,
  webhook.extend({ url: z.string().describe('"[hidden]" unless the caller may edit plays') }),
  action,
]);

export const playDefinitionResponse = exactly<PlayDefinition>()(
  playDefinitionSchema.extend({ steps: z.array(shownStep) }).meta({ id: 'PlayDefinition' }),
);

export const playSchema = exactly<PlayView>()(
  z
    .object({
      id,
      key: z.string(),
      name: z.string(),
      description: z.string().nullable(),
      active: z.boolean(),
      definitionVersion: z
        .number()
        .int()
        .describe('The definition’s version; runs record the one they began on'),
      definition: playDefinitionResponse,
      createdAt: timestamp,
      updatedAt: timestamp,
      version: z.number().int().describe('Send it back with a change; 409 VERSION_CONFLICT when it moved on'),
    })
    .meta({ id: 'Play' }),
);

export const playsResponse = listOf(playSchema);

export const playVersionsResponse = listOf(
  exactly<Answer<Services['playbooks']['versions']>[number]>()(
    z.object({ version: z.number().int(), definition: playDefinitionResponse, createdAt: timestamp }),
  ),
);

export const dryRunSchema = exactly<DryRun>()(
  z
    .object({
      playId: id,
      total: z.number().int(),
      treated: z.number().int(),
      holdout: z.number().int(),
      alreadyInPlay: z.number().int(),
      accounts: z
        .array(
          z.object({ id, externalId: z.string(), name: z.string(), cohort: z.enum(['treated', 'holdout']) }),
        )
        .describe('The first 100'),
    })
    .meta({ id: 'PlayDryRun' }),
);

export const RUN_STATUSES = [
  'running',
  'waiting',
  'waiting_task',
  'completed',
  'cancelled',
  'failed',
  'held_out',
] as const;

const run = {
  id,
  playId: id,
  playVersion: z.number().int(),
  accountId: id,
  caseId: id.nullable(),
  triggerKey: z.string(),
  cohort: z.enum(['treated', 'holdout']),
  status: z.enum(RUN_STATUSES),
  stepIndex: z.number().int(),
  stepStartedAt: timestamp.nullable(),
  wakeAt: timestamp.nullable(),
  attempts: z.number().int(),
  lastError: z.string().nullable(),
  healthAtStart: z.number().nullable(),
  startedAt: timestamp,
  finishedAt: timestamp.nullable(),
};

export const playRunSchema = exactly<RunRecord>()(z.object(run).meta({ id: 'PlayRun' }));

export const playRunsResponse = pageOf(playRunSchema);

const cohortSchema = z.object({
  entered: z.number().int(),
  closed: z.number().int(),
  recovered: z.number().int(),
  lost: z.number().int(),
  saveRate: z.number().nullable().describe('Recovered / closed'),
  churnRate: z.number().nullable().describe('Lost / entered'),
  healthMeasured: z.number().int(),
  meanHealthChange30: z.number().nullable(),
});

const verdict = z.enum(['helps', 'hurts', 'no_measurable_difference', 'too_small_to_tell']);

const comparisonSchema = z.object({
  difference: z.number().nullable().describe('Treated minus holdout'),
  ci95: z.tuple([z.number(), z.number()]).nullable(),
  verdict,
  explanation: z.string(),
});

export const playEffectivenessResponse = exactly<Answer<Services['playbooks']['effectiveness']>>()(
  z
    .object({
      playId: id,
      treated: cohortSchema,
      holdout: cohortSchema,
      saveRate: comparisonSchema,
      churnRate: comparisonSchema,
      healthChange30: comparisonSchema,
      verdict,
      summary: z.string(),
    })
    .meta({ id: 'PlayEffectiveness' }),
);

export const outboxMessageSchema = exactly<OutboxRecord>()(
  z
    .object({
      id,
      key: z.string(),
      kind: z.enum(['email', 'webhook']),
      runId: id.nullable(),
      accountId: id,
      payload: z.record(z.string(), z.unknown()),
      status: z.string().describe('pending, sending, sent, failed, unconfirmed or undeliverable'),
      attempts: z.number().int(),
      sentAt: timestamp.nullable(),
      lastError: z.string().nullable(),
      createdAt: timestamp,
    })
    .meta({ id: 'OutboxMessage' }),
);

export const outboxResponse = listOf(outboxMessageSchema);

const taskRecord = {
  id,
  runId: id.nullable(),
  stepIndex: z.number().int().nullable(),
  playKey: z.string().nullable(),
  playName: z.string().nullable(),
  accountId: id,
  accountExternalId: z.string(),
  accountName: z.string(),
  accountOwnerId: id.nullable(),
  accountTeamId: id.nullable(),
  caseId: id.nullable(),
  caseStage: z.string().nullable(),
  assigneeId: id.nullable(),
  assigneeEmail: z.string().nullable(),
  title: z.string(),
  description: z.string(),
  dueAt: timestamp,
  status: z.enum(['open', 'done', 'cancelled']),
  actions: z.array(z.unknown()).describe('The case actions that run or are offered on completion'),
  actionsMode: z.enum(['automatic', 'offered']).nullable(),
  applied: z.array(z.unknown()).nullable(),
  note: z.string().nullable(),
  createdAt: timestamp,
  completedAt: timestamp.nullable(),
};

const taskRecordSchema = exactly<TaskRecord>()(z.object(taskRecord));

export const playRunDetailResponse = exactly<Answer<Services['playbooks']['run']>>()(
  z
    .object({
      ...run,
      steps: z.array(
        z.object({ stepIndex: z.number().int(), kind: z.string(), at: timestamp, result: z.unknown() }),
      ),
      messages: z.array(outboxMessageSchema),
      tasks: z.array(taskRecordSchema),
    })
    .meta({ id: 'PlayRunDetail' }),
);

export const taskSchema = exactly<TaskView>()(
  z.object({ ...taskRecord, overdue: z.boolean() }).meta({ id: 'Task' }),
);

export const tasksResponse = pageOf(taskSchema);

const actionResultSchema = exactly<ActionResult>()(
  z.object({
    action: playActionSchema,
    description: z.string(),
    result: z
      .enum(['applied', 'already_done', 'no_open_case', 'last_reason_kept', 'stage_retired'])
      .describe('applied, or why nothing changed'),
    caseId: id.nullable(),
  }),
);

export const completedTaskResponse = exactly<Answer<Services['tasks']['complete']>>()(
  z.object({ ...taskRecord, overdue: z.boolean(), results: z.array(actionResultSchema) }),
);

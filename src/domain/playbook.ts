// Playbooks: a play is a trigger, conditions on the account, and steps (tasks, waits, emails,
// webhooks, case actions). A run walks the steps of the play version it started on, one at a time;
// this module decides what a run does next and holds no I/O.
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { parseFilter } from './segment-filter';

const key = z.string().regex(/^[a-z0-9_]{1,64}$/, 'lower-case letters, digits and _');
const text = (max: number) => z.string().trim().min(1).max(max);

export const playTriggerSchema = z.discriminatedUnion('kind', [
  /** A risk case opened, optionally only for some reasons or by detection vs by hand. */
  z
    .object({
      kind: z.literal('case_opened'),
      reasons: z.array(key).max(20).optional(),
      source: z.enum(['rule', 'manual']).optional(),
    })
    .strict(),
  z.object({ kind: z.literal('reason_added'), reason: key }).strict(),
  z.object({ kind: z.literal('stage_changed'), to: key }).strict(),
  z.object({ kind: z.literal('segment_entered'), segment: key }).strict(),
  z.object({ kind: z.literal('segment_left'), segment: key }).strict(),
  z.object({ kind: z.literal('signal_rule_fired'), rule: key }).strict(),
  /** A touchpoint logged whose reason matches (ignoring case), e.g. "Risk". */
  z.object({ kind: z.literal('touchpoint_logged'), reason: text(200) }).strict(),
  /** Every N days, each account matching the play's conditions starts one run. */
  z.object({ kind: z.literal('schedule'), everyDays: z.number().int().min(1).max(365) }).strict(),
]);
export type PlayTrigger = z.infer<typeof playTriggerSchema>;
export type PlayTriggerKind = PlayTrigger['kind'];

export const playActionSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('set_stage'), stage: key }).strict(),
  z.object({ kind: z.literal('add_reason'), reason: key }).strict(),
  z.object({ kind: z.literal('remove_reason'), reason: key }).strict(),
  z.object({ kind: z.literal('close'), outcome: z.enum(['recovered', 'lost']) }).strict(),
]);
export type PlayAction = z.infer<typeof playActionSchema>;

export const assigneeSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('account_owner') }).strict(),
  z.object({ kind: z.literal('team_lead') }).strict(),
  z.object({ kind: z.literal('role'), role: z.enum(['admin', 'lead', 'csm']) }).strict(),
  z.object({ kind: z.literal('user'), email: z.email() }).strict(),
]);
export type TaskAssignee = z.infer<typeof assigneeSchema>;

const filterText = z
  .string()
  .min(1)
  .max(4000)
  .superRefine((value, ctx) => {
    try {
      parseFilter(value);
    } catch (error) {
      ctx.addIssue({ code: 'custom', message: error instanceof Error ? error.message : String(error) });
    }
  });

export const playStepSchema = z.discriminatedUnion('kind', [
  z
    .object({
      kind: z.literal('task'),
      title: text(200),
      description: z.string().max(4000).default(''),
      dueInDays: z.number().int().min(0).max(365),
      assignee: assigneeSchema,
      /** Run when the task is completed: always (`automatic`) or as offers the assignee accepts. */
      onComplete: z
        .object({ mode: z.enum(['automatic', 'offered']), actions: z.array(playActionSchema).min(1).max(10) })
        .strict()
        .optional(),
      /** Hold the run until the task is done (the next steps depend on it). */
      waitForCompletion: z.boolean().default(false),
    })
    .strict(),
  z.object({ kind: z.literal('wait'), days: z.number().int().min(1).max(365) }).strict(),
  /** Wait until the account matches a filter, re-checked daily, for at most `timeoutDays`. */
  z
    .object({
      kind: z.literal('wait_until'),
      condition: filterText,
      timeoutDays: z.number().int().min(1).max(365),
    })
    .strict(),
  z
    .object({
      kind: z.literal('email'),
      to: z.enum(['contacts', 'champion', 'owner']),
      subject: text(300),
      body: text(20_000),
    })
    .strict(),
  /**
   * Posts `{"text": ..., "blocks": [...]}` (what Slack incoming webhooks take) to the URL: `text` is
   * the notification's fallback, `blocks` optional Block Kit. Values filled into either are escaped
   * by Slack's rules. Where it may point is checked against the outbound rules when the play is
   * saved and again when the call is sent.
   */
  z
    .object({
      kind: z.literal('webhook'),
      url: z.url().max(2000),
      text: text(4000),
      blocks: z
        .array(z.looseObject({ type: z.string().min(1).max(50) }))
        .max(50)
        .refine((blocks) => JSON.stringify(blocks).length <= 20_000, {
          message: 'blocks are at most 20,000 characters as JSON',
        })
        .optional(),
    })
    .strict(),
  /** A case action with no human step, for digital plays. */
  z.object({ kind: z.literal('action'), action: playActionSchema }).strict(),
]);
export type PlayStep = z.infer<typeof playStepSchema>;

/** What a play does; each saved edit becomes a new version, and runs keep the version they began on. */
export const playDefinitionSchema = z
  .object({
    trigger: playTriggerSchema,
    /** A segment filter the account must match when the run would start (and, for schedules, each period). */
    conditions: filterText.nullable().default(null),
    steps: z.array(playStepSchema).min(1).max(30),
    /** Percent of entering accounts held back as a control group (stable per account). */
    holdoutPercent: z.number().min(0).max(50).default(0),
  })
  .strict();
export type PlayDefinition = z.infer<typeof playDefinitionSchema>;
export type PlayDefinitionInput = z.input<typeof playDefinitionSchema>;

/** What people who may not edit plays see instead of a webhook URL (it often holds a token). */
export const HIDDEN_URL = '[hidden]';

/** The definition with every webhook URL hidden. */
export function withUrlsHidden(definition: PlayDefinition): PlayDefinition {
  return {
    ...definition,
    steps: definition.steps.map((step) => (step.kind === 'webhook' ? { ...step, url: HIDDEN_URL } : step)),
  };
}

/** Something that happened that a play may start on; recorded in the same transaction as the change. */
export type PlayEvent =
  | { kind: 'case_opened'; accountId: number; caseId: number; reasons: string[]; source: string }
  | { kind: 'reason_added'; accountId: number; caseId: number; reason: string }
  | { kind: 'stage_changed'; accountId: number; caseId: number; from: string; to: string }
  | { kind: 'segment_entered'; accountId: number; segment: string }
  | { kind: 'segment_left'; accountId: number; segment: string }
  | { kind: 'signal_rule_fired'; accountId: number; caseId: number | null; rule: string }
  | { kind: 'touchpoint_logged'; accountId: number; reason: string };

/** Whether an event starts a run of a play with this trigger. */
export function triggerMatches(trigger: PlayTrigger, event: PlayEvent): boolean {
  switch (trigger.kind) {
    case 'case_opened':
      return (
        event.kind === 'case_opened' &&
        (trigger.source === undefined || trigger.source === event.source) &&
        (trigger.reasons === undefined ||
          trigger.reasons.length === 0 ||
          trigger.reasons.some((reason) => event.reasons.includes(reason)))
      );
    case 'reason_added':
      return event.kind === 'reason_added' && event.reason === trigger.reason;
    case 'stage_changed':
      return event.kind === 'stage_changed' && event.to === trigger.to;
    case 'segment_entered':
      return event.kind === 'segment_entered' && event.segment === trigger.segment;
    case 'segment_left':
      return event.kind === 'segment_left' && event.segment === trigger.segment;
    case 'signal_rule_fired':
      return event.kind === 'signal_rule_fired' && event.rule === trigger.rule;
    case 'touchpoint_logged':
      return (
        event.kind === 'touchpoint_logged' &&
        event.reason.trim().toLowerCase() === trigger.reason.trim().toLowerCase()
      );
    case 'schedule':
      return false;
    default:
      return assertNever(trigger);
  }
}

/**
 * Stable control-group assignment: the same account and play always land in the same group, and
 * about `percent` of accounts are held out.
 */
export function isHeldOut(playKey: string, accountId: number, percent: number): boolean {
  if (percent <= 0) return false;
  const digest = createHash('sha256').update(`${playKey}:${accountId}`).digest();
  const unit = digest.readUInt32BE(0) / 2 ** 32;
  return unit * 100 < percent;
}

/** The schedule period `now` falls in; a run per account per period. */
export function schedulePeriod(everyDays: number, now: Date): number {
  return Math.floor(now.getTime() / (everyDays * 86_400_000));
}

/** Fills `{{account.name}}`-style fields; unknown fields are left visible so a bad template shows. */
export function renderTemplate(
  template: string,
  fields: Readonly<Record<string, string>>,
  escape: (value: string) => string = (value) => value,
): string {
  return template.replace(/\{\{\s*([a-z_.]+)\s*\}\}/gi, (whole, name: string) =>
    Object.hasOwn(fields, name) ? escape(fields[name] ?? whole) : whole,
  );
}

/**
 * A value placed in Slack text: `&`, `<` and `>` escaped as Slack asks, so an account named
 * `<!channel>` or `<https://x|click>` is shown, never acted on.
 */
export const slackEscape = (value: string): string =>
  value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/**
 * A webhook step's body: the text and the Block Kit blocks with the fields filled in, escaped by
 * Slack's rules except in `plain_text` objects, which Slack shows as they are.
 */
export function webhookBody(
  step: { text: string; blocks?: Record<string, unknown>[] | undefined },
  fields: Readonly<Record<string, string>>,
): Record<string, unknown> {
  const fill = (value: unknown, plain: boolean): unknown => {
    if (typeof value === 'string') return renderTemplate(value, fields, plain ? undefined : slackEscape);
    if (Array.isArray(value)) return value.map((item) => fill(item, plain));
    if (typeof value !== 'object' || value === null) return value;
    const isPlain = (value as { type?: unknown }).type === 'plain_text';
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, fill(item, isPlain)]));
  };
  return {
    text: renderTemplate(step.text, fields, slackEscape),
    ...(step.blocks && { blocks: fill(step.blocks, false) }),
  };
}

export type RunStatus =
  'running' | 'waiting' | 'waiting_task' | 'completed' | 'cancelled' | 'failed' | 'held_out';

/** Where a run goes after finishing step `index` at `now`. */
export function afterStep(
  steps: readonly PlayStep[],
  index: number,
  now: Date,
): { stepIndex: number; status: RunStatus; wakeAt: string | null } {
  const step = steps[index];
  const next = index + 1;
  const done = next >= steps.length;
  if (step?.kind === 'wait')
    return { stepIndex: next, status: done ? 'completed' : 'waiting', wakeAt: addDays(now, step.days) };
  if (step?.kind === 'task' && step.waitForCompletion)
    return { stepIndex: index, status: 'waiting_task', wakeAt: null };
  return { stepIndex: next, status: done ? 'completed' : 'running', wakeAt: done ? null : now.toISOString() };
}

export function addDays(at: Date, days: number): string {
  return new Date(at.getTime() + days * 86_400_000).toISOString();
}

/** Human words for an action, for task pages and audit entries. */
export function describeAction(action: PlayAction): string {
  switch (action.kind) {
    case 'set_stage':
      return `Move the case to ${action.stage}`;
    case 'add_reason':
      return `Add the reason ${action.reason}`;
    case 'remove_reason':
      return `Remove the reason ${action.reason}`;
    case 'close':
      return `Close the case as ${action.outcome}`;
    default:
      return assertNever(action);
  }
}

function assertNever(value: never): never {
  throw new Error(`unexpected ${JSON.stringify(value)}`);
}

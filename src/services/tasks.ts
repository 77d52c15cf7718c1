// The task inbox: what each person has to do (due today, overdue, open, done), with the account
// and case in view. Completing a task applies its post-completion actions (the automatic ones, and
// the offered ones the assignee accepts) and lets a run waiting on the task go on.
import { z } from 'zod';
import { AppError } from '../domain/errors';
import { playActionSchema, type PlayAction } from '../domain/playbook';
import { can, type Actor } from '../domain/policy';
import { AuditRepository } from '../store/audit.repository';
import { PlayRepository, type TaskRecord } from '../store/play.repository';
import type { ActionResult, CaseActions } from './case-actions';
import { inTransaction, type ServiceContext } from './context';
import { validationFailed } from './json-config';

const completion = z
  .object({
    /** Indexes of offered actions the assignee accepts. */
    accept: z.array(z.number().int().min(0).max(20)).max(20).default([]),
    note: z.string().max(4000).optional(),
  })
  .strict();

export type TaskState = 'open' | 'due' | 'overdue' | 'done' | 'all';

export interface TaskView extends TaskRecord {
  overdue: boolean;
}

export class TaskService {
  constructor(
    private readonly context: ServiceContext,
    private readonly actions: CaseActions,
  ) {}

  /** Someone's tasks: their own by default; leads may look at their team, admins at anyone. */
  async inbox(
    actor: Actor,
    query: {
      assignee?: 'me' | 'unassigned' | number;
      teamId?: number;
      accountId?: number;
      state?: TaskState;
    },
    page: { limit: number; offset: number },
  ): Promise<{ total: number; items: TaskView[] }> {
    const now = this.context.clock.now();
    const assigneeId =
      query.assignee === undefined || query.assignee === 'me'
        ? query.accountId !== undefined || query.teamId !== undefined
          ? undefined
          : (actor.userId ?? undefined)
        : query.assignee === 'unassigned'
          ? null
          : query.assignee;
    const result = await new PlayRepository(this.context.store.db).tasks(
      { assigneeId, teamId: query.teamId, accountId: query.accountId, state: query.state },
      now,
      page.limit,
      page.offset,
    );
    return { total: result.total, items: result.items.map((task) => withOverdue(task, now)) };
  }

  async get(id: number): Promise<TaskView> {
    const task = await new PlayRepository(this.context.store.db).findTask(id);
    if (!task) throw new AppError('TASK_NOT_FOUND', `No task ${id}.`, { taskId: id });
    return withOverdue(task, this.context.clock.now());
  }

  /**
   * Marks a task done as the actor. Actions run first and are idempotent, so a retried completion
   * after a failure never applies one twice; then the task closes and a waiting run moves on.
   */
  async complete(actor: Actor, id: number, input: unknown): Promise<TaskView & { results: ActionResult[] }> {
    const parsed = completion.safeParse(input ?? {});
    if (!parsed.success) throw validationFailed(parsed.error, 'completion');
    const repo = new PlayRepository(this.context.store.db);
    const task = await repo.findTask(id);
    if (!task) throw new AppError('TASK_NOT_FOUND', `No task ${id}.`, { taskId: id });
    const mayComplete =
      (actor.userId !== null && task.assigneeId === actor.userId) ||
      can(actor, 'case.write', { ownerId: task.accountOwnerId, teamId: task.accountTeamId });
    if (!mayComplete)
      throw new AppError(
        'FORBIDDEN',
        'Only the assignee, their team lead or an admin may complete this task.',
        {
          permission: 'task.complete',
        },
      );
    if (task.status !== 'open')
      throw new AppError('TASK_ALREADY_DONE', `Task ${id} is already ${task.status}.`, {
        taskId: id,
        status: task.status,
      });
    const actions = z.array(playActionSchema).parse(task.actions);
    for (const index of parsed.data.accept)
      if (task.actionsMode !== 'offered' || index >= actions.length)
        throw new AppError('VALIDATION_FAILED', `accept.${index}: the task offers no action ${index}.`, {
          field: 'accept',
        });
    const chosen: PlayAction[] =
      task.actionsMode === 'automatic'
        ? actions
        : parsed.data.accept.flatMap((index) => actions[index] ?? []);
    const results: ActionResult[] = [];
    for (const action of chosen)
      results.push(await this.actions.apply(actor, task.accountId, task.caseId, action));
    const now = this.context.clock.now();
    await inTransaction(this.context, async (db) => {
      const tx = new PlayRepository(db);
      const closed = await tx.completeTask(
        id,
        { userId: actor.userId, applied: results, note: parsed.data.note ?? null },
        now,
      );
      if (!closed)
        throw new AppError('TASK_ALREADY_DONE', `Task ${id} was completed meanwhile.`, { taskId: id });
      await new AuditRepository(db).append(actor, now, [
        {
          entityType: 'task',
          entityId: id,
          accountId: task.accountId,
          action: 'completed',
          changes: {
            title: task.title,
            applied: results.map((result) => ({ action: result.description, result: result.result })),
            ...(parsed.data.note && { note: parsed.data.note }),
          },
        },
      ]);
      if (task.runId !== null && task.stepIndex !== null) {
        const run = await tx.findRun(task.runId);
        if (run && run.status === 'waiting_task' && run.stepIndex === task.stepIndex)
          await tx.updateRun(run.id, null, {
            status: 'running',
            stepIndex: run.stepIndex + 1,
            stepStartedAt: now.toISOString(),
            wakeAt: now.toISOString(),
          });
      }
    });
    return { ...(await this.get(id)), results };
  }
}

function withOverdue(task: TaskRecord, now: Date): TaskView {
  return { ...task, overdue: task.status === 'open' && task.dueAt < now.toISOString() };
}

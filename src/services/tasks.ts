// The task inbox: what each person has to do (due today, overdue, open, done), with the account
// and case in view. Completing a task applies its post-completion actions (the automatic ones, and
// the offered ones the assignee accepts) and lets a run waiting on the task go on.
import { z } from 'zod';
import { AppError } from '../domain/errors';
import { addDays, playActionSchema, type PlayAction } from '../domain/playbook';
import { assertCan, can, type Actor } from '../domain/policy';
import { AccountRepository } from '../store/account.repository';
import { AuditRepository } from '../store/audit.repository';
import { PlayRepository, type TaskRecord } from '../store/play.repository';
import { UserRepository } from '../store/user.repository';
import type { ActionResult, CaseActions } from './case-actions';
import { inTransaction, type ServiceContext } from './context';
import { validationFailed } from './json-config';
import { notifyIn, taskNotification } from './notifications';

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

/** A task a person gives someone by hand, on an account (and its open case, if it has one). */
export interface NewTaskInput {
  accountId: number;
  assigneeId: number;
  title: string;
  description?: string;
  dueInDays: number;
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

  /**
   * Gives a task to someone on an account the actor may work on; the assignee is notified in the
   * same transaction.
   */
  async create(actor: Actor, input: NewTaskInput): Promise<TaskView> {
    const db = this.context.store.db;
    const [account, assignee] = await Promise.all([
      new AccountRepository(db).findById(input.accountId),
      new UserRepository(db).findUser(input.assigneeId),
    ]);
    if (!account)
      throw new AppError('ACCOUNT_NOT_FOUND', `No account ${input.accountId}.`, {
        accountId: input.accountId,
      });
    assertCan(actor, 'case.write', account);
    if (!assignee || !assignee.active)
      throw new AppError('VALIDATION_FAILED', `assigneeId: no active user ${input.assigneeId}.`, {
        field: 'assigneeId',
      });
    const now = this.context.clock.now();
    const id = await inTransaction(this.context, async (tx) => {
      const repo = new PlayRepository(tx);
      const caseId = (await repo.openCases([account.id])).get(account.id) ?? null;
      const task = {
        runId: null,
        stepIndex: null,
        accountId: account.id,
        caseId,
        assigneeId: assignee.id,
        title: input.title,
        description: input.description ?? '',
        dueAt: addDays(now, input.dueInDays),
        actions: [],
        actionsMode: null,
      };
      const taskId = await repo.insertTask(task, now);
      if (taskId === null) throw new Error('the task was not written');
      await new AuditRepository(tx).append(actor, now, [
        {
          entityType: 'task',
          entityId: taskId,
          accountId: account.id,
          action: 'created',
          changes: { title: task.title, assigneeId: assignee.id, dueAt: task.dueAt },
        },
      ]);
      // Giving yourself a task needs no notice.
      if (assignee.id !== actor.userId)
        await notifyIn(
          tx,
          actor,
          now,
          taskNotification({
            taskId,
            title: task.title,
            assigneeId: assignee.id,
            accountId: account.id,
            accountName: account.name,
            caseId,
          }),
        );
      return taskId;
    });
    return this.get(id);
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

// The in-app inbox: a case opened on your account, a weekly update gone overdue on your case, a task
// for you, a play waiting on you. Notifications are written in the transaction of the event that
// raises them, keyed so that a retried or replayed event notifies once, and announced on the change
// feed to their user only (an audit entry about the user's inbox, naming no content).
// The daily run raises the overdue ones (once per case per overdue period: the period starts at
// the case's last update) and deletes read notifications older than 90 days.
import type { Kysely } from 'kysely';
import { AppError } from '../domain/errors';
import { SYSTEM_ACTOR, type Actor } from '../domain/policy';
import type { CaseSource } from '../domain/risk-case';
import type { RiskReason } from '../domain/risk-reason';
import { AuditRepository } from '../store/audit.repository';
import {
  NotificationRepository,
  type NewNotification,
  type Notification,
  type NotificationKind,
} from '../store/notification.repository';
import type { Database } from '../store/schema';
import { UserRepository } from '../store/user.repository';
import { inTransaction, type ServiceContext } from './context';
import type { RiskConfigService } from './risk-config';

export type { Notification, NotificationKind };

/** Read notifications are kept this long, then the daily run deletes them. */
export const READ_NOTIFICATION_DAYS = 90;
const DAY_MS = 86_400_000;

/** The change-feed entity a user's inbox appears as; its id is the user's, so streams can filter. */
export const NOTIFICATION_ENTITY = 'notification';

export interface NotificationInbox {
  total: number;
  unread: number;
  items: Notification[];
}

/**
 * Writes notifications inside the caller's transaction and announces each user's new ones on the
 * change feed. Returns how many were new.
 */
export async function notifyIn(
  db: Kysely<Database>,
  actor: Actor,
  now: Date,
  notifications: readonly NewNotification[],
): Promise<number> {
  if (notifications.length === 0) return 0;
  const written = await new NotificationRepository(db).insert(notifications, now);
  await announce(db, actor, now, written, 'created');
  return written.length;
}

async function announce(
  db: Kysely<Database>,
  actor: Actor,
  now: Date,
  written: readonly { id: number | 'all'; userId: number }[],
  action: 'created' | 'read',
): Promise<void> {
  const byUser = new Map<number, (number | 'all')[]>();
  for (const { id, userId } of written) byUser.set(userId, [...(byUser.get(userId) ?? []), id]);
  await new AuditRepository(db).append(
    actor,
    now,
    [...byUser].map(([userId, ids]) => ({
      entityType: NOTIFICATION_ENTITY,
      entityId: userId,
      // Not about an account: an account's timeline must not show someone's inbox.
      accountId: null,
      action,
      changes: { notifications: ids },
    })),
  );
}

/** The notification for a new case, to the account's owner unless they opened it themselves. */
export async function caseOpenedNotification(
  db: Kysely<Database>,
  actor: Actor,
  facts: {
    caseId: number;
    account: { id: number; name: string; ownerId: number | null };
    reasons: readonly RiskReason[];
    source: CaseSource;
  },
): Promise<NewNotification[]> {
  const { account, caseId, reasons, source } = facts;
  if (account.ownerId === null) return [];
  if (source === 'manual' && actor.userId === account.ownerId) return [];
  const by =
    source === 'manual'
      ? actor.userId !== null
        ? ((await new UserRepository(db).findUser(actor.userId))?.name ?? actor.label)
        : actor.label === SYSTEM_ACTOR.label
          ? 'Retain'
          : actor.label
      : 'Detection';
  const names = reasons.map((reason) => reason.name).join(', ');
  return [
    {
      userId: account.ownerId,
      kind: 'case_opened',
      key: `case_opened:${caseId}`,
      title: `New risk case on ${account.name}`,
      summary: `${by} opened it${names ? `: ${names}` : ''}.`,
      accountId: account.id,
      caseId,
      taskId: null,
    },
  ];
}

/** The notification for a task given to someone: by a person, or by a play (waiting on it or not). */
export function taskNotification(task: {
  taskId: number;
  title: string;
  assigneeId: number | null;
  accountId: number;
  accountName: string;
  caseId: number | null;
  play?: { name: string; waits: boolean };
}): NewNotification[] {
  if (task.assigneeId === null) return [];
  const base = {
    userId: task.assigneeId,
    key: `task:${task.taskId}`,
    accountId: task.accountId,
    caseId: task.caseId,
    taskId: task.taskId,
  };
  const { play } = task;
  if (play?.waits)
    return [
      {
        ...base,
        kind: 'play_needs_you',
        title: `The play ${play.name} needs you on ${task.accountName}`,
        summary: `${task.title}. The play goes on when you complete this task.`,
      },
    ];
  return [
    {
      ...base,
      kind: 'task_assigned',
      title: `New task on ${task.accountName}`,
      summary: play ? `${task.title}, from the play ${play.name}.` : `${task.title}.`,
    },
  ];
}

export class NotificationService {
  constructor(
    private readonly context: ServiceContext,
    private readonly config: RiskConfigService,
  ) {}

  /** The caller's own notifications, newest first; `unread` counts all their unread ones. */
  async inbox(
    actor: Actor,
    query: { unread?: boolean },
    page: { limit: number; offset: number },
  ): Promise<NotificationInbox> {
    if (actor.userId === null) return { total: 0, unread: 0, items: [] };
    return new NotificationRepository(this.context.store.db).inboxOf(
      actor.userId,
      { unreadOnly: query.unread === true },
      page.limit,
      page.offset,
    );
  }

  /** Marks one of the caller's notifications read; another's is not found, so ids tell nothing. */
  async markRead(actor: Actor, id: number): Promise<{ id: number; readAt: string }> {
    const now = this.context.clock.now();
    const readAt = await inTransaction(this.context, async (db) => {
      const repo = new NotificationRepository(db);
      if (actor.userId === null || !(await repo.markRead(actor.userId, id, now))) return null;
      await announce(db, actor, now, [{ id, userId: actor.userId }], 'read');
      return (await repo.readAtOf(id)) ?? now.toISOString();
    });
    if (readAt === null)
      throw new AppError('NOTIFICATION_NOT_FOUND', `No notification ${id}.`, { notificationId: id });
    return { id, readAt };
  }

  /** Marks all the caller's notifications read; returns how many were unread. */
  async markAllRead(actor: Actor): Promise<{ marked: number }> {
    const userId = actor.userId;
    if (userId === null) return { marked: 0 };
    const now = this.context.clock.now();
    return inTransaction(this.context, async (db) => {
      const marked = await new NotificationRepository(db).markAllRead(userId, now);
      if (marked > 0) await announce(db, actor, now, [{ id: 'all', userId }], 'read');
      return { marked };
    });
  }

  /**
   * Notifies each case owner whose weekly update is overdue: once per overdue period, however
   * often it runs. Returns how many notifications were new.
   */
  async raiseOverdueUpdates(actor: Actor): Promise<number> {
    const now = this.context.clock.now();
    const { updateOverdueDays } = await this.config.settings();
    const cutoff = new Date(now.getTime() - updateOverdueDays * DAY_MS);
    return inTransaction(this.context, async (db) => {
      const stale = await new NotificationRepository(db).casesUpdatedBefore(cutoff);
      return notifyIn(
        db,
        actor,
        now,
        stale.map((item) => {
          return {
            userId: item.ownerId,
            kind: 'update_overdue',
            key: `update_overdue:${item.caseId}:${item.since}`,
            title: `Weekly update overdue on ${item.accountName}`,
            summary: `No weekly update for more than ${updateOverdueDays} days.`,
            accountId: item.accountId,
            caseId: item.caseId,
            taskId: null,
          };
        }),
      );
    });
  }

  /** Deletes read notifications older than 90 days; returns how many. */
  async prune(): Promise<number> {
    const now = this.context.clock.now();
    return new NotificationRepository(this.context.store.db).deleteReadBefore(
      new Date(now.getTime() - READ_NOTIFICATION_DAYS * DAY_MS),
    );
  }
}

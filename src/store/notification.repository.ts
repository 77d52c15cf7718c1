// Notifications: each user's inbox, newest first, read or unread. A notification's key is unique
// per user, so writing the same event twice leaves one.
import type { Kysely } from 'kysely';
import type { Database } from './schema';

export type NotificationKind = 'case_opened' | 'update_overdue' | 'task_assigned' | 'play_needs_you';

export interface NewNotification {
  userId: number;
  kind: NotificationKind;
  /** Names the event: a second notification with the same key for the same user is not written. */
  key: string;
  title: string;
  summary: string;
  accountId: number | null;
  caseId: number | null;
  taskId: number | null;
}

export interface Notification {
  id: number;
  kind: NotificationKind;
  title: string;
  summary: string;
  accountId: number | null;
  accountName: string | null;
  caseId: number | null;
  taskId: number | null;
  createdAt: string;
  readAt: string | null;
}

/** An open case whose last weekly update (or opening, if none) is older than a cutoff. */
export interface StaleCase {
  caseId: number;
  accountId: number;
  accountName: string;
  ownerId: number;
  /** When the case was last updated, or opened if never: the start of its overdue period. */
  since: string;
}

const CHUNK = 500;

export class NotificationRepository {
  constructor(private readonly db: Kysely<Database>) {}

  /** Writes the notifications not written before; returns the new ones' ids and users. */
  async insert(
    notifications: readonly NewNotification[],
    now: Date,
  ): Promise<{ id: number; userId: number; kind: NotificationKind }[]> {
    const written: { id: number; userId: number; kind: NotificationKind }[] = [];
    for (let start = 0; start < notifications.length; start += CHUNK) {
      const rows = await this.db
        .insertInto('notifications')
        .values(
          notifications.slice(start, start + CHUNK).map((notification) => ({
            user_id: notification.userId,
            kind: notification.kind,
            dedupe_key: notification.key,
            title: notification.title,
            summary: notification.summary,
            account_id: notification.accountId,
            case_id: notification.caseId,
            task_id: notification.taskId,
            created_at: now.toISOString(),
            read_at: null,
          })),
        )
        .onConflict((conflict) => conflict.columns(['user_id', 'dedupe_key']).doNothing())
        .returning(['id', 'user_id', 'kind'])
        .execute();
      for (const row of rows)
        written.push({ id: row.id, userId: row.user_id, kind: row.kind as NotificationKind });
    }
    return written;
  }

  /** One user's notifications, newest first, with how many match and how many are unread. */
  async inboxOf(
    userId: number,
    filter: { unreadOnly: boolean },
    limit: number,
    offset: number,
  ): Promise<{ total: number; unread: number; items: Notification[] }> {
    let query = this.db.selectFrom('notifications as n').where('n.user_id', '=', userId);
    if (filter.unreadOnly) query = query.where('n.read_at', 'is', null);
    const [rows, counts] = await Promise.all([
      query
        .leftJoin('accounts as a', 'a.id', 'n.account_id')
        .select([
          'n.id',
          'n.kind',
          'n.title',
          'n.summary',
          'n.account_id',
          'a.name as account_name',
          'n.case_id',
          'n.task_id',
          'n.created_at',
          'n.read_at',
        ])
        .orderBy('n.id', 'desc')
        .limit(limit)
        .offset(offset)
        .execute(),
      this.db
        .selectFrom('notifications')
        .where('user_id', '=', userId)
        .select((eb) => [
          eb.fn.countAll<number>().as('all'),
          eb.fn.count<number>('id').filterWhere('read_at', 'is', null).as('unread'),
        ])
        .executeTakeFirstOrThrow(),
    ]);
    return {
      total: Number(filter.unreadOnly ? counts.unread : counts.all),
      unread: Number(counts.unread),
      items: rows.map((row) => ({
        id: row.id,
        kind: row.kind as NotificationKind,
        title: row.title,
        summary: row.summary,
        accountId: row.account_id,
        accountName: row.account_name,
        caseId: row.case_id,
        taskId: row.task_id,
        createdAt: row.created_at,
        readAt: row.read_at,
      })),
    };
  }

  /** Marks one of the user's notifications read (kept as first read); false when it is not theirs. */
  async markRead(userId: number, id: number, now: Date): Promise<boolean> {
    const row = await this.db
      .selectFrom('notifications')
      .select(['id', 'read_at'])
      .where('id', '=', id)
      .where('user_id', '=', userId)
      .executeTakeFirst();
    if (!row) return false;
    if (row.read_at === null)
      await this.db
        .updateTable('notifications')
        .set({ read_at: now.toISOString() })
        .where('id', '=', id)
        .where('read_at', 'is', null)
        .execute();
    return true;
  }

  /** When a notification was first read, or null while unread. */
  async readAtOf(id: number): Promise<string | null> {
    const row = await this.db
      .selectFrom('notifications')
      .select('read_at')
      .where('id', '=', id)
      .executeTakeFirst();
    return row?.read_at ?? null;
  }

  /** Marks all of the user's unread notifications read; returns how many. */
  async markAllRead(userId: number, now: Date): Promise<number> {
    const result = await this.db
      .updateTable('notifications')
      .set({ read_at: now.toISOString() })
      .where('user_id', '=', userId)
      .where('read_at', 'is', null)
      .executeTakeFirst();
    return Number(result.numUpdatedRows);
  }

  /** Marks read every notification about these cases created before `before` (history, not news). */
  async markCasesReadBefore(caseIds: readonly number[], before: Date, now: Date): Promise<number> {
    let marked = 0;
    for (let start = 0; start < caseIds.length; start += 500) {
      const result = await this.db
        .updateTable('notifications')
        .set({ read_at: now.toISOString() })
        .where('case_id', 'in', caseIds.slice(start, start + 500))
        .where('created_at', '<', before.toISOString())
        .where('read_at', 'is', null)
        .executeTakeFirst();
      marked += Number(result.numUpdatedRows);
    }
    return marked;
  }

  /** Deletes read notifications created before `before`; returns how many. */
  async deleteReadBefore(before: Date): Promise<number> {
    const result = await this.db
      .deleteFrom('notifications')
      .where('read_at', 'is not', null)
      .where('created_at', '<', before.toISOString())
      .executeTakeFirst();
    return Number(result.numDeletedRows);
  }

  /** Open cases on owned accounts whose last update (or opening) is older than `cutoff`. */
  async casesUpdatedBefore(cutoff: Date): Promise<StaleCase[]> {
    const rows = await this.db
      .selectFrom('risk_cases as c')
      .innerJoin('accounts as a', 'a.id', 'c.account_id')
      .where('c.closed_at', 'is', null)
      .where('a.owner_id', 'is not', null)
      .where((eb) => eb(eb.fn.coalesce('c.last_update_at', 'c.opened_at'), '<', cutoff.toISOString()))
      .select(['c.id', 'c.account_id', 'a.name', 'a.owner_id', 'c.last_update_at', 'c.opened_at'])
      .orderBy('c.id')
      .execute();
    return rows.map((row) => ({
      caseId: row.id,
      accountId: row.account_id,
      accountName: row.name,
      ownerId: row.owner_id ?? 0,
      since: row.last_update_at ?? row.opened_at,
    }));
  }
}

// The in-app inbox: what needs a user's attention (a case opened on their account, a weekly update
// gone overdue, a task for them, a play waiting on them), read or not. A notification's key is
// unique per user, so an event handled twice (a retried step, a replayed detection, a second daily
// run) notifies once.
import { tableWithId, type Db } from './helpers';

export async function up(db: Db): Promise<void> {
  await tableWithId(db, 'notifications')
    .addColumn('user_id', 'integer', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('dedupe_key', 'text', (c) => c.notNull())
    .addColumn('title', 'text', (c) => c.notNull())
    .addColumn('summary', 'text', (c) => c.notNull())
    .addColumn('account_id', 'integer')
    .addColumn('case_id', 'integer')
    .addColumn('task_id', 'integer')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('read_at', 'text')
    .addUniqueConstraint('notifications_user_key', ['user_id', 'dedupe_key'])
    .execute();
  // "My notifications, newest first" and "my unread ones": the inbox's two questions.
  await db.schema
    .createIndex('notifications_user_newest')
    .on('notifications')
    .columns(['user_id', 'id'])
    .execute();
  await db.schema
    .createIndex('notifications_user_unread')
    .on('notifications')
    .columns(['user_id', 'read_at', 'id'])
    .execute();
}

export async function down(db: Db): Promise<void> {
  await db.schema.dropTable('notifications').execute();
}

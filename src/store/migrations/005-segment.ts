// Which account a Segment user belongs to, learnt from `group` and `identify` calls, so `track`
// calls without a group can still be tied to an account.
import type { Db } from './helpers';

export async function up(db: Db): Promise<void> {
  await db.schema
    .createTable('segment_identities')
    .addColumn('user_id', 'text', (c) => c.primaryKey())
    .addColumn('account_id', 'integer', (c) => c.notNull().references('accounts.id').onDelete('cascade'))
    .addColumn('email', 'text')
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();
}

export async function down(db: Db): Promise<void> {
  await db.schema.dropTable('segment_identities').execute();
}

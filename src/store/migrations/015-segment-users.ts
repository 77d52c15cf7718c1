// Segment users, anonymous visitors and aliases. A user may be known before their account is
// (identify before group): the row waits with the contact it described and the group it named, and
// the contact is written when the user is tied to an account. Aliases and anonymous ids point at the identity they stand
// for. Replaces segment_identities, whose user was always tied to an account.
//
// Messages refused one by one (a batch is never refused whole for one bad message) are kept for a
// while, so whoever sends them can see what was dropped and why.
import { sql } from 'kysely';
import { tableWithId, type Db } from './helpers';

export async function up(db: Db): Promise<void> {
  await db.schema
    .createTable('segment_users')
    .addColumn('key', 'text', (c) => c.primaryKey())
    .addColumn('account_id', 'integer', (c) => c.references('accounts.id').onDelete('cascade'))
    .addColumn('alias_of', 'text')
    .addColumn('contact', 'text')
    .addColumn('group_id', 'text')
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('segment_users_account').on('segment_users').column('account_id').execute();
  await db.schema.createIndex('segment_users_group').on('segment_users').column('group_id').execute();
  await sql`
    INSERT INTO segment_users (key, account_id, updated_at)
    SELECT 'user:' || user_id, account_id, updated_at FROM segment_identities`.execute(db);
  await db.schema.dropTable('segment_identities').execute();

  await tableWithId(db, 'ingest_rejections')
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('received_at', 'text', (c) => c.notNull())
    .addColumn('message_id', 'text')
    .addColumn('message_type', 'text')
    .addColumn('field', 'text', (c) => c.notNull())
    .addColumn('message', 'text', (c) => c.notNull())
    .addColumn('excerpt', 'text', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('ingest_rejections_received')
    .on('ingest_rejections')
    .column('received_at')
    .execute();
}

export async function down(db: Db): Promise<void> {
  await db.schema.dropTable('ingest_rejections').execute();
  await db.schema
    .createTable('segment_identities')
    .addColumn('user_id', 'text', (c) => c.primaryKey())
    .addColumn('account_id', 'integer', (c) => c.notNull().references('accounts.id').onDelete('cascade'))
    .addColumn('email', 'text')
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();
  await sql`
    INSERT INTO segment_identities (user_id, account_id, updated_at)
    SELECT substr(key, 6), account_id, updated_at FROM segment_users
    WHERE key LIKE 'user:%' AND account_id IS NOT NULL`.execute(db);
  await db.schema.dropTable('segment_users').execute();
}

// Login throttling: one token bucket per (kind, key) kept as its theoretical arrival time in epoch
// milliseconds, so taking a slot is a single upsert; and the clients (addresses, device cookies)
// that logged in to a user before. Replaces the per-attempt log that was counted after the fact.
import { tableWithId, type Db } from './helpers';

export async function up(db: Db): Promise<void> {
  await db.schema
    .createTable('login_throttle')
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('key', 'text', (c) => c.notNull())
    .addColumn('tat_ms', 'bigint', (c) => c.notNull())
    .addColumn('noted_until_ms', 'bigint')
    .addPrimaryKeyConstraint('login_throttle_pkey', ['kind', 'key'])
    .execute();
  await db.schema.createIndex('login_throttle_tat').on('login_throttle').column('tat_ms').execute();

  await db.schema
    .createTable('login_trusted_clients')
    .addColumn('user_id', 'integer', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('key', 'text', (c) => c.notNull())
    .addColumn('trusted_until_ms', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('login_trusted_clients_pkey', ['user_id', 'kind', 'key'])
    .execute();

  await db.schema.dropTable('login_attempts').execute();
}

export async function down(db: Db): Promise<void> {
  await tableWithId(db, 'login_attempts')
    .addColumn('email', 'text', (c) => c.notNull())
    .addColumn('at', 'text', (c) => c.notNull())
    .addColumn('succeeded', 'integer', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('login_attempts_email_at')
    .on('login_attempts')
    .columns(['email', 'at'])
    .execute();
  await db.schema.dropTable('login_trusted_clients').execute();
  await db.schema.dropTable('login_throttle').execute();
}

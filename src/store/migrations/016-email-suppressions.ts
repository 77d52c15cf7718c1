// Email addresses that asked for no more email from plays (one-click unsubscribe, RFC 8058, or the
// unsubscribe page), and the server secrets that sign the links in those emails.
import type { Db } from './helpers';

export async function up(db: Db): Promise<void> {
  await db.schema
    .createTable('email_suppressions')
    .addColumn('email', 'text', (c) => c.primaryKey())
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema
    .createTable('server_secrets')
    .addColumn('name', 'text', (c) => c.primaryKey())
    .addColumn('value', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
}

export async function down(db: Db): Promise<void> {
  await db.schema.dropTable('server_secrets').execute();
  await db.schema.dropTable('email_suppressions').execute();
}

// The change feed: on PostgreSQL every insert into the audit log notifies the channel
// `retain_changes` when its transaction commits, so each API process wakes up and reads the new
// entries at once. SQLite (one process by default) polls the log instead and needs nothing here.
import { sql } from 'kysely';
import { isPostgres, type Db } from './helpers';

export async function up(db: Db): Promise<void> {
  if (!isPostgres(db)) return;
  await sql`
    CREATE OR REPLACE FUNCTION retain_notify_change() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      PERFORM pg_notify('retain_changes', '');
      RETURN NULL;
    END
    $$`.execute(db);
  await sql`
    CREATE TRIGGER audit_log_notify AFTER INSERT ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION retain_notify_change()`.execute(db);
}

export async function down(db: Db): Promise<void> {
  if (!isPostgres(db)) return;
  await sql`DROP TRIGGER IF EXISTS audit_log_notify ON audit_log`.execute(db);
  await sql`DROP FUNCTION IF EXISTS retain_notify_change()`.execute(db);
}

// On PostgreSQL every statement that changes the accounts table notifies the channel
// `retain_accounts` when its transaction commits. Each API process keeps the totals of expensive
// account counts until then (see AccountCounts): a count scans every row version, and during a
// million-row import it would scan the import's uncommitted rows on every page of the list.
import { sql } from 'kysely';
import { isPostgres, type Db } from './helpers';

export async function up(db: Db): Promise<void> {
  if (!isPostgres(db)) return;
  await sql`
    CREATE OR REPLACE FUNCTION retain_notify_accounts() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      PERFORM pg_notify('retain_accounts', '');
      RETURN NULL;
    END
    $$`.execute(db);
  await sql`
    CREATE TRIGGER accounts_notify AFTER INSERT OR UPDATE OR DELETE ON accounts
    FOR EACH STATEMENT EXECUTE FUNCTION retain_notify_accounts()`.execute(db);
  await sql`
    CREATE TRIGGER accounts_notify_truncate AFTER TRUNCATE ON accounts
    FOR EACH STATEMENT EXECUTE FUNCTION retain_notify_accounts()`.execute(db);
}

export async function down(db: Db): Promise<void> {
  if (!isPostgres(db)) return;
  await sql`DROP TRIGGER IF EXISTS accounts_notify_truncate ON accounts`.execute(db);
  await sql`DROP TRIGGER IF EXISTS accounts_notify ON accounts`.execute(db);
  await sql`DROP FUNCTION IF EXISTS retain_notify_accounts()`.execute(db);
}

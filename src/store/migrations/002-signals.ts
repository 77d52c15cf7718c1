// Signals and what is derived from them as they arrive: raw events, per-account daily rollups, and
// due items (invoices, onboarding milestones) whose lateness is measured when scoring.
import { sql } from 'kysely';
import { tableWithId, type Db } from './helpers';

export async function up(db: Db): Promise<void> {
  await tableWithId(db, 'signals')
    .addColumn('account_id', 'integer', (c) => c.notNull().references('accounts.id').onDelete('cascade'))
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('occurred_at', 'text', (c) => c.notNull())
    .addColumn('received_at', 'text', (c) => c.notNull())
    .addColumn('idempotency_key', 'text')
    .addColumn('value', 'double precision')
    .addColumn('data', 'text', (c) => c.notNull())
    .addColumn('source', 'text', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('signals_idempotency_key')
    .on('signals')
    .column('idempotency_key')
    .unique()
    .where(sql.ref('idempotency_key'), 'is not', null)
    .execute();
  await db.schema
    .createIndex('signals_account_occurred')
    .on('signals')
    .columns(['account_id', 'occurred_at'])
    .execute();

  await db.schema
    .createTable('daily_rollups')
    .addColumn('account_id', 'integer', (c) => c.notNull().references('accounts.id').onDelete('cascade'))
    .addColumn('metric', 'text', (c) => c.notNull())
    .addColumn('day', 'text', (c) => c.notNull())
    .addColumn('value', 'double precision', (c) => c.notNull())
    .addColumn('samples', 'integer', (c) => c.notNull())
    /** For `last` metrics: when the value in the row was observed. */
    .addColumn('last_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('daily_rollups_pk', ['account_id', 'metric', 'day'])
    .execute();
  await db.schema
    .createIndex('daily_rollups_metric_day')
    .on('daily_rollups')
    .columns(['metric', 'day'])
    .execute();

  await db.schema
    .createTable('due_items')
    .addColumn('account_id', 'integer', (c) => c.notNull().references('accounts.id').onDelete('cascade'))
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('key', 'text', (c) => c.notNull())
    .addColumn('due_date', 'text', (c) => c.notNull())
    .addColumn('done_date', 'text')
    .addColumn('amount', 'double precision')
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('due_items_pk', ['account_id', 'kind', 'key'])
    .execute();
  await db.schema.createIndex('due_items_open').on('due_items').columns(['kind', 'done_date']).execute();
}

export async function down(db: Db): Promise<void> {
  await db.schema.dropTable('due_items').execute();
  await db.schema.dropTable('daily_rollups').execute();
  await db.schema.dropTable('signals').execute();
}

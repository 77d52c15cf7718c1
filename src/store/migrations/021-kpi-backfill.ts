// KPI snapshots derived afterwards from case history (a store's days before its first daily
// snapshot) are marked `backfilled`, so a trend can tell them from values recorded on the day.
import type { Db } from './helpers';

export async function up(db: Db): Promise<void> {
  await db.schema
    .alterTable('kpi_snapshots')
    .addColumn('backfilled', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();
}

export async function down(db: Db): Promise<void> {
  await db.schema.alterTable('kpi_snapshots').dropColumn('backfilled').execute();
}

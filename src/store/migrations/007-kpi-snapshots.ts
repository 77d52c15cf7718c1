// KPI snapshots: each card's value on each day, for the whole book (team 0) and for each team, so a
// card's trend shows what was true then rather than a recomputation from today's data.
import type { Db } from './helpers';

export async function up(db: Db): Promise<void> {
  await db.schema
    .createTable('kpi_snapshots')
    .addColumn('card_key', 'text', (c) => c.notNull())
    .addColumn('team_id', 'integer', (c) => c.notNull())
    .addColumn('day', 'text', (c) => c.notNull())
    .addColumn('value', 'double precision')
    .addColumn('taken_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('kpi_snapshots_pk', ['card_key', 'team_id', 'day'])
    .execute();
}

export async function down(db: Db): Promise<void> {
  await db.schema.dropTable('kpi_snapshots').execute();
}

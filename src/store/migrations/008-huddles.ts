// Huddles held: when a team last went through its risks, so the next huddle shows what changed since.
import { tableWithId, type Db } from './helpers';

export async function up(db: Db): Promise<void> {
  await tableWithId(db, 'huddles')
    .addColumn('team_id', 'integer', (c) => c.references('teams.id').onDelete('cascade'))
    .addColumn('held_at', 'text', (c) => c.notNull())
    .addColumn('held_by_user_id', 'integer', (c) => c.references('users.id').onDelete('set null'))
    .execute();
  await db.schema.createIndex('huddles_team_held').on('huddles').columns(['team_id', 'held_at']).execute();
}

export async function down(db: Db): Promise<void> {
  await db.schema.dropTable('huddles').execute();
}

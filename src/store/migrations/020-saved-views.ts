// Saved worklist views: a user's named filters, sort and scope ("Renewals this quarter"), kept
// for themselves or shared with their team.
import { tableWithId, type Db } from './helpers';

export async function up(db: Db): Promise<void> {
  await tableWithId(db, 'worklist_views')
    .addColumn('user_id', 'integer', (c) => c.notNull().references('users.id').onDelete('cascade'))
    /** The team the view is shared with; null keeps it to its owner. */
    .addColumn('team_id', 'integer', (c) => c.references('teams.id').onDelete('set null'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('scope', 'text', (c) => c.notNull())
    .addColumn('filters', 'text', (c) => c.notNull())
    .addColumn('sort', 'text', (c) => c.notNull())
    .addColumn('sort_order', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addUniqueConstraint('worklist_views_user_name', ['user_id', 'name'])
    .execute();
  await db.schema.createIndex('worklist_views_team').on('worklist_views').column('team_id').execute();
}

export async function down(db: Db): Promise<void> {
  await db.schema.dropTable('worklist_views').execute();
}

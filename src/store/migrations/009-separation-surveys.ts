// Separation surveys: why a customer says they left, captured when a case closes as lost.
import type { Db } from './helpers';

export async function up(db: Db): Promise<void> {
  await db.schema
    .createTable('separation_surveys')
    .addColumn('case_id', 'integer', (c) => c.primaryKey().references('risk_cases.id').onDelete('cascade'))
    .addColumn('primary_reason', 'text', (c) => c.notNull())
    .addColumn('would_return', 'integer')
    .addColumn('competitor', 'text')
    .addColumn('comments', 'text')
    .addColumn('recorded_at', 'text', (c) => c.notNull())
    .addColumn('recorded_by_user_id', 'integer', (c) => c.references('users.id').onDelete('set null'))
    .execute();
}

export async function down(db: Db): Promise<void> {
  await db.schema.dropTable('separation_surveys').execute();
}

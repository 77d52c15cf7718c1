// Health scores kept per account per day with their components, and CSMs' own sentiment.
import { tableWithId, type Db } from './helpers';

export async function up(db: Db): Promise<void> {
  await db.schema
    .createTable('health_scores')
    .addColumn('account_id', 'integer', (c) => c.notNull().references('accounts.id').onDelete('cascade'))
    .addColumn('day', 'text', (c) => c.notNull())
    .addColumn('score', 'integer', (c) => c.notNull())
    .addColumn('band', 'text', (c) => c.notNull())
    .addColumn('components', 'text', (c) => c.notNull())
    .addColumn('missing', 'text', (c) => c.notNull())
    .addColumn('computed_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('health_scores_pk', ['account_id', 'day'])
    .execute();
  await db.schema
    .createIndex('health_scores_day_score')
    .on('health_scores')
    .columns(['day', 'score'])
    .execute();

  await tableWithId(db, 'csm_sentiments')
    .addColumn('account_id', 'integer', (c) => c.notNull().references('accounts.id').onDelete('cascade'))
    .addColumn('sentiment', 'text', (c) => c.notNull())
    .addColumn('note', 'text')
    .addColumn('user_id', 'integer', (c) => c.references('users.id'))
    .addColumn('at', 'text', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('csm_sentiments_account')
    .on('csm_sentiments')
    .columns(['account_id', 'at'])
    .execute();
}

export async function down(db: Db): Promise<void> {
  await db.schema.dropTable('csm_sentiments').execute();
  await db.schema.dropTable('health_scores').execute();
}

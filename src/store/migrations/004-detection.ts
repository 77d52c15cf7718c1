// Automated detection: where each rule stands on each account, and the evidence a firing rule
// attaches to the risk case it opened or added a reason to.
import { tableWithId, type Db } from './helpers';

export async function up(db: Db): Promise<void> {
  await db.schema
    .createTable('rule_states')
    .addColumn('account_id', 'integer', (c) => c.notNull().references('accounts.id').onDelete('cascade'))
    .addColumn('rule_key', 'text', (c) => c.notNull())
    .addColumn('active', 'integer', (c) => c.notNull())
    .addColumn('fired_at', 'text')
    .addColumn('cleared_at', 'text')
    .addColumn('last_value', 'double precision')
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('rule_states_pk', ['account_id', 'rule_key'])
    .execute();

  await tableWithId(db, 'risk_case_evidence')
    .addColumn('case_id', 'integer', (c) => c.notNull().references('risk_cases.id').onDelete('cascade'))
    .addColumn('rule_key', 'text', (c) => c.notNull())
    .addColumn('reason_id', 'integer', (c) => c.notNull().references('risk_reasons.id'))
    .addColumn('at', 'text', (c) => c.notNull())
    .addColumn('summary', 'text', (c) => c.notNull())
    .addColumn('details', 'text', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('risk_case_evidence_case')
    .on('risk_case_evidence')
    .columns(['case_id', 'at'])
    .execute();
}

export async function down(db: Db): Promise<void> {
  await db.schema.dropTable('risk_case_evidence').execute();
  await db.schema.dropTable('rule_states').execute();
}

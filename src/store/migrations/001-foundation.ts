// Foundation schema: users and teams, sessions and tokens, accounts and contacts, the risk process,
// the audit log and settings. Self-contained: migrations never import application code.
import { sql, type Kysely } from 'kysely';
import { tableWithId as table, type Db } from './helpers';

const STAGES = [
  { key: 'at_risk', name: 'At Risk', position: 1, is_end: 0, outcome: null },
  { key: 'plan_in_place', name: 'Plan in Place', position: 2, is_end: 0, outcome: null },
  { key: 'saving', name: 'Saving', position: 3, is_end: 0, outcome: null },
  { key: 'closed_recovered', name: 'Closed - Recovered', position: 4, is_end: 1, outcome: 'recovered' },
  { key: 'closed_lost', name: 'Closed - Lost', position: 5, is_end: 1, outcome: 'lost' },
];

const REASONS = [
  ['product_functionality', 'Product and functionality'],
  ['leadership_change', 'Leadership / champion change'],
  ['business_change', 'Business change / acquisition'],
  ['poor_financial_standing', 'Poor financial standing'],
  ['product_adoption', 'Product adoption'],
  ['support_issues', 'Support issues'],
  ['poor_engagement', 'Poor engagement'],
  ['poor_nps_csat', 'Poor NPS or CSAT'],
  ['delayed_onboarding', 'Delayed onboarding'],
] as const;

export async function up(db: Db): Promise<void> {
  await table(db, 'teams')
    .addColumn('name', 'text', (c) => c.notNull().unique())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();

  await table(db, 'users')
    .addColumn('email', 'text', (c) => c.notNull().unique())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('role', 'text', (c) => c.notNull())
    .addColumn('team_id', 'integer', (c) => c.references('teams.id'))
    .addColumn('password_hash', 'text')
    .addColumn('active', 'integer', (c) => c.notNull().defaultTo(1))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('sessions')
    .addColumn('id_hash', 'text', (c) => c.primaryKey())
    .addColumn('user_id', 'integer', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('csrf_token', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('last_seen_at', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'text', (c) => c.notNull())
    .execute();

  await table(db, 'api_tokens')
    .addColumn('user_id', 'integer', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('token_hash', 'text', (c) => c.notNull().unique())
    .addColumn('scope', 'text', (c) => c.notNull().defaultTo('full'))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('last_used_at', 'text')
    .addColumn('revoked_at', 'text')
    .execute();

  await table(db, 'login_attempts')
    .addColumn('email', 'text', (c) => c.notNull())
    .addColumn('at', 'text', (c) => c.notNull())
    .addColumn('succeeded', 'integer', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('login_attempts_email_at')
    .on('login_attempts')
    .columns(['email', 'at'])
    .execute();

  await table(db, 'accounts')
    .addColumn('external_id', 'text', (c) => c.notNull().unique())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('owner_id', 'integer', (c) => c.references('users.id'))
    .addColumn('team_id', 'integer', (c) => c.references('teams.id'))
    .addColumn('tier', 'text')
    .addColumn('arr', 'double precision', (c) => c.notNull().defaultTo(0))
    .addColumn('renewal_date', 'text')
    .addColumn('lifecycle_stage', 'text')
    .addColumn('attributes', 'text', (c) => c.notNull().defaultTo('{}'))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addColumn('version', 'integer', (c) => c.notNull().defaultTo(1))
    .execute();
  await db.schema.createIndex('accounts_owner').on('accounts').column('owner_id').execute();
  await db.schema.createIndex('accounts_team').on('accounts').column('team_id').execute();
  await db.schema.createIndex('accounts_name').on('accounts').column('name').execute();

  await table(db, 'contacts')
    .addColumn('account_id', 'integer', (c) => c.notNull().references('accounts.id').onDelete('cascade'))
    .addColumn('email', 'text', (c) => c.notNull())
    .addColumn('name', 'text')
    .addColumn('role', 'text')
    .addColumn('is_champion', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('attributes', 'text', (c) => c.notNull().defaultTo('{}'))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addUniqueConstraint('contacts_account_email', ['account_id', 'email'])
    .execute();

  await table(db, 'risk_stages')
    .addColumn('key', 'text', (c) => c.notNull().unique())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('position', 'integer', (c) => c.notNull())
    .addColumn('is_end', 'integer', (c) => c.notNull())
    .addColumn('outcome', 'text')
    .addColumn('active', 'integer', (c) => c.notNull().defaultTo(1))
    .execute();

  await table(db, 'risk_reasons')
    .addColumn('key', 'text', (c) => c.notNull().unique())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('description', 'text')
    .addColumn('position', 'integer', (c) => c.notNull())
    .addColumn('active', 'integer', (c) => c.notNull().defaultTo(1))
    .execute();

  await table(db, 'risk_cases')
    .addColumn('account_id', 'integer', (c) => c.notNull().references('accounts.id').onDelete('cascade'))
    .addColumn('stage_id', 'integer', (c) => c.notNull().references('risk_stages.id'))
    .addColumn('stage_entered_at', 'text', (c) => c.notNull())
    .addColumn('open_ms_before_stage', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('opened_at', 'text', (c) => c.notNull())
    .addColumn('opened_by_user_id', 'integer', (c) => c.references('users.id'))
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('expected', 'integer')
    .addColumn('avoidable', 'integer')
    .addColumn('arr_at_risk', 'double precision', (c) => c.notNull())
    .addColumn('ltv', 'double precision', (c) => c.notNull())
    .addColumn('ltv_given', 'integer', (c) => c.notNull())
    .addColumn('track', 'text', (c) => c.notNull())
    .addColumn('closed_at', 'text')
    .addColumn('outcome', 'text')
    .addColumn('last_update_at', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addColumn('version', 'integer', (c) => c.notNull().defaultTo(1))
    .execute();
  // The rule "an account has at most one open case" is held by the store, not only by the service.
  await db.schema
    .createIndex('risk_cases_one_open_per_account')
    .on('risk_cases')
    .column('account_id')
    .unique()
    .where(sql.ref('closed_at'), 'is', null)
    .execute();
  await db.schema.createIndex('risk_cases_account').on('risk_cases').column('account_id').execute();
  await db.schema.createIndex('risk_cases_stage').on('risk_cases').column('stage_id').execute();

  await db.schema
    .createTable('risk_case_reasons')
    .addColumn('case_id', 'integer', (c) => c.notNull().references('risk_cases.id').onDelete('cascade'))
    .addColumn('reason_id', 'integer', (c) => c.notNull().references('risk_reasons.id'))
    .addColumn('added_at', 'text', (c) => c.notNull())
    .addColumn('added_by_user_id', 'integer')
    .addPrimaryKeyConstraint('risk_case_reasons_pk', ['case_id', 'reason_id'])
    .execute();
  await db.schema
    .createIndex('risk_case_reasons_reason')
    .on('risk_case_reasons')
    .column('reason_id')
    .execute();

  await table(db, 'risk_stage_history')
    .addColumn('case_id', 'integer', (c) => c.notNull().references('risk_cases.id').onDelete('cascade'))
    .addColumn('from_stage_id', 'integer')
    .addColumn('to_stage_id', 'integer', (c) => c.notNull())
    .addColumn('at', 'text', (c) => c.notNull())
    .addColumn('by_user_id', 'integer')
    .addColumn('note', 'text')
    .execute();
  await db.schema
    .createIndex('risk_stage_history_case')
    .on('risk_stage_history')
    .columns(['case_id', 'at'])
    .execute();

  await table(db, 'risk_updates')
    .addColumn('case_id', 'integer', (c) => c.notNull().references('risk_cases.id').onDelete('cascade'))
    .addColumn('background', 'text', (c) => c.notNull())
    .addColumn('done_so_far', 'text', (c) => c.notNull())
    .addColumn('next_steps', 'text', (c) => c.notNull())
    .addColumn('author_id', 'integer')
    .addColumn('at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('risk_updates_case').on('risk_updates').columns(['case_id', 'at']).execute();

  await table(db, 'audit_log')
    .addColumn('at', 'text', (c) => c.notNull())
    .addColumn('actor_id', 'integer')
    .addColumn('actor_label', 'text', (c) => c.notNull())
    .addColumn('entity_type', 'text', (c) => c.notNull())
    .addColumn('entity_id', 'text', (c) => c.notNull())
    .addColumn('account_id', 'integer')
    .addColumn('action', 'text', (c) => c.notNull())
    .addColumn('changes', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('audit_log_account').on('audit_log').columns(['account_id', 'at']).execute();
  await db.schema
    .createIndex('audit_log_entity')
    .on('audit_log')
    .columns(['entity_type', 'entity_id'])
    .execute();

  await db.schema
    .createTable('settings')
    .addColumn('key', 'text', (c) => c.primaryKey())
    .addColumn('value', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();

  const seeded = db as unknown as Kysely<{
    risk_stages: { key: string; name: string; position: number; is_end: number; outcome: string | null };
    risk_reasons: { key: string; name: string; position: number };
  }>;
  await seeded.insertInto('risk_stages').values(STAGES).execute();
  await seeded
    .insertInto('risk_reasons')
    .values(REASONS.map(([key, name], index) => ({ key, name, position: index + 1 })))
    .execute();
}

export async function down(db: Db): Promise<void> {
  for (const name of [
    'settings',
    'audit_log',
    'risk_updates',
    'risk_stage_history',
    'risk_case_reasons',
    'risk_cases',
    'risk_reasons',
    'risk_stages',
    'contacts',
    'accounts',
    'login_attempts',
    'api_tokens',
    'sessions',
    'users',
    'teams',
  ]) {
    await db.schema.dropTable(name).execute();
  }
}

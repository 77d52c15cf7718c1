// Saved segments: a named filter over accounts, who is in it now, and every entry and exit (the
// history playbooks trigger on). Seeded with the segments a CS team starts from.
import type { Kysely } from 'kysely';
import { tableWithId, type Db } from './helpers';

const SEEDS: { key: string; name: string; description: string; filter: string }[] = [
  {
    key: 'accounts_at_risk',
    name: 'Accounts at Risk',
    description: 'Every account with an open risk case.',
    filter: 'risk.stage is not empty',
  },
  {
    key: 'poor_health',
    name: 'Poor health',
    description: 'Accounts whose latest health score is in the Poor band.',
    filter: 'health.band = "Poor"',
  },
  {
    key: 'health_dropping',
    name: 'Health dropping',
    description: 'Health score down 20% or more over the last 30 days.',
    filter: 'health.change(30d) <= -20%',
  },
  {
    key: 'renewing_90_days',
    name: 'Renewing in 90 days',
    description: 'Renewal date within the next 90 days.',
    filter: 'renewal within 90 days',
  },
  {
    key: 'at_risk_renewing',
    name: 'At risk and renewing soon',
    description: 'An open risk case and a renewal within 90 days: the most urgent saves.',
    filter: 'risk.stage is not empty and renewal within 90 days',
  },
  {
    key: 'high_value_at_risk',
    name: 'High-value accounts at risk',
    description: 'An open risk case on an account with ARR of 50,000 or more.',
    filter: 'risk.stage is not empty and arr >= 50000',
  },
  {
    key: 'ticket_spike',
    name: 'Support ticket spike',
    description: 'More than 5 tickets opened in the last 30 days.',
    filter: 'tickets.opened(30d) > 5',
  },
  {
    key: 'gone_quiet',
    name: 'Gone quiet',
    description: 'Used the product in the last year, but not in the last 30 days.',
    filter: 'usage.events(30d) = 0 and usage.events(365d) > 0',
  },
];

export async function up(db: Db): Promise<void> {
  await tableWithId(db, 'saved_segments')
    .addColumn('key', 'text', (c) => c.notNull().unique())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('description', 'text')
    .addColumn('filter', 'text', (c) => c.notNull())
    .addColumn('created_by_user_id', 'integer', (c) => c.references('users.id').onDelete('set null'))
    .addColumn('member_count', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('refreshed_at', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addColumn('version', 'integer', (c) => c.notNull().defaultTo(1))
    .execute();

  await db.schema
    .createTable('segment_members')
    .addColumn('segment_id', 'integer', (c) =>
      c.notNull().references('saved_segments.id').onDelete('cascade'),
    )
    .addColumn('account_id', 'integer', (c) => c.notNull().references('accounts.id').onDelete('cascade'))
    .addColumn('entered_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('segment_members_pk', ['segment_id', 'account_id'])
    .execute();
  await db.schema.createIndex('segment_members_account').on('segment_members').column('account_id').execute();

  await tableWithId(db, 'segment_membership_events')
    .addColumn('segment_id', 'integer', (c) =>
      c.notNull().references('saved_segments.id').onDelete('cascade'),
    )
    .addColumn('account_id', 'integer', (c) => c.notNull().references('accounts.id').onDelete('cascade'))
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('at', 'text', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('segment_membership_events_segment')
    .on('segment_membership_events')
    .columns(['segment_id', 'at'])
    .execute();
  await db.schema
    .createIndex('segment_membership_events_account')
    .on('segment_membership_events')
    .columns(['account_id', 'at'])
    .execute();

  const now = new Date().toISOString();
  const seeded = db as unknown as Kysely<{
    saved_segments: {
      key: string;
      name: string;
      description: string;
      filter: string;
      created_at: string;
      updated_at: string;
    };
  }>;
  await seeded
    .insertInto('saved_segments')
    .values(SEEDS.map((seed) => ({ ...seed, created_at: now, updated_at: now })))
    .execute();
}

export async function down(db: Db): Promise<void> {
  await db.schema.dropTable('segment_membership_events').execute();
  await db.schema.dropTable('segment_members').execute();
  await db.schema.dropTable('saved_segments').execute();
}

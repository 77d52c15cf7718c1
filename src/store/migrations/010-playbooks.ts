// Playbooks: plays and their versions, the events plays start on (written with the change that
// caused them), runs as durable state (the runner's queue: due runs are those with `wake_at` passed
// and no live lease), tasks, and an outbox for email and webhooks so a crash never sends twice.
// Seeded with eight plays, all inactive until an admin turns them on.
import type { Generated, Kysely } from 'kysely';
import { tableWithId, type Db } from './helpers';

type Seed = { key: string; name: string; description: string; definition: Record<string, unknown> };

const owner = { kind: 'account_owner' };
const task = (
  title: string,
  description: string,
  dueInDays: number,
  extra: Record<string, unknown> = {},
) => ({
  kind: 'task',
  title,
  description,
  dueInDays,
  assignee: owner,
  ...extra,
});
const offered = (...actions: Record<string, unknown>[]) => ({ onComplete: { mode: 'offered', actions } });

const SEEDS: Seed[] = [
  {
    key: 'update_risk_status_reminder',
    name: 'Update risk status reminder',
    description:
      'Every week, each open case without a weekly update in the last 7 days gets a reminder task.',
    definition: {
      trigger: { kind: 'schedule', everyDays: 7 },
      conditions: 'risk.days_since_update >= 7',
      steps: [
        task(
          'Write the weekly risk update for {{account.name}}',
          'Background, what we have done so far, next steps. The case has had no update for a week.',
          2,
        ),
      ],
    },
  },
  {
    key: 'business_change_event',
    name: 'Business change event',
    description: 'An acquisition, merger, layoffs or budget cut at the customer.',
    definition: {
      trigger: { kind: 'signal_rule_fired', rule: 'business_event' },
      steps: [
        task(
          'Find out what the business change means for {{account.name}}',
          'Call the champion: who decides the renewal now, is the budget safe, what changes for their team?',
          3,
          offered({ kind: 'set_stage', stage: 'plan_in_place' }),
        ),
        task(
          'Agree a plan for {{account.name}} with your team lead',
          'Bring what you learned to the next huddle.',
          7,
          { assignee: { kind: 'team_lead' } },
        ),
      ],
    },
  },
  {
    key: 'champion_loss',
    name: 'Champion loss / leadership change',
    description: 'The champion left or leadership changed: find and win the new sponsor quickly.',
    definition: {
      trigger: { kind: 'reason_added', reason: 'leadership_change' },
      steps: [
        task(
          'Identify the new champion at {{account.name}}',
          'Ask remaining users who now owns the tool; update the contacts and mark the new champion.',
          3,
        ),
        task(
          'Meet the new decision maker at {{account.name}}',
          'Re-sell the value: outcomes so far, plans for the next quarter.',
          10,
          offered({ kind: 'set_stage', stage: 'saving' }),
        ),
      ],
    },
  },
  {
    key: 'competitive_threat',
    name: 'Competitive threat',
    description: 'A competitor was mentioned: understand the gap and answer it.',
    definition: {
      trigger: { kind: 'signal_rule_fired', rule: 'competitor_mention' },
      steps: [
        task(
          'Competitive review for {{account.name}}',
          'What does the competitor offer that they want? Prepare the comparison and a roadmap answer.',
          3,
          offered(
            { kind: 'set_stage', stage: 'plan_in_place' },
            { kind: 'add_reason', reason: 'product_functionality' },
          ),
        ),
      ],
    },
  },
  {
    key: 'high_support_tickets',
    name: 'High number of support tickets',
    description: 'A ticket spike: review the tickets with support and call the customer.',
    definition: {
      trigger: { kind: 'signal_rule_fired', rule: 'ticket_spike' },
      steps: [
        task(
          'Review the open tickets of {{account.name}} with support',
          'Find the common cause and make sure each ticket has an owner and a date.',
          2,
        ),
        task(
          'Call {{account.name}} about their support experience',
          'Acknowledge the issues and share the plan.',
          5,
          offered({ kind: 'set_stage', stage: 'saving' }),
        ),
      ],
    },
  },
  {
    key: 'licence_utilisation_drop',
    name: 'Large decrease in licence utilisation',
    description: 'Seats used fell sharply: a digital nudge first, then a call if nothing changes.',
    definition: {
      trigger: { kind: 'signal_rule_fired', rule: 'licence_drop' },
      holdoutPercent: 10,
      steps: [
        {
          kind: 'email',
          to: 'contacts',
          subject: 'Getting your whole team onto {{account.name}}’s workspace',
          body: 'Hello {{contact.name}},\n\nWe noticed fewer of your seats are in use. Here is a short guide to inviting your team and the three features they use most.\n\nReply to this email if anything is in the way.',
        },
        { kind: 'wait', days: 14 },
        task(
          'Licence use at {{account.name}} is still down: call the admin',
          'The adoption email went out two weeks ago. Find out why seats are unused.',
          5,
          offered({ kind: 'set_stage', stage: 'plan_in_place' }),
        ),
      ],
    },
  },
  {
    key: 'past_due_45_90',
    name: 'Past-due payments 45-90 days',
    description: 'An invoice 45-90 days past due: talk to the customer before it goes to collections.',
    definition: {
      trigger: { kind: 'signal_rule_fired', rule: 'payment_past_due' },
      steps: [
        task(
          'Call {{account.name}} about the overdue invoice',
          'Check whether the invoice reached the right person and agree a payment date.',
          2,
          offered({ kind: 'set_stage', stage: 'saving' }),
        ),
        task(
          'Confirm payment from {{account.name}}',
          'If paid, close the risk as recovered.',
          14,
          offered({ kind: 'close', outcome: 'recovered' }),
        ),
      ],
    },
  },
  {
    key: 'low_nps_csat',
    name: 'Low NPS and low CSAT',
    description: 'A detractor score or a poor CSAT: thank them, then follow up personally.',
    definition: {
      trigger: { kind: 'reason_added', reason: 'poor_nps_csat' },
      steps: [
        {
          kind: 'email',
          to: 'contacts',
          subject: 'Thank you for your feedback, {{contact.name}}',
          body: 'Hello {{contact.name}},\n\nThank you for telling us how we are doing. {{account.owner}} will be in touch this week to understand what we can do better.',
        },
        task(
          'Follow up on the survey response from {{account.name}}',
          'Read the comment, call the respondent and log what you heard.',
          5,
          offered({ kind: 'set_stage', stage: 'plan_in_place' }),
        ),
      ],
    },
  },
];

export async function up(db: Db): Promise<void> {
  await tableWithId(db, 'plays')
    .addColumn('key', 'text', (c) => c.notNull().unique())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('description', 'text')
    .addColumn('active', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('current_version', 'integer', (c) => c.notNull())
    .addColumn('last_schedule_period', 'integer')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addColumn('version', 'integer', (c) => c.notNull().defaultTo(1))
    .execute();

  await db.schema
    .createTable('play_versions')
    .addColumn('play_id', 'integer', (c) => c.notNull().references('plays.id').onDelete('cascade'))
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('definition', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('created_by_user_id', 'integer', (c) => c.references('users.id').onDelete('set null'))
    .addPrimaryKeyConstraint('play_versions_pk', ['play_id', 'version'])
    .execute();

  await tableWithId(db, 'play_events')
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('account_id', 'integer', (c) => c.notNull().references('accounts.id').onDelete('cascade'))
    .addColumn('payload', 'text', (c) => c.notNull())
    .addColumn('at', 'text', (c) => c.notNull())
    .addColumn('processed_at', 'text')
    .execute();
  await db.schema
    .createIndex('play_events_pending')
    .on('play_events')
    .columns(['processed_at', 'id'])
    .execute();

  await tableWithId(db, 'play_runs')
    .addColumn('play_id', 'integer', (c) => c.notNull().references('plays.id').onDelete('cascade'))
    .addColumn('play_version', 'integer', (c) => c.notNull())
    .addColumn('account_id', 'integer', (c) => c.notNull().references('accounts.id').onDelete('cascade'))
    .addColumn('case_id', 'integer', (c) => c.references('risk_cases.id').onDelete('set null'))
    .addColumn('trigger_key', 'text', (c) => c.notNull())
    .addColumn('cohort', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('step_index', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('step_started_at', 'text')
    .addColumn('wake_at', 'text')
    .addColumn('lease_until', 'text')
    .addColumn('lease_owner', 'text')
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('last_error', 'text')
    .addColumn('health_at_start', 'real')
    .addColumn('started_at', 'text', (c) => c.notNull())
    .addColumn('finished_at', 'text')
    .addUniqueConstraint('play_runs_trigger', ['play_id', 'trigger_key'])
    .execute();
  await db.schema.createIndex('play_runs_due').on('play_runs').columns(['status', 'wake_at']).execute();
  await db.schema
    .createIndex('play_runs_account')
    .on('play_runs')
    .columns(['account_id', 'play_id'])
    .execute();

  await db.schema
    .createTable('play_step_log')
    .addColumn('run_id', 'integer', (c) => c.notNull().references('play_runs.id').onDelete('cascade'))
    .addColumn('step_index', 'integer', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('at', 'text', (c) => c.notNull())
    .addColumn('result', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('play_step_log_pk', ['run_id', 'step_index'])
    .execute();

  await tableWithId(db, 'tasks')
    .addColumn('run_id', 'integer', (c) => c.references('play_runs.id').onDelete('cascade'))
    .addColumn('step_index', 'integer')
    .addColumn('account_id', 'integer', (c) => c.notNull().references('accounts.id').onDelete('cascade'))
    .addColumn('case_id', 'integer', (c) => c.references('risk_cases.id').onDelete('set null'))
    .addColumn('assignee_id', 'integer', (c) => c.references('users.id').onDelete('set null'))
    .addColumn('title', 'text', (c) => c.notNull())
    .addColumn('description', 'text', (c) => c.notNull())
    .addColumn('due_at', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('actions', 'text', (c) => c.notNull())
    .addColumn('actions_mode', 'text')
    .addColumn('applied', 'text')
    .addColumn('note', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('completed_at', 'text')
    .addColumn('completed_by_user_id', 'integer', (c) => c.references('users.id').onDelete('set null'))
    .addUniqueConstraint('tasks_run_step', ['run_id', 'step_index'])
    .execute();
  await db.schema
    .createIndex('tasks_assignee')
    .on('tasks')
    .columns(['assignee_id', 'status', 'due_at'])
    .execute();
  await db.schema.createIndex('tasks_account').on('tasks').columns(['account_id']).execute();

  await tableWithId(db, 'outbox_messages')
    .addColumn('key', 'text', (c) => c.notNull().unique())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('run_id', 'integer', (c) => c.references('play_runs.id').onDelete('cascade'))
    .addColumn('account_id', 'integer', (c) => c.notNull().references('accounts.id').onDelete('cascade'))
    .addColumn('payload', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('next_attempt_at', 'text', (c) => c.notNull())
    .addColumn('lease_until', 'text')
    .addColumn('sent_at', 'text')
    .addColumn('last_error', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('outbox_messages_due')
    .on('outbox_messages')
    .columns(['status', 'next_attempt_at'])
    .execute();

  const now = new Date().toISOString();
  const seeded = db as unknown as Kysely<{
    plays: {
      id: Generated<number>;
      key: string;
      name: string;
      description: string;
      active: number;
      current_version: number;
      created_at: string;
      updated_at: string;
    };
    play_versions: { play_id: number; version: number; definition: string; created_at: string };
  }>;
  for (const seed of SEEDS) {
    const row = await seeded
      .insertInto('plays')
      .values({
        key: seed.key,
        name: seed.name,
        description: seed.description,
        active: 0,
        current_version: 1,
        created_at: now,
        updated_at: now,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    await seeded
      .insertInto('play_versions')
      .values({ play_id: row.id, version: 1, definition: JSON.stringify(seed.definition), created_at: now })
      .execute();
  }
}

export async function down(db: Db): Promise<void> {
  for (const table of [
    'outbox_messages',
    'tasks',
    'play_step_log',
    'play_runs',
    'play_events',
    'play_versions',
    'plays',
  ])
    await db.schema.dropTable(table).execute();
}

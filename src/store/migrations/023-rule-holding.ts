// A detection rule may need its condition to hold several days in a row before it fires: each
// account's rule state keeps the day the current run of holding days began.
import type { Db } from './helpers';

export async function up(db: Db): Promise<void> {
  await db.schema.alterTable('rule_states').addColumn('holding_since', 'text').execute();
}

export async function down(db: Db): Promise<void> {
  await db.schema.alterTable('rule_states').dropColumn('holding_since').execute();
}

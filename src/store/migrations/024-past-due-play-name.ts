// The seeded past-due play follows its rule, which fires from 30 days past due: its name and
// description say so, unless someone has renamed it since.
import { sql } from 'kysely';
import type { Db } from './helpers';

const BEFORE = {
  name: 'Past-due payments 45-90 days',
  description: 'An invoice 45-90 days past due: talk to the customer before it goes to collections.',
};
const AFTER = {
  name: 'Past-due payments 30-90 days',
  description: 'An invoice 30-90 days past due: talk to the customer before it goes to collections.',
};

async function rename(db: Db, from: typeof BEFORE, to: typeof BEFORE): Promise<void> {
  await sql`UPDATE plays SET name = ${to.name} WHERE key = 'past_due_45_90' AND name = ${from.name}`.execute(
    db,
  );
  await sql`UPDATE plays SET description = ${to.description}
    WHERE key = 'past_due_45_90' AND description = ${from.description}`.execute(db);
}

export async function up(db: Db): Promise<void> {
  await rename(db, BEFORE, AFTER);
}

export async function down(db: Db): Promise<void> {
  await rename(db, AFTER, BEFORE);
}

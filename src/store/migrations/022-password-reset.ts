// A password reset sent by an admin ends the old password at once: the user chooses a new one by
// the link. When that reset was sent is kept, so the user reads "Password reset", not "Invited".
import type { Db } from './helpers';

export async function up(db: Db): Promise<void> {
  await db.schema.alterTable('users').addColumn('password_reset_at', 'text').execute();
}

export async function down(db: Db): Promise<void> {
  await db.schema.alterTable('users').dropColumn('password_reset_at').execute();
}

// Set-password links: an invitation for a user added without a password, or a reset an admin
// sends. Only a hash of each link's token is kept; a link is used once and expires. Users also
// remember when they last logged in, for the admins' list.
import { tableWithId, type Db } from './helpers';

export async function up(db: Db): Promise<void> {
  await tableWithId(db, 'password_links')
    .addColumn('user_id', 'integer', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('purpose', 'text', (c) => c.notNull())
    .addColumn('token_hash', 'text', (c) => c.notNull().unique())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'text', (c) => c.notNull())
    .addColumn('used_at', 'text')
    .execute();
  await db.schema.createIndex('password_links_user').on('password_links').column('user_id').execute();
  await db.schema.alterTable('users').addColumn('last_login_at', 'text').execute();
}

export async function down(db: Db): Promise<void> {
  await db.schema.alterTable('users').dropColumn('last_login_at').execute();
  await db.schema.dropTable('password_links').execute();
}

// Set-password links (invitations and resets): only the hash of a link's token is stored, and a
// link is used by one conditional update, so two requests with the same token cannot both use it.
import type { Kysely } from 'kysely';
import type { PasswordLinkPurpose } from '../domain/password-link';
import type { Database } from './schema';

export class PasswordLinkRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async insert(link: {
    userId: number;
    purpose: PasswordLinkPurpose;
    tokenHash: string;
    now: Date;
    expiresAt: Date;
  }): Promise<number> {
    const row = await this.db
      .insertInto('password_links')
      .values({
        user_id: link.userId,
        purpose: link.purpose,
        token_hash: link.tokenHash,
        created_at: link.now.toISOString(),
        expires_at: link.expiresAt.toISOString(),
        used_at: null,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    return row.id;
  }

  /**
   * Uses the link with this token hash if it is unused and unexpired at `now`: marks it used and
   * answers whose it is and what for; undefined when no such link can be used.
   */
  async use(
    tokenHash: string,
    now: Date,
  ): Promise<{ userId: number; purpose: PasswordLinkPurpose } | undefined> {
    const at = now.toISOString();
    const row = await this.db
      .updateTable('password_links')
      .set({ used_at: at })
      .where('token_hash', '=', tokenHash)
      .where('used_at', 'is', null)
      .where('expires_at', '>', at)
      .returning(['user_id', 'purpose'])
      .executeTakeFirst();
    return row && { userId: row.user_id, purpose: row.purpose as PasswordLinkPurpose };
  }

  /** Ends every link of the user not used yet (a new one was sent, or the user was deactivated). */
  async withdrawPending(userId: number): Promise<void> {
    await this.db
      .deleteFrom('password_links')
      .where('user_id', '=', userId)
      .where('used_at', 'is', null)
      .execute();
  }
}

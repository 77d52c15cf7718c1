// Who asked for no more email. Every email a play sends carries a link (and a List-Unsubscribe
// header, RFC 8058 one-click) with a token that names the address and is signed with a secret of
// this store, so the link works without a login and cannot be forged for another address. An
// unsubscribed address gets no further email from any play.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Kysely } from 'kysely';
import { AppError } from '../domain/errors';
import { SYSTEM_ACTOR } from '../domain/policy';
import { AuditRepository } from '../store/audit.repository';
import type { Database } from '../store/schema';
import { inTransaction, type ServiceContext } from './context';

const SECRET_NAME = 'unsubscribe';

export type UnsubscribeSource = 'one_click' | 'page';

export interface Suppression {
  email: string;
  source: string;
  createdAt: string;
}

const encode = (text: string) => Buffer.from(text, 'utf8').toString('base64url');

export class EmailPreferenceService {
  private secret: Promise<Buffer> | null = null;

  constructor(private readonly context: ServiceContext) {}

  /** The token of an unsubscribe link for an address. */
  async token(email: string): Promise<string> {
    const address = email.trim().toLowerCase();
    return `${encode(address)}.${this.sign(await this.key(), address)}`;
  }

  /** The address a token was made for; INVALID_TOKEN when it was not made here. */
  async verify(token: string): Promise<string> {
    const [head = '', signature = ''] = token.split('.');
    const address = Buffer.from(head, 'base64url').toString('utf8');
    const expected = Buffer.from(this.sign(await this.key(), address));
    const given = Buffer.from(signature);
    if (address === '' || given.length !== expected.length || !timingSafeEqual(given, expected)) {
      throw new AppError(
        'INVALID_TOKEN',
        'This unsubscribe link is not valid: use the link from the email itself.',
      );
    }
    return address;
  }

  /** Suppresses the address a token names; doing it twice changes nothing. */
  async unsubscribe(token: string, source: UnsubscribeSource): Promise<string> {
    const email = await this.verify(token);
    const now = this.context.clock.now();
    await inTransaction(this.context, async (db) => {
      const inserted = await db
        .insertInto('email_suppressions')
        .values({ email, source, created_at: now.toISOString() })
        .onConflict((oc) => oc.column('email').doNothing())
        .executeTakeFirst();
      if (Number(inserted.numInsertedOrUpdatedRows ?? 0) === 0) return;
      await new AuditRepository(db).append({ ...SYSTEM_ACTOR, label: `unsubscribe:${source}` }, now, [
        {
          entityType: 'email',
          entityId: email,
          accountId: null,
          action: 'unsubscribed',
          changes: { source },
        },
      ]);
    });
    return email;
  }

  async list(): Promise<Suppression[]> {
    const rows = await this.context.store.db
      .selectFrom('email_suppressions')
      .selectAll()
      .orderBy('created_at', 'desc')
      .execute();
    return rows.map((row) => ({ email: row.email, source: row.source, createdAt: row.created_at }));
  }

  private sign(key: Buffer, address: string): string {
    return createHmac('sha256', key).update(`unsubscribe:${address}`).digest('base64url');
  }

  /** The store's signing secret, made on first use (and the same for every process on the store). */
  private key(): Promise<Buffer> {
    this.secret ??= (async () => {
      const db = this.context.store.db;
      await db
        .insertInto('server_secrets')
        .values({
          name: SECRET_NAME,
          value: randomBytes(32).toString('base64'),
          created_at: this.context.clock.now().toISOString(),
        })
        .onConflict((oc) => oc.column('name').doNothing())
        .execute();
      const row = await db
        .selectFrom('server_secrets')
        .select('value')
        .where('name', '=', SECRET_NAME)
        .executeTakeFirstOrThrow();
      return Buffer.from(row.value, 'base64');
    })();
    return this.secret;
  }
}

/** The addresses among `emails` that unsubscribed (lower-cased). */
export async function suppressedAmong(db: Kysely<Database>, emails: readonly string[]): Promise<Set<string>> {
  const wanted = [...new Set(emails.map((email) => email.trim().toLowerCase()))];
  if (wanted.length === 0) return new Set();
  const rows = await db
    .selectFrom('email_suppressions')
    .select('email')
    .where('email', 'in', wanted)
    .execute();
  return new Set(rows.map((row) => row.email));
}

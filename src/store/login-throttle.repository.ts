// Login token buckets and the clients a user logged in from before. Each check-and-take is one
// upsert, atomic on both stores, so concurrent attempts on any number of API processes never
// share a slot.
import { sql, type Kysely } from 'kysely';
import { burstMs, type LoginBucket } from '../domain/login-throttle';
import type { Database } from './schema';

export type TrustedClientKind = 'address' | 'device';

export class LoginThrottleRepository {
  constructor(private readonly db: Kysely<Database>) {}

  /**
   * Takes a slot from the bucket if it has one: the arrival time moves one interval past
   * max(arrival, now), allowed while it stays within the burst of now. False when it is empty.
   */
  async take(bucket: LoginBucket, nowMs: number): Promise<boolean> {
    const { intervalMs } = bucket.limit;
    const now = sql<number>`cast(${nowMs} as bigint)`;
    const rows = await this.db
      .insertInto('login_throttle')
      .values({ kind: bucket.limit.name, key: bucket.key, tat_ms: nowMs + intervalMs, noted_until_ms: null })
      .onConflict((conflict) =>
        conflict
          .columns(['kind', 'key'])
          .doUpdateSet({
            tat_ms: sql<number>`(case when login_throttle.tat_ms > ${now} then login_throttle.tat_ms else ${now} end) + cast(${intervalMs} as bigint)`,
          })
          .where('login_throttle.tat_ms', '<=', nowMs + burstMs(bucket.limit)),
      )
      .returning('tat_ms')
      .execute();
    return rows.length > 0;
  }

  /** Gives back one slot taken earlier. */
  async giveBack(bucket: LoginBucket): Promise<void> {
    await this.db
      .updateTable('login_throttle')
      .set({ tat_ms: sql<number>`tat_ms - cast(${bucket.limit.intervalMs} as bigint)` })
      .where('kind', '=', bucket.limit.name)
      .where('key', '=', bucket.key)
      .execute();
  }

  /** Fills the bucket again. */
  async reset(bucket: LoginBucket): Promise<void> {
    await this.db
      .deleteFrom('login_throttle')
      .where('kind', '=', bucket.limit.name)
      .where('key', '=', bucket.key)
      .execute();
  }

  /** The bucket's arrival time, or null when it is full. */
  async arrivalTime(bucket: LoginBucket): Promise<number | null> {
    const row = await this.db
      .selectFrom('login_throttle')
      .select('tat_ms')
      .where('kind', '=', bucket.limit.name)
      .where('key', '=', bucket.key)
      .executeTakeFirst();
    return row ? Number(row.tat_ms) : null;
  }

  /**
   * Claims the right to note a throttled bucket (in the audit log) until `untilMs`; true for the
   * one caller that claims it, false while an earlier claim lasts.
   */
  async claimNote(bucket: LoginBucket, nowMs: number, untilMs: number): Promise<boolean> {
    const result = await this.db
      .updateTable('login_throttle')
      .set({ noted_until_ms: untilMs })
      .where('kind', '=', bucket.limit.name)
      .where('key', '=', bucket.key)
      .where((eb) => eb.or([eb('noted_until_ms', 'is', null), eb('noted_until_ms', '<=', nowMs)]))
      .executeTakeFirst();
    return Number(result.numUpdatedRows) > 0;
  }

  /** Forgets full buckets: a missing row is a full bucket. */
  async pruneFull(nowMs: number): Promise<void> {
    await this.db.deleteFrom('login_throttle').where('tat_ms', '<', nowMs).execute();
  }

  /** Whether the user logged in from this client (of this kind and key) and it is still trusted. */
  async isTrusted(userId: number, kind: TrustedClientKind, key: string, nowMs: number): Promise<boolean> {
    const row = await this.db
      .selectFrom('login_trusted_clients')
      .select('user_id')
      .where('user_id', '=', userId)
      .where('kind', '=', kind)
      .where('key', '=', key)
      .where('trusted_until_ms', '>', nowMs)
      .executeTakeFirst();
    return row !== undefined;
  }

  /** Trusts the client for the user until `untilMs` (extending an earlier trust). */
  async trust(userId: number, kind: TrustedClientKind, key: string, untilMs: number): Promise<void> {
    await this.db
      .insertInto('login_trusted_clients')
      .values({ user_id: userId, kind, key, trusted_until_ms: untilMs })
      .onConflict((conflict) =>
        conflict.columns(['user_id', 'kind', 'key']).doUpdateSet({ trusted_until_ms: untilMs }),
      )
      .execute();
  }

  async distrust(userId: number, kind: TrustedClientKind, key: string): Promise<void> {
    await this.db
      .deleteFrom('login_trusted_clients')
      .where('user_id', '=', userId)
      .where('kind', '=', kind)
      .where('key', '=', key)
      .execute();
  }

  /** Forgets the user's clients whose trust has ended, and all but the `keep` newest of each kind. */
  async pruneTrust(userId: number, nowMs: number, keep: number): Promise<void> {
    await this.db
      .deleteFrom('login_trusted_clients')
      .where('user_id', '=', userId)
      .where('trusted_until_ms', '<=', nowMs)
      .execute();
    for (const kind of ['address', 'device'] as const) {
      await this.db
        .deleteFrom('login_trusted_clients')
        .where('user_id', '=', userId)
        .where('kind', '=', kind)
        .where((eb) =>
          eb(
            'key',
            'not in',
            eb
              .selectFrom('login_trusted_clients as newest')
              .select('newest.key')
              .where('newest.user_id', '=', userId)
              .where('newest.kind', '=', kind)
              .orderBy('newest.trusted_until_ms', 'desc')
              .limit(keep),
          ),
        )
        .execute();
    }
  }
}

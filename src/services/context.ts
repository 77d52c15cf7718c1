// What every service needs: the store and the clock.
import type { Kysely } from 'kysely';
import { transactionCommitted } from '../store/account-writes';
import type { Store } from '../store/db';
import type { Database } from '../store/schema';
import type { Clock } from './clock';

export interface ServiceContext {
  store: Store;
  clock: Clock;
}

/** Runs `work` in one database transaction: all of it is written, or none. */
export function inTransaction<T>(
  context: ServiceContext,
  work: (db: Kysely<Database>) => Promise<T>,
): Promise<T> {
  return committed(context, context.store.db, work);
}

/**
 * `inTransaction` for a long, large write (an import): on the store's bulk connection where it has
 * one (see Store.bulk), so the server keeps answering while it runs and commits.
 */
export function inBulkTransaction<T>(
  context: ServiceContext,
  work: (db: Kysely<Database>) => Promise<T>,
): Promise<T> {
  return committed(context, context.store.bulk ?? context.store.db, work);
}

async function committed<T>(
  context: ServiceContext,
  db: Kysely<Database>,
  work: (db: Kysely<Database>) => Promise<T>,
): Promise<T> {
  let used: Kysely<Database> | null = null;
  const result = await db.transaction().execute((trx) => {
    used = trx;
    return work(trx);
  });
  if (used) transactionCommitted(db, used);
  return result;
}

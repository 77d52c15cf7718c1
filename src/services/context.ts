// What every service needs: the store and the clock.
import type { Kysely } from 'kysely';
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
  return context.store.db.transaction().execute(work);
}

/**
 * `inTransaction` for a long, large write (an import): on the store's bulk connection where it has
 * one (see Store.bulk), so the server keeps answering while it runs and commits.
 */
export function inBulkTransaction<T>(
  context: ServiceContext,
  work: (db: Kysely<Database>) => Promise<T>,
): Promise<T> {
  return (context.store.bulk ?? context.store.db).transaction().execute(work);
}

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

// Who hears, in this process, that the accounts table changed: a write outside a transaction as
// soon as it is done, a transaction's writes once it commits. (Other processes hear of it through
// the store's own notice: see migration 013.)
import type { Kysely } from 'kysely';
import type { Database } from './schema';

const listeners = new WeakMap<Kysely<Database>, Set<() => void>>();
const touched = new WeakSet<Kysely<Database>>();

/** Calls `listener` after each committed change to accounts made through `db` (a store's root). */
export function onAccountsWritten(db: Kysely<Database>, listener: () => void): () => void {
  let set = listeners.get(db);
  if (!set) listeners.set(db, (set = new Set()));
  set.add(listener);
  return () => set.delete(listener);
}

/** Every write to the accounts table calls this with the connection it wrote through. */
export function accountsWritten(db: Kysely<Database>): void {
  if (db.isTransaction) touched.add(db);
  else notify(db);
}

/** After `trx`, a transaction begun on the root `db`, committed. */
export function transactionCommitted(db: Kysely<Database>, trx: Kysely<Database>): void {
  if (touched.has(trx)) notify(db);
}

function notify(db: Kysely<Database>): void {
  for (const listener of listeners.get(db) ?? []) listener();
}

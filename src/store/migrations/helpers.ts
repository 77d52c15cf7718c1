// Shared by the migrations (which never import application code): dialect checks and tables with
// an auto-numbered integer key on either store.
import { PostgresAdapter, type Kysely } from 'kysely';

export type Db = Kysely<unknown>;

export const isPostgres = (db: Db) => db.getExecutor().adapter instanceof PostgresAdapter;

/** A table with an auto-numbered integer primary key `id`. */
export function tableWithId(db: Db, name: string) {
  return db.schema
    .createTable(name)
    .addColumn('id', 'integer', (col) =>
      isPostgres(db) ? col.primaryKey().generatedByDefaultAsIdentity() : col.primaryKey().autoIncrement(),
    );
}

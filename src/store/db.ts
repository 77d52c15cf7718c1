// Opens the store: an embedded SQLite file by default, PostgreSQL when given a postgres:// URL.
// Migrations run on open, so every process sees the current schema.
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import {
  CompiledQuery,
  Kysely,
  Migrator,
  PostgresDialect,
  SqliteDialect,
  type DatabaseConnection,
  type Dialect,
  type Migration,
  type MigrationProvider,
} from 'kysely';
import pg from 'pg';
import * as foundation from './migrations/001-foundation';
import * as signals from './migrations/002-signals';
import * as health from './migrations/003-health';
import * as detection from './migrations/004-detection';
import * as segment from './migrations/005-segment';
import * as savedSegments from './migrations/006-saved-segments';
import * as kpiSnapshots from './migrations/007-kpi-snapshots';
import * as huddles from './migrations/008-huddles';
import * as separationSurveys from './migrations/009-separation-surveys';
import * as playbooks from './migrations/010-playbooks';
import * as changeFeed from './migrations/011-change-feed';
import * as loginThrottle from './migrations/012-login-throttle';
import type { Database } from './schema';
import { splitSqliteDialect } from './sqlite-driver';

export type StoreKind = 'sqlite' | 'postgres';

export interface Store {
  db: Kysely<Database>;
  kind: StoreKind;
  /** Where the data lives, without credentials: a file path or host/database. */
  location: string;
  /** SQLite only: an online, consistent copy of the store to `path` while it stays in use. */
  backup?: (path: string) => Promise<void>;
  /**
   * PostgreSQL only: calls `onNotify` whenever a transaction that changed the audit log commits, in
   * any process on the store. Resolves to a function that stops listening.
   */
  listenForChanges?: (onNotify: () => void) => Promise<() => Promise<void>>;
  close(): Promise<void>;
}

export const DEFAULT_SQLITE_PATH = './data/retain.db';

const MIGRATIONS: Record<string, Migration> = {
  '001-foundation': foundation,
  '002-signals': signals,
  '003-health': health,
  '004-detection': detection,
  '005-segment': segment,
  '006-saved-segments': savedSegments,
  '007-kpi-snapshots': kpiSnapshots,
  '008-huddles': huddles,
  '009-separation-surveys': separationSurveys,
  '010-playbooks': playbooks,
  '011-change-feed': changeFeed,
  '012-login-throttle': loginThrottle,
};

/** The migrations this version of Retain knows, by name. */
export const MIGRATION_NAMES: readonly string[] = Object.keys(MIGRATIONS);

const provider: MigrationProvider = { getMigrations: () => Promise.resolve(MIGRATIONS) };

// PostgreSQL returns 64-bit integers (counts, sums) as strings; every number here fits a double.
pg.types.setTypeParser(pg.types.builtins.INT8, (value) => Number(value));
pg.types.setTypeParser(pg.types.builtins.NUMERIC, (value) => Number(value));

/** Picks the store from an explicit target, then DATABASE_URL, then the default SQLite file. */
export function resolveStoreTarget(explicit?: string): string {
  return explicit ?? process.env.DATABASE_URL ?? DEFAULT_SQLITE_PATH;
}

export function isPostgresTarget(target: string): boolean {
  return /^postgres(ql)?:\/\//.test(target);
}

/** Opens a store and brings its schema up to date. */
export async function openStore(target: string, options: { migrate?: boolean } = {}): Promise<Store> {
  const store = isPostgresTarget(target) ? openPostgres(target) : openSqlite(target);
  if (options.migrate ?? true) {
    try {
      await migrateStore(store.db);
    } catch (error) {
      await store.close();
      throw error;
    }
  }
  return store;
}

const NUMBER_TEXT = /^\s*-?[0-9]+(\.[0-9]+)?\s*$/;

function openSqlite(path: string): Store {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  const sqlite = new SqliteDatabase(path);
  // WAL lets readers run beside the writer; FULL sync makes every committed transaction durable.
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('synchronous = FULL');
  sqlite.pragma('foreign_keys = ON');
  prepareConnection(sqlite);
  // A file gets a second connection for reads (see sqlite-driver); an in-memory database is one
  // connection's own, so it keeps a single one.
  const reader = path === ':memory:' ? null : prepareConnection(new SqliteDatabase(path));
  const db = new Kysely<Database>({
    dialect: reader
      ? splitSqliteDialect(sqlite, reader)
      : immediateTransactions(new SqliteDialect({ database: sqlite })),
  });
  return {
    db,
    kind: 'sqlite',
    location: path,
    backup: async (to) => {
      await sqlite.backup(to);
    },
    close: () => db.destroy(),
  };
}

/** What every connection to a store needs: a wait for locks, and the functions queries call. */
function prepareConnection(sqlite: SqliteDatabase.Database): SqliteDatabase.Database {
  sqlite.pragma('busy_timeout = 10000');
  // Segment filters compare attributes (kept as text) as numbers only when they are numbers; the same
  // test PostgreSQL does with a regular expression.
  sqlite.function('retain_number', { deterministic: true }, (value: unknown) => {
    if (typeof value === 'number') return value;
    return typeof value === 'string' && NUMBER_TEXT.test(value) ? Number(value) : null;
  });
  return sqlite;
}

/**
 * SQLite transactions that take the write lock when they begin (`BEGIN IMMEDIATE`). A deferred
 * transaction that reads, then writes after another process committed, fails at once with
 * "database is locked" instead of waiting; taking the lock up front makes it wait its turn
 * (busy_timeout), so a server, a worker and an import can share one file.
 */
function immediateTransactions(dialect: SqliteDialect): Dialect {
  return {
    createAdapter: () => dialect.createAdapter(),
    createQueryCompiler: () => dialect.createQueryCompiler(),
    createIntrospector: (db) => dialect.createIntrospector(db),
    createDriver: () => {
      const driver = dialect.createDriver();
      driver.beginTransaction = async (connection: DatabaseConnection) => {
        await connection.executeQuery(CompiledQuery.raw('begin immediate'));
      };
      return driver;
    },
  };
}

function openPostgres(url: string): Store {
  const pool = new pg.Pool({ connectionString: url, max: 10 });
  // An idle client whose server connection ends (restart, dropped database) must not crash the
  // process; the pool discards it and the next query opens a fresh connection.
  pool.on('error', () => undefined);
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  const parsed = new URL(url);
  return {
    db,
    kind: 'postgres',
    location: `${parsed.hostname}:${parsed.port || '5432'}${parsed.pathname}`,
    listenForChanges: async (onNotify) => {
      // LISTEN holds its connection for as long as it listens: a client of its own, not the pool's.
      const client = new pg.Client({ connectionString: url });
      client.on('error', () => undefined);
      client.on('notification', () => onNotify());
      await client.connect();
      await client.query('LISTEN retain_changes');
      return () => client.end();
    },
    close: () => db.destroy(),
  };
}

/** Runs pending migrations; throws with the failing migration's name. */
export async function migrateStore(db: Kysely<Database>): Promise<string[]> {
  const migrator = new Migrator({ db, provider });
  const { error, results } = await migrator.migrateToLatest();
  if (error) {
    const failed = results?.find((result) => result.status === 'Error')?.migrationName ?? 'unknown';
    const message = error instanceof Error ? error.message : JSON.stringify(error);
    throw new Error(`migration ${failed} failed: ${message}`, { cause: error });
  }
  return (results ?? [])
    .filter((result) => result.status === 'Success')
    .map((result) => result.migrationName);
}

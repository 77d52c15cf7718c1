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
import * as accountNotify from './migrations/013-account-notify';
import * as accountNameOrder from './migrations/014-account-name-order';
import * as segmentUsers from './migrations/015-segment-users';
import * as emailSuppressions from './migrations/016-email-suppressions';
import * as importMappings from './migrations/017-import-mappings';
import * as passwordLinks from './migrations/018-password-links';
import * as savedViews from './migrations/020-saved-views';
import * as notifications from './migrations/019-notifications';
import * as kpiBackfill from './migrations/021-kpi-backfill';
import * as passwordReset from './migrations/022-password-reset';
import * as ruleHolding from './migrations/023-rule-holding';
import * as pastDuePlayName from './migrations/024-past-due-play-name';
import type { Database } from './schema';
import { Checkpointer, JOURNAL_SIZE_LIMIT } from './sqlite-checkpointer';
import { sqliteBulkWriterDialect } from './sqlite-bulk-writer';
import { Mutex, splitSqliteDialect } from './sqlite-driver';

export type StoreKind = 'sqlite' | 'postgres';

export interface Store {
  db: Kysely<Database>;
  /**
   * For long write transactions (imports), where the store has a better way than `db`: on a SQLite
   * file their statements run on a worker thread, so that a commit of a million rows does not stop
   * the server. The same database and writer lock as `db`.
   */
  bulk?: Kysely<Database>;
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
  /**
   * PostgreSQL only: calls `onNotify` whenever a transaction that changed the accounts table
   * commits, in any process, and `onLost` if the connection that listens ends. Resolves to a
   * function that stops listening.
   */
  listenForAccountChanges?: (onNotify: () => void, onLost: () => void) => Promise<() => Promise<void>>;
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
  '013-account-notify': accountNotify,
  '014-account-name-order': accountNameOrder,
  '015-segment-users': segmentUsers,
  '016-email-suppressions': emailSuppressions,
  '017-import-mappings': importMappings,
  '018-password-links': passwordLinks,
  '020-saved-views': savedViews,
  '019-notifications': notifications,
  '021-kpi-backfill': kpiBackfill,
  '022-password-reset': passwordReset,
  '023-rule-holding': ruleHolding,
  '024-past-due-play-name': pastDuePlayName,
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

// WAL lets readers run beside the writer; FULL sync makes every committed transaction durable.
const WRITER_PRAGMAS = ['synchronous = FULL', 'foreign_keys = ON'];
/**
 * How long a connection waits for another's lock where the wait stops no request: the bulk writer's
 * worker thread, and an in-memory store (no other connection shares it).
 */
const BUSY_TIMEOUT = 'busy_timeout = 10000';

/**
 * Segment filters compare attributes (kept as text) as numbers only when they are numbers; the same
 * test PostgreSQL does with a regular expression. Self-contained: the bulk writer's worker thread
 * compiles it from its source.
 */
function retainNumber(value: unknown): number | null {
  if (typeof value === 'number') return value;
  return typeof value === 'string' && /^\s*-?[0-9]+(\.[0-9]+)?\s*$/.test(value) ? Number(value) : null;
}

function openSqlite(path: string): Store {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  const sqlite = new SqliteDatabase(path);
  sqlite.pragma('journal_mode = WAL');
  for (const pragma of WRITER_PRAGMAS) sqlite.pragma(pragma);
  if (path === ':memory:') {
    prepareConnection(sqlite, BUSY_TIMEOUT);
    // An in-memory database is one connection's own: it keeps a single one.
    const db = new Kysely<Database>({
      dialect: immediateTransactions(new SqliteDialect({ database: sqlite })),
    });
    return { db, kind: 'sqlite', location: path, close: () => db.destroy() };
  }
  // A file gets a second connection for reads (see sqlite-driver), checkpoints off the event loop
  // (see sqlite-checkpointer), and long transactions on a worker thread (see sqlite-bulk-writer).
  const checkpointer = new Checkpointer(path);
  const ownCheckpoints = ['wal_autocheckpoint = 0', `journal_size_limit = ${JOURNAL_SIZE_LIMIT}`];
  for (const pragma of ownCheckpoints) sqlite.pragma(pragma);
  // The main thread's connections wait for locks with timers, not SQLite's sleep (see whenFree).
  prepareConnection(sqlite, 'busy_timeout = 0');
  const reader = prepareConnection(new SqliteDatabase(path), 'busy_timeout = 0');
  reader.pragma('wal_autocheckpoint = 0');
  const writerLock = new Mutex();
  const afterCommit = () => checkpointer.afterCommit();
  const db = new Kysely<Database>({
    dialect: splitSqliteDialect(sqlite, reader, writerLock, afterCommit),
  });
  const bulk = new Kysely<Database>({
    dialect: sqliteBulkWriterDialect({
      path,
      writerLock,
      pragmas: [...WRITER_PRAGMAS, BUSY_TIMEOUT, ...ownCheckpoints],
      functions: [['retain_number', retainNumber.toString()]],
      afterCommit,
    }),
  });
  return {
    db,
    bulk,
    kind: 'sqlite',
    location: path,
    backup: async (to) => {
      await sqlite.backup(to);
    },
    close: async () => {
      await checkpointer.close();
      await bulk.destroy();
      await db.destroy();
    },
  };
}

/** What every connection to a store needs: how it waits for locks, and the functions queries call. */
function prepareConnection(sqlite: SqliteDatabase.Database, busyTimeout: string): SqliteDatabase.Database {
  sqlite.pragma(busyTimeout);
  sqlite.function('retain_number', { deterministic: true }, retainNumber);
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
  const listeners = new Set<() => Promise<void>>();
  const parsed = new URL(url);
  return {
    db,
    kind: 'postgres',
    location: `${parsed.hostname}:${parsed.port || '5432'}${parsed.pathname}`,
    listenForChanges: (onNotify) => listen(url, 'retain_changes', onNotify, () => undefined, listeners),
    listenForAccountChanges: (onNotify, onLost) =>
      listen(url, 'retain_accounts', onNotify, onLost, listeners),
    close: async () => {
      // A listener still open would keep the process alive.
      await Promise.all([...listeners].map((stop) => stop()));
      await db.destroy();
    },
  };
}

/** LISTEN holds its connection for as long as it listens: a client of its own, not the pool's. */
async function listen(
  url: string,
  channel: string,
  onNotify: () => void,
  onLost: () => void,
  open: Set<() => Promise<void>>,
): Promise<() => Promise<void>> {
  const client = new pg.Client({ connectionString: url });
  let stopped = false;
  const stop = async () => {
    open.delete(stop);
    if (stopped) return;
    stopped = true;
    await client.end().catch(() => undefined);
  };
  client.on('error', () => undefined);
  client.on('end', () => {
    open.delete(stop);
    if (!stopped) onLost();
  });
  client.on('notification', () => onNotify());
  open.add(stop);
  try {
    await client.connect();
    await client.query(`LISTEN ${channel}`);
  } catch (error) {
    await stop();
    throw error;
  }
  return stop;
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

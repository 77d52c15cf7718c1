// A Kysely driver for SQLite with two connections to one WAL file: a writer, which transactions and
// writes take in turn, and a reader for every read-only statement outside a transaction. With a
// single connection, one long transaction (a million-row import) made every other request wait for
// it; in WAL mode a reader sees the last committed state while the writer works, as on PostgreSQL.
import type SqliteDatabase from 'better-sqlite3';
import { isStoreBusy } from './errors';
import type { CompiledQuery } from 'kysely';
import {
  SelectQueryNode,
  SqliteAdapter,
  SqliteIntrospector,
  SqliteQueryCompiler,
  type DatabaseConnection,
  type Dialect,
  type Driver,
  type Kysely,
  type QueryResult,
} from 'kysely';

type Sqlite = SqliteDatabase.Database;

/** Waits its turn: one holder at a time, in the order they asked. */
export class Mutex {
  private tail: Promise<void> = Promise.resolve();

  async lock(): Promise<() => void> {
    let release!: () => void;
    const previous = this.tail;
    this.tail = new Promise<void>((resolve) => (release = resolve));
    await previous;
    return release;
  }
}

/** How long a statement waits for another process's write lock before it fails with SQLITE_BUSY. */
const BUSY_WAIT_MS = 10_000;

/**
 * Runs `attempt` until the file is not busy. The main thread's connections have no busy timeout of
 * their own: SQLite's waits by sleeping on the calling thread, so a CLI import in another process
 * holding the write lock stopped the whole server, health checks included. Here the wait is a
 * timer, and every other request goes on meanwhile.
 */
export async function whenFree<T>(attempt: () => T): Promise<T> {
  const started = performance.now();
  for (let pause = 1; ; pause = Math.min(pause * 2, 50)) {
    try {
      return attempt();
    } catch (error) {
      if (!isStoreBusy(error) || performance.now() - started >= BUSY_WAIT_MS) throw error;
    }
    await new Promise((resolve) => setTimeout(resolve, pause));
  }
}

function run(db: Sqlite, query: CompiledQuery): QueryResult<unknown> {
  const statement = db.prepare(query.sql);
  const parameters = query.parameters as unknown[];
  if (statement.reader) return { rows: statement.all(parameters) };
  const { changes, lastInsertRowid } = statement.run(parameters);
  return { numAffectedRows: BigInt(changes), insertId: BigInt(lastInsertRowid), rows: [] };
}

/**
 * One logical connection. Inside a transaction everything goes to the writer, which it holds until
 * commit or rollback; outside, read-only statements go to the reader and any other statement takes
 * the writer for just that statement.
 */
class SplitConnection implements DatabaseConnection {
  release: (() => void) | null = null;

  constructor(
    private readonly writer: Sqlite,
    private readonly reader: Sqlite,
    private readonly writerLock: Mutex,
    private readonly readOnlyCache: Map<string, boolean>,
    private readonly afterCommit: () => void,
  ) {}

  /**
   * Whether a statement only reads, as SQLite itself says when the writer compiles it: the writer's
   * view of the schema is the current one (the reader's may lag behind a change it has not read yet).
   */
  private readOnly(sql: string): boolean {
    let known = this.readOnlyCache.get(sql);
    if (known === undefined) {
      known = this.writer.prepare(sql).readonly;
      if (this.readOnlyCache.size >= READ_ONLY_CACHE_SIZE) this.readOnlyCache.clear();
      this.readOnlyCache.set(sql, known);
    }
    return known;
  }

  async executeQuery<R>(query: CompiledQuery): Promise<QueryResult<R>> {
    // Inside a transaction the writer holds the write lock already: nothing can be busy.
    if (this.release) return run(this.writer, query) as QueryResult<R>;
    if (this.readOnly(query.sql)) return (await whenFree(() => run(this.reader, query))) as QueryResult<R>;
    const release = await this.writerLock.lock();
    try {
      return (await whenFree(() => run(this.writer, query))) as QueryResult<R>;
    } finally {
      release();
      this.afterCommit();
    }
  }

  // eslint-disable-next-line @typescript-eslint/require-await -- the interface is an async iterator
  async *streamQuery<R>(query: CompiledQuery): AsyncIterableIterator<QueryResult<R>> {
    if (!SelectQueryNode.is(query.query)) throw new Error('SQLite streams only select queries');
    const db = this.release ? this.writer : this.reader;
    for (const row of db.prepare(query.sql).iterate(query.parameters)) yield { rows: [row as R] };
  }
}

/** Statements whose kind is remembered (Kysely's statements repeat; raw ones may not). */
const READ_ONLY_CACHE_SIZE = 2000;

/** A connection that holds the writer lock while its transaction is open. */
export interface LockHolder {
  release: (() => void) | null;
}

/**
 * Transactions under the writer lock, shared by the main driver and the bulk writer: begin takes
 * the lock, then runs `begin immediate` (the write lock is taken now: a transaction that read, then
 * wrote after another process committed, would fail with "database is locked" instead of waiting
 * its turn); commit or rollback gives it back, and a commit calls `afterCommit`.
 */
export abstract class WriterLockDriver {
  constructor(
    protected readonly writerLock: Mutex,
    protected readonly afterCommit: () => void,
  ) {}

  /** Runs a statement that returns nothing (begin, commit, rollback) on the writing connection. */
  protected abstract control(sql: 'begin immediate' | 'commit' | 'rollback'): Promise<void>;

  async beginTransaction(connection: DatabaseConnection): Promise<void> {
    const release = await this.writerLock.lock();
    try {
      await this.control('begin immediate');
    } catch (error) {
      release();
      throw error;
    }
    (connection as unknown as LockHolder).release = release;
  }

  commitTransaction(connection: DatabaseConnection): Promise<void> {
    return this.end(connection as unknown as LockHolder, 'commit');
  }

  rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    return this.end(connection as unknown as LockHolder, 'rollback');
  }

  private async end(connection: LockHolder, how: 'commit' | 'rollback'): Promise<void> {
    const release = connection.release;
    connection.release = null;
    try {
      await this.control(how);
    } finally {
      release?.();
    }
    if (how === 'commit') this.afterCommit();
  }
}

class SplitDriver extends WriterLockDriver implements Driver {
  private readonly readOnlyCache = new Map<string, boolean>();

  constructor(
    private readonly writer: Sqlite,
    private readonly reader: Sqlite,
    writerLock: Mutex,
    afterCommit: () => void,
  ) {
    super(writerLock, afterCommit);
  }

  async init(): Promise<void> {}

  protected control(sql: string): Promise<void> {
    return whenFree(() => {
      this.writer.exec(sql);
    });
  }

  acquireConnection(): Promise<DatabaseConnection> {
    return Promise.resolve(
      new SplitConnection(this.writer, this.reader, this.writerLock, this.readOnlyCache, this.afterCommit),
    );
  }

  async releaseConnection(): Promise<void> {}

  destroy(): Promise<void> {
    this.reader.close();
    this.writer.close();
    return Promise.resolve();
  }
}

/**
 * The SQLite dialect over a writer and a reader connection to the same file. Writes take
 * `writerLock` (shared with the bulk writer); `afterCommit` runs after each write that committed
 * (the checkpointer's cue).
 */
export function splitSqliteDialect(
  writer: Sqlite,
  reader: Sqlite,
  writerLock: Mutex,
  afterCommit: () => void,
): Dialect {
  return {
    createAdapter: () => new SqliteAdapter(),
    createDriver: () => new SplitDriver(writer, reader, writerLock, afterCommit),
    createQueryCompiler: () => new SqliteQueryCompiler(),
    createIntrospector: (db: Kysely<unknown>) => new SqliteIntrospector(db),
  };
}

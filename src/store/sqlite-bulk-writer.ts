// A Kysely dialect for long write transactions on SQLite (imports), whose statements run on a
// connection in a worker thread. better-sqlite3 runs every statement on the thread that calls it,
// so the commit of a million-row transaction (SQLite reads back and re-checksums the WAL frames the
// transaction rewrote, hundreds of megabytes) stopped the server for most of a second. Here the
// event loop only waits for answers. The transaction takes the same writer lock as the main
// connection's (see sqlite-driver), so writes still happen one at a time.
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import SqliteDatabase from 'better-sqlite3';
import type { CompiledQuery } from 'kysely';
import {
  SqliteAdapter,
  SqliteIntrospector,
  SqliteQueryCompiler,
  type DatabaseConnection,
  type Dialect,
  type Driver,
  type Kysely,
  type QueryResult,
} from 'kysely';
import { WriterLockDriver, type Mutex } from './sqlite-driver';

interface Answer {
  id: number;
  rows?: unknown[];
  changes?: number;
  lastInsertRowid?: number | bigint;
  error?: { message: string; code: string | undefined };
}

// Plain CommonJS for `new Worker(..., { eval: true })`: the worker needs no loader for TypeScript.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.path);
for (const pragma of workerData.pragmas) db.pragma(pragma);
for (const [name, source] of workerData.functions)
  db.function(name, { deterministic: true }, new Function('return ' + source)());
const statements = new Map();
parentPort.on('message', ({ id, sql, parameters }) => {
  if (id === 0) {
    db.close();
    parentPort.close();
    return;
  }
  try {
    let statement = statements.get(sql);
    if (!statement) {
      statement = db.prepare(sql);
      if (statements.size >= 500) statements.clear();
      statements.set(sql, statement);
    }
    if (statement.reader) parentPort.postMessage({ id, rows: statement.all(parameters) });
    else {
      const { changes, lastInsertRowid } = statement.run(parameters);
      parentPort.postMessage({ id, changes, lastInsertRowid });
    }
  } catch (error) {
    parentPort.postMessage({ id, error: { message: String(error && error.message), code: error && error.code } });
  }
});
`;

/** better-sqlite3's entry, for the worker threads that open connections of their own. */
export const SQLITE_DRIVER_PATH = createRequire(import.meta.url).resolve('better-sqlite3');

export interface BulkWriterOptions {
  path: string;
  /** The lock the main connection's writes take: a bulk transaction holds it from begin to end. */
  writerLock: Mutex;
  /** Pragmas every connection of the store runs when it opens. */
  pragmas: readonly string[];
  /** SQL functions: name and a self-contained JavaScript function's source. */
  functions: readonly (readonly [string, string])[];
  afterCommit: () => void;
}

class WorkerClient {
  private readonly worker: Worker;
  private nextId = 1;
  private readonly waiting = new Map<
    number,
    { resolve: (answer: Answer) => void; reject: (error: Error) => void }
  >();

  constructor(options: BulkWriterOptions) {
    this.worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: {
        path: options.path,
        driver: SQLITE_DRIVER_PATH,
        pragmas: options.pragmas,
        functions: options.functions,
      },
    });
    this.worker.unref();
    this.worker.on('message', (answer: Answer) => {
      const waiter = this.waiting.get(answer.id);
      this.waiting.delete(answer.id);
      waiter?.resolve(answer);
    });
    const fail = (error: Error) => {
      for (const waiter of this.waiting.values()) waiter.reject(error);
      this.waiting.clear();
    };
    this.worker.on('error', fail);
    this.worker.on('exit', () => fail(new Error('the SQLite bulk writer stopped')));
  }

  async run(sql: string, parameters: readonly unknown[]): Promise<Answer> {
    const id = this.nextId++;
    // The worker keeps the process alive only while a statement is on its way.
    if (this.waiting.size === 0) this.worker.ref();
    const answer = await new Promise<Answer>((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      this.worker.postMessage({ id, sql, parameters });
    }).finally(() => {
      if (this.waiting.size === 0) this.worker.unref();
    });
    if (answer.error)
      throw new SqliteDatabase.SqliteError(answer.error.message, answer.error.code ?? 'SQLITE_ERROR');
    return answer;
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      // Waiting for the worker to end must keep the process alive until it has.
      this.worker.ref();
      this.worker.once('exit', () => resolve());
      this.worker.postMessage({ id: 0 });
    });
  }
}

class BulkConnection implements DatabaseConnection {
  release: (() => void) | null = null;

  constructor(
    private readonly client: WorkerClient,
    private readonly writerLock: Mutex,
  ) {}

  async executeQuery<R>(query: CompiledQuery): Promise<QueryResult<R>> {
    const release = this.release ? null : await this.writerLock.lock();
    try {
      const answer = await this.client.run(query.sql, query.parameters);
      if (answer.rows) return { rows: answer.rows as R[] };
      return {
        numAffectedRows: BigInt(answer.changes ?? 0),
        insertId: BigInt(answer.lastInsertRowid ?? 0),
        rows: [],
      };
    } finally {
      release?.();
    }
  }

  // eslint-disable-next-line require-yield -- the interface is an async iterator
  async *streamQuery<R>(): AsyncIterableIterator<QueryResult<R>> {
    await Promise.resolve();
    throw new Error('the SQLite bulk writer does not stream');
  }
}

class BulkDriver extends WriterLockDriver implements Driver {
  private client: WorkerClient | null = null;

  constructor(private readonly options: BulkWriterOptions) {
    super(options.writerLock, options.afterCommit);
  }

  protected async control(sql: string): Promise<void> {
    await this.clientOf().run(sql, []);
  }

  async init(): Promise<void> {}

  acquireConnection(): Promise<DatabaseConnection> {
    // The worker starts with the first bulk transaction: a process that never imports has none.
    this.client ??= new WorkerClient(this.options);
    return Promise.resolve(new BulkConnection(this.client, this.options.writerLock));
  }

  async releaseConnection(): Promise<void> {}

  async destroy(): Promise<void> {
    const client = this.client;
    this.client = null;
    await client?.close();
  }

  private clientOf(): WorkerClient {
    if (!this.client) throw new Error('the SQLite bulk writer is closed');
    return this.client;
  }
}

/** The SQLite dialect whose statements run on a connection in a worker thread. */
export function sqliteBulkWriterDialect(options: BulkWriterOptions): Dialect {
  return {
    createAdapter: () => new SqliteAdapter(),
    createDriver: () => new BulkDriver(options),
    createQueryCompiler: () => new SqliteQueryCompiler(),
    createIntrospector: (db: Kysely<unknown>) => new SqliteIntrospector(db),
  };
}

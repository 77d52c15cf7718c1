// A SQLite WAL file's upkeep, off the event loop. Left to SQLite, two costs land inside a commit,
// while every request waits: the automatic checkpoint, which after a million-row import copied
// hundreds of megabytes from the WAL into the database file, and the commit's fsync of everything
// the transaction wrote to the WAL. Here the writer's automatic checkpoint is off, and a worker
// thread with a connection of its own does both jobs beforehand: PASSIVE checkpoints (they never
// wait for the writer or block a reader) after commits, and an fdatasync of the WAL while a long
// transaction keeps writing to it, so its commit has only the last moments left to flush. The writer
// restarts the WAL from its start once a checkpoint has copied all of it, so the file stays bounded.
import { statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

/** The WAL size from which the worker starts: SQLite's own checkpoint threshold (1000 pages). */
const THRESHOLD_BYTES = 4 * 1024 * 1024;
/** The WAL is flushed to disk once this much has been added to it since the last flush. */
const SYNC_BYTES = 16 * 1024 * 1024;
/** How often the WAL is looked at. */
const INTERVAL_MS = 1000;
/** After a restart the WAL file is cut back to this size. */
export const JOURNAL_SIZE_LIMIT = 16 * 1024 * 1024;

// Plain CommonJS for `new Worker(..., { eval: true })`: the worker needs no loader for TypeScript.
const WORKER_SOURCE = `
const { openSync, closeSync, fdatasyncSync } = require('node:fs');
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.path);
db.pragma('busy_timeout = 10000');
let wal = null;
parentPort.on('message', (job) => {
  if (job === 'close') {
    if (wal !== null) closeSync(wal);
    db.close();
    parentPort.close();
    return;
  }
  try {
    if (job === 'checkpoint') db.pragma('wal_checkpoint(PASSIVE)');
    else {
      wal ??= openSync(workerData.path + '-wal', 'r');
      fdatasyncSync(wal);
    }
  } catch (error) {
    // A job that cannot run now (the file is busy, or going away) runs at the next turn.
    if (wal !== null && job === 'sync') {
      try { closeSync(wal); } catch {}
      wal = null;
    }
  }
  parentPort.postMessage(job);
});
`;

const driverPath = createRequire(import.meta.url).resolve('better-sqlite3');

type Job = 'checkpoint' | 'sync';

export class Checkpointer {
  private worker: Worker | null = null;
  private readonly busy = new Set<Job>();
  private committed = false;
  private syncedSize = 0;
  private readonly timer: NodeJS.Timeout;
  private closed = false;

  constructor(private readonly path: string) {
    this.timer = setInterval(() => this.tick(), INTERVAL_MS);
    // The upkeep never keeps the process alive on its own.
    this.timer.unref();
  }

  /** Called after each commit; the next turn checkpoints. */
  afterCommit(): void {
    this.committed = true;
  }

  /** Stops the worker; the last connection to close checkpoints what is left. */
  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.timer);
    const worker = this.worker;
    this.worker = null;
    if (!worker) return;
    await new Promise<void>((resolve) => {
      // Waiting for the worker to end must keep the process alive until it has.
      worker.ref();
      worker.once('exit', () => resolve());
      worker.postMessage('close');
    });
  }

  private tick(): void {
    if (this.closed) return;
    const size = walSize(this.path);
    // A small store never starts the worker, nor checkpoints: SQLite would not either.
    if (!this.worker && size < THRESHOLD_BYTES) return;
    if (size < this.syncedSize) this.syncedSize = 0;
    if (size - this.syncedSize >= SYNC_BYTES && this.post('sync')) this.syncedSize = size;
    if (this.committed && this.post('checkpoint')) this.committed = false;
  }

  private post(job: Job): boolean {
    if (this.busy.has(job)) return false;
    this.busy.add(job);
    this.start().postMessage(job);
    return true;
  }

  private start(): Worker {
    if (this.worker) return this.worker;
    const worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: { path: this.path, driver: driverPath },
    });
    worker.unref();
    worker.on('message', (job: Job) => this.busy.delete(job));
    worker.on('error', () => {
      // A worker that failed is replaced at the next turn.
      if (this.worker === worker) this.worker = null;
      this.busy.clear();
    });
    this.worker = worker;
    return worker;
  }
}

function walSize(path: string): number {
  try {
    return statSync(`${path}-wal`).size;
  } catch {
    return 0;
  }
}

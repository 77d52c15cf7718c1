// SQLite WAL checkpoints, off the event loop. Left to SQLite, the automatic checkpoint runs inside
// the commit that crosses its threshold, while every request waits: after a million-row import it
// copied hundreds of megabytes from the WAL into the database file. Here the writer's automatic
// checkpoint is off, and a worker thread with a connection of its own runs PASSIVE checkpoints
// (they never wait for the writer or block a reader) after commits. The writer restarts the WAL
// from its start once a checkpoint has copied all of it, so the file stays bounded.
import { statSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { SQLITE_DRIVER_PATH } from './sqlite-bulk-writer';

/** The WAL size from which the worker starts: SQLite's own checkpoint threshold (1000 pages). */
const THRESHOLD_BYTES = 4 * 1024 * 1024;
/** How often commits are looked for: at most one checkpoint a second. */
const INTERVAL_MS = 1000;
/** After a restart the WAL file is cut back to this size. */
export const JOURNAL_SIZE_LIMIT = 16 * 1024 * 1024;

// Plain CommonJS for `new Worker(..., { eval: true })`: the worker needs no loader for TypeScript.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.path);
db.pragma('busy_timeout = 10000');
parentPort.on('message', (job) => {
  if (job === 'close') {
    db.close();
    parentPort.close();
    return;
  }
  try {
    db.pragma('wal_checkpoint(PASSIVE)');
  } catch (error) {
    // A checkpoint that cannot run now (the file is busy, or going away) runs at the next turn.
  }
  parentPort.postMessage('done');
});
`;

export class Checkpointer {
  private worker: Worker | null = null;
  /** A checkpoint is running in the worker. */
  private running = false;
  private committed = false;
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
    if (this.closed || !this.committed || this.running) return;
    // A small store never starts the worker, nor checkpoints: SQLite would not either.
    if (!this.worker && walSize(this.path) < THRESHOLD_BYTES) return;
    this.committed = false;
    this.running = true;
    this.start().postMessage('checkpoint');
  }

  private start(): Worker {
    if (this.worker) return this.worker;
    const worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: { path: this.path, driver: SQLITE_DRIVER_PATH },
    });
    worker.unref();
    worker.on('message', () => (this.running = false));
    worker.on('error', () => {
      // A worker that failed is replaced at the next turn.
      if (this.worker === worker) this.worker = null;
      this.running = false;
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

// The change feed: every committed change, as the audit log records it, pushed to whoever follows
// (the web app's live worklist, scripts reading /api/v1/events). It tails the audit log, so it sees
// changes from every writer on the store: this process, `retain worker`, a CLI import, other API
// processes. On PostgreSQL a commit notifies the feed at once (LISTEN/NOTIFY); SQLite is polled.
import { AuditRepository, type ChangeEntry } from '../store/audit.repository';
import type { ServiceContext } from './context';

export type { ChangeEntry };
export type ChangeListener = (changes: readonly ChangeEntry[]) => void;

export interface ChangeFeedOptions {
  /** How often the log is read when nothing wakes the feed sooner. */
  pollMs?: number;
}

const BATCH = 500;
// PostgreSQL hands out ids before commit, so a transaction can commit after a later id is seen.
// Missing ids are looked for again this long before they are taken for rolled-back inserts.
const GAP_PATIENCE_MS = 15_000;
// A jump wider than this is not concurrent transactions (an id range skipped after a restart).
const MAX_GAP = 200;

export class ChangeFeed {
  private readonly listeners = new Set<ChangeListener>();
  private readonly pollMs: number;
  private cursor = 0;
  private readonly gaps = new Map<number, number>();
  private starting: Promise<void> | null = null;
  private timer: NodeJS.Timeout | null = null;
  private unlisten: (() => Promise<void>) | null = null;
  private polling: Promise<void> | null = null;
  private again = false;

  constructor(
    private readonly context: ServiceContext,
    options: ChangeFeedOptions = {},
  ) {
    this.pollMs = options.pollMs ?? (context.store.kind === 'postgres' ? 2000 : 300);
  }

  /** Calls `listener` with each batch of changes committed from now on; returns how to stop. */
  async follow(listener: ChangeListener): Promise<() => void> {
    this.listeners.add(listener);
    try {
      this.starting ??= this.start();
      await this.starting;
    } catch (error) {
      this.listeners.delete(listener);
      this.starting = null;
      throw error;
    }
    return () => {
      this.listeners.delete(listener);
      if (this.listeners.size === 0) void this.stop();
    };
  }

  /** Changes after `afterId`, oldest first: what a client that lost its connection missed. */
  backlog(afterId: number, limit = 1000): Promise<ChangeEntry[]> {
    return new AuditRepository(this.context.store.db).changesAfter(afterId, limit);
  }

  /** Stops reading the log and listening, whoever still follows. */
  async close(): Promise<void> {
    this.listeners.clear();
    await this.stop();
  }

  private async start(): Promise<void> {
    this.cursor = await new AuditRepository(this.context.store.db).latestId();
    this.gaps.clear();
    const listen = this.context.store.listenForChanges;
    if (listen) this.unlisten = await listen(() => this.wake());
    this.schedule();
  }

  private async stop(): Promise<void> {
    if (this.listeners.size > 0 || !this.starting) return;
    const starting = this.starting;
    this.starting = null;
    await starting.catch(() => undefined);
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.polling;
    const unlisten = this.unlisten;
    this.unlisten = null;
    await unlisten?.().catch(() => undefined);
  }

  private schedule(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => this.wake(), this.pollMs);
    this.timer.unref();
  }

  private wake(): void {
    if (!this.starting) return;
    if (this.polling) {
      this.again = true;
      return;
    }
    this.polling = this.poll()
      .catch(() => undefined)
      .finally(() => {
        this.polling = null;
        if (!this.starting) return;
        if (this.again) {
          this.again = false;
          this.wake();
        } else this.schedule();
      });
  }

  private async poll(): Promise<void> {
    const now = Date.now();
    for (const [id, since] of this.gaps) if (now - since > GAP_PATIENCE_MS) this.gaps.delete(id);
    const repo = new AuditRepository(this.context.store.db);
    const changes = await repo.changesAfter(this.cursor, BATCH, [...this.gaps.keys()]);
    if (changes.length === 0) return;
    for (const change of changes) {
      if (change.id > this.cursor) {
        if (change.id - this.cursor <= MAX_GAP)
          for (let missing = this.cursor + 1; missing < change.id; missing += 1) this.gaps.set(missing, now);
        this.cursor = change.id;
      } else this.gaps.delete(change.id);
    }
    for (const listener of this.listeners) listener(changes);
    if (changes.length === BATCH) this.again = true;
  }
}

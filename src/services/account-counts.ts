// The totals of account lists. A count visits every row version of the table; on PostgreSQL that
// includes the uncommitted rows of an import in progress, so during a million-row import each page
// of the list cost a scan of a million rows, and twenty pages a second took both cores. A total that
// took long to count is kept, per filter, until a transaction that changes the accounts table
// commits (PostgreSQL notifies every process of it: see migration 013). A cheap count is never kept,
// and nothing is kept while that notice cannot be had.
import { onAccountsWritten } from '../store/account-writes';
import type { Store } from '../store/db';

/** A count that took at least this long is kept. */
export const EXPENSIVE_COUNT_MS = 25;
/** Totals kept at most, the least recently used dropped first. */
const MAX_TOTALS = 200;

type Listening = 'no' | 'starting' | 'yes';

export class AccountCounts {
  private readonly totals = new Map<string, number>();
  /** Moves on at every change notice: a count begun before it is not kept. */
  private generation = 0;
  private listening: Listening = 'no';
  private stopListening: (() => Promise<void>) | null = null;

  constructor(
    private readonly store: Store,
    /** A count that took at least this long is kept (tests set 0 to keep every count). */
    public expensiveMs = EXPENSIVE_COUNT_MS,
  ) {}

  /** Whether totals are being kept (PostgreSQL, once a count was expensive and notices arrive). */
  get keeping(): boolean {
    return this.listening === 'yes';
  }

  /** The total for `filter`: kept from an earlier count while the table is unchanged, or `count()`. */
  async total(filter: object, count: () => Promise<number>): Promise<number> {
    const key = JSON.stringify(Object.entries(filter).sort(([a], [b]) => a.localeCompare(b)));
    const kept = this.listening === 'yes' ? this.totals.get(key) : undefined;
    if (kept !== undefined) {
      this.totals.delete(key);
      this.totals.set(key, kept);
      return kept;
    }
    // Only a count begun while notices arrive can be kept: a change committed before listening
    // started would never be heard of.
    const listeningAtStart = this.listening === 'yes';
    const generation = this.generation;
    const started = performance.now();
    const total = await count();
    if (performance.now() - started < this.expensiveMs) return total;
    if (this.listening === 'no') void this.listen();
    if (listeningAtStart && this.listening === 'yes' && generation === this.generation) {
      this.totals.set(key, total);
      if (this.totals.size > MAX_TOTALS) this.totals.delete(this.totals.keys().next().value ?? key);
    }
    return total;
  }

  async close(): Promise<void> {
    this.forget();
    this.listening = 'no';
    const stop = this.stopListening;
    this.stopListening = null;
    await stop?.().catch(() => undefined);
  }

  /** Drops every kept total: this process committed a change to the accounts table. */
  forget(): void {
    this.generation += 1;
    this.totals.clear();
  }

  private async listen(): Promise<void> {
    const listen = this.store.listenForAccountChanges;
    if (!listen) return;
    this.listening = 'starting';
    try {
      this.stopListening = await listen(
        () => this.forget(),
        () => {
          // Notices lost: keep nothing until listening again.
          this.forget();
          this.listening = 'no';
          this.stopListening = null;
        },
      );
      if (this.listening === 'starting') this.listening = 'yes';
    } catch {
      this.listening = 'no';
    }
  }
}

// One AccountCounts per store, so that every writer in this process drops the kept totals as soon
// as its change commits, before the store's notice arrives.
const byStore = new WeakMap<Store, AccountCounts>();

/** The account totals kept for `store`. */
export function accountCounts(store: Store): AccountCounts {
  let counts = byStore.get(store);
  if (!counts) {
    const created = new AccountCounts(store);
    onAccountsWritten(store.db, () => created.forget());
    if (store.bulk) onAccountsWritten(store.bulk, () => created.forget());
    byStore.set(store, (counts = created));
  }
  return counts;
}

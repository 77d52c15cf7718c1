// The daily run, once a day after the configured hour (UTC): re-score every account, evaluate every
// detection rule, bring every saved segment's membership up to date, snapshot every KPI card and
// forget play events handled more than a month ago; tell owners of weekly updates gone overdue and
// delete read notifications older than 90 days.
// The day is claimed in the store, so with several server processes on one PostgreSQL store exactly
// one of them does the work and a restart does not repeat it; a claim that never finished (the
// process died) is taken over after an hour.
import type { Kysely } from 'kysely';
import { SYSTEM_ACTOR } from '../domain/policy';
import type { Services } from '../services';
import type { DetectionRun } from '../services/detection';
import type { ScoreRun } from '../services/health';
import type { RefreshResult } from '../services/saved-segments';
import { PlayRepository } from '../store/play.repository';
import type { Database } from '../store/schema';

const CLAIM_KEY = 'dailyRunDay';

export interface DailyRunResult {
  day: string;
  scoring: ScoreRun;
  detection: DetectionRun;
  segments: RefreshResult[];
  kpis: { day: string; values: number };
  eventsPruned: number;
  /** Owners told of a weekly update gone overdue (once per case per overdue period). */
  overdueNotified: number;
  /** Read notifications older than 90 days, deleted. */
  notificationsPruned: number;
  ms: number;
}

/** Who has the daily run: the day, when it was claimed, and whether it finished. */
interface DayClaim {
  day: string;
  claimedAt: string;
  done: boolean;
}

/** A claim not finished after this long is taken to be a crashed run, and the day runs again. */
export const STALE_CLAIM_MS = 60 * 60_000;

function readClaim(text: string): DayClaim {
  const value: unknown = JSON.parse(text);
  // Stores written before claims recorded completion hold just the day, which did finish.
  if (typeof value === 'string') return { day: value, claimedAt: '', done: true };
  const claim = value as Partial<DayClaim>;
  return { day: claim.day ?? '', claimedAt: claim.claimedAt ?? '', done: claim.done ?? true };
}

/**
 * Claims `day` for this process; false when the day is done, or another process started it less
 * than an hour ago. Every part of the run is idempotent, so a day whose run died is run again.
 */
export async function claimDay(db: Kysely<Database>, day: string, now: Date): Promise<boolean> {
  await db
    .insertInto('settings')
    .values({ key: CLAIM_KEY, value: JSON.stringify(''), updated_at: now.toISOString() })
    .onConflict((oc) => oc.column('key').doNothing())
    .execute();
  const row = await db
    .selectFrom('settings')
    .select('value')
    .where('key', '=', CLAIM_KEY)
    .executeTakeFirstOrThrow();
  const current = readClaim(row.value);
  if (current.day > day) return false;
  if (current.day === day && (current.done || now.getTime() - Date.parse(current.claimedAt) < STALE_CLAIM_MS))
    return false;
  const claim: DayClaim = { day, claimedAt: now.toISOString(), done: false };
  // Compare-and-set on the exact stored text: of several processes, one wins.
  const result = await db
    .updateTable('settings')
    .set({ value: JSON.stringify(claim), updated_at: now.toISOString() })
    .where('key', '=', CLAIM_KEY)
    .where('value', '=', row.value)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/** Records that the claimed day's run finished. */
export async function finishDay(db: Kysely<Database>, day: string, now: Date): Promise<void> {
  const row = await db.selectFrom('settings').select('value').where('key', '=', CLAIM_KEY).executeTakeFirst();
  if (!row) return;
  const current = readClaim(row.value);
  if (current.day !== day) return;
  await db
    .updateTable('settings')
    .set({ value: JSON.stringify({ ...current, done: true }), updated_at: now.toISOString() })
    .where('key', '=', CLAIM_KEY)
    .where('value', '=', row.value)
    .execute();
}

export class DailyRunner {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<unknown> | null = null;

  constructor(
    private readonly services: Services,
    private readonly options: {
      intervalMs?: number;
      onRun?: (result: DailyRunResult) => void;
      onError?: (error: unknown) => void;
    } = {},
  ) {}

  /** Runs the day's work if it is due and nobody has done it yet. */
  async tick(): Promise<DailyRunResult | null> {
    const now = this.services.clock.now();
    const settings = await this.services.config.settings();
    if (now.getUTCHours() < settings.dailyRunHourUtc) return null;
    const day = now.toISOString().slice(0, 10);
    if (!(await claimDay(this.services.store.db, day, now))) return null;
    const started = Date.now();
    const scoring = await this.services.health.score();
    const detection = await this.services.detection.evaluate();
    const segments = await this.services.segments.refresh();
    const kpis = await this.services.kpis.snapshot();
    // Events plays have already handled are kept a month for inspection, then dropped.
    const eventsPruned = await new PlayRepository(this.services.store.db).pruneEvents(
      new Date(now.getTime() - 30 * 86_400_000),
    );
    const overdueNotified = await this.services.notifications.raiseOverdueUpdates(SYSTEM_ACTOR);
    // An inbox stays bounded: read notifications are deleted after 90 days, unread ones kept.
    const notificationsPruned = await this.services.notifications.prune();
    await finishDay(this.services.store.db, day, this.services.clock.now());
    const result = {
      day,
      scoring,
      detection,
      segments,
      kpis,
      eventsPruned,
      overdueNotified,
      notificationsPruned,
      ms: Date.now() - started,
    };
    this.options.onRun?.(result);
    return result;
  }

  start(): void {
    if (this.timer) return;
    const run = () => {
      if (this.running) return;
      this.running = this.tick()
        .catch((error: unknown) => this.options.onError?.(error))
        .finally(() => {
          this.running = null;
        });
    };
    this.timer = setInterval(run, this.options.intervalMs ?? 60_000);
    this.timer.unref();
    run();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running;
  }
}

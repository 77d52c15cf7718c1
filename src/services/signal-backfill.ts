// A historical backfill: a signal file written day by day, oldest first, with the clock at each day
// in turn, so health is scored and detection opens, updates and closes cases on the day their
// evidence arrived, as if Retain had been running then. Each day runs through the same scoring and
// detection as live ingest; what the backfill opens in the past is history, so plays do not act on
// it and its notifications arrive read.
import type { Readable } from 'node:stream';
import { AppError } from '../domain/errors';
import { assertCan, type Actor } from '../domain/policy';
import { dayNumber, daysBefore } from '../domain/health';
import { dayOf } from '../domain/signals';
import { AccountRepository } from '../store/account.repository';
import { NotificationRepository } from '../store/notification.repository';
import { PlayRepository } from '../store/play.repository';
import { RiskCaseRepository } from '../store/risk-case.repository';
import { ManualClock, type Clock } from './clock';
import { inTransaction, type ServiceContext } from './context';
import type { DetectionService } from './detection';
import type { HealthService } from './health';
import {
  describeDetection,
  importInvalid,
  type ImportOptions,
  type ImportService,
  type SignalImportReport,
} from './imports';
import type { SavedSegmentService } from './saved-segments';
import { writeSignals, type IngestEvaluation, type PendingSignal } from './signals';

/** The longest history one replay writes day by day (as the rules backtest replays at most). */
export const MAX_REPLAY_DAYS = 731;

export interface BackfillReport extends SignalImportReport {
  replay: {
    /** The first and last day replayed: the file's first day, and today. */
    from: string;
    to: string;
    days: number;
  };
}

export interface BackfillOptions extends ImportOptions {
  createAccounts?: boolean;
  /** Called after each day replayed. */
  onDay?: (day: string, done: number, days: number) => void;
}

/** Scoring and detection with their own clock: the replay moves it from day to day. */
export type ServicesAt = (clock: Clock) => { health: HealthService; detection: DetectionService };

/** Days from `from` to `to`, both included, as YYYY-MM-DD. */
function daysBetween(from: string, to: string): string[] {
  const count = dayNumber(to) - dayNumber(from) + 1;
  return Array.from({ length: Math.max(0, count) }, (_, n) => daysBefore(from, -n));
}

export class SignalBackfillService {
  constructor(
    private readonly context: ServiceContext,
    private readonly imports: ImportService,
    private readonly servicesAt: ServicesAt,
    private readonly segments: SavedSegmentService,
  ) {}

  /**
   * Reads and checks the whole file first (nothing is written when a row is wrong, unless
   * `partial`), then writes it one day at a time from its first day to today, scoring and
   * detecting after each day at that day's end.
   */
  async replay(actor: Actor, input: Readable, options: BackfillOptions = {}): Promise<BackfillReport> {
    assertCan(actor, 'data.import');
    const now = this.context.clock.now();
    const today = dayOf(now.toISOString());
    const { report, signals } = await this.imports.readSignals(actor, input, options);
    if (report.errorCount > 0 && !options.partial && !options.dryRun) throw importInvalid(report);
    const byDay = new Map<string, PendingSignal<number>[]>();
    for (const pending of signals) {
      const day = dayOf(pending.signal.occurredAt);
      let list = byDay.get(day);
      if (!list) byDay.set(day, (list = []));
      list.push(pending);
    }
    const first = [...byDay.keys()].sort()[0];
    if (first === undefined) {
      if (options.dryRun)
        return {
          ...report,
          createdAccounts: [],
          detection: null,
          replay: { from: today, to: today, days: 0 },
        };
      if (report.errorCount > 0) throw importInvalid(report);
      throw new AppError('IMPORT_INVALID', 'The file holds no signal to replay.', { errors: [] });
    }
    const span = dayNumber(today) - dayNumber(first) + 1;
    if (span > MAX_REPLAY_DAYS) {
      const from = daysBefore(today, MAX_REPLAY_DAYS - 1);
      throw new AppError(
        'VALIDATION_FAILED',
        `A replay covers at most ${MAX_REPLAY_DAYS} days up to today; this file starts on ${first}, ${span} days ago. ` +
          `Import its rows from before ${from} without --replay first, then replay the rest.`,
        { field: 'occurred_at', first, limit: MAX_REPLAY_DAYS },
      );
    }
    await this.refuseLaterHistory(signals, first);
    const days = daysBetween(first, today);
    if (options.dryRun)
      return {
        ...report,
        createdAccounts: [],
        detection: null,
        replay: { from: first, to: today, days: days.length },
      };

    const clock = new ManualClock(now);
    const at = this.servicesAt(clock);
    const seen = new Set<number>();
    const createdAccounts: string[] = [];
    const evaluations: IngestEvaluation[] = [];
    let inserted = 0;
    let duplicates = 0;
    for (const [index, day] of days.entries()) {
      // The end of the day, when every signal of it has arrived; today, this moment.
      const instant = day === today ? now : new Date(`${day}T23:59:59.999Z`);
      clock.set(instant);
      const batch = byDay.get(day) ?? [];
      if (batch.length > 0) {
        const written = await inTransaction(this.context, (db) =>
          writeSignals(db, actor, instant, batch, {
            source: 'csv',
            createAccounts: options.createAccounts ?? false,
          }),
        );
        const [refused] = written.rejected;
        if (refused)
          throw new AppError(
            'IMPORT_INVALID',
            `Line ${refused.ref}: ${refused.message}. The days before ${day} are written; run the file again without --replay to add the rest.`,
            {
              errors: [{ line: refused.ref, column: refused.field, message: refused.message }],
              errorCount: 1,
            },
          );
        inserted += written.inserted;
        duplicates += written.duplicates;
        createdAccounts.push(...written.createdAccounts);
        for (const id of written.accountIds) seen.add(id);
      }
      if (seen.size > 0) {
        const ids = [...seen];
        const scoring = await at.health.score(ids);
        const detection = await at.detection.evaluate(ids);
        evaluations.push({ scored: scoring.scored, detection });
        // A day before today is history as soon as it is done (so too when the replay stops later):
        // no play starts on it, and its notices arrive read.
        if (day !== today) await this.intoHistory(ids, day, detection.openedCases, now);
      }
      options.onDay?.(day, index + 1, days.length);
    }

    const ids = [...seen];
    const db = this.context.store.db;
    if (ids.length > 0) await this.segments.refresh({ accountIds: ids });
    const detection = await describeDetection(db, evaluations);
    // Accounts are scored again every day: the count is of accounts, not of account-days.
    detection.scored = seen.size;
    return {
      ...report,
      created: inserted,
      unchanged: duplicates,
      dryRun: false,
      createdAccounts,
      detection,
      replay: { from: first, to: today, days: days.length },
    };
  }

  /** Marks a replayed day as history: its play events handled without a run, its case notices read. */
  private async intoHistory(
    accountIds: readonly number[],
    day: string,
    openedCases: readonly number[],
    now: Date,
  ): Promise<void> {
    const end = new Date(`${daysBefore(day, -1)}T00:00:00Z`);
    await inTransaction(this.context, async (db) => {
      await new PlayRepository(db).passOverEvents(accountIds, new Date(`${day}T00:00:00Z`), end, now);
      await new NotificationRepository(db).markCasesReadBefore(openedCases, end, now);
    });
  }

  /**
   * A replay reads each day as all that was known then: an account that already has signals from
   * the file's first day on would have them read as known too early, so such a file is refused.
   */
  private async refuseLaterHistory(signals: readonly PendingSignal<number>[], first: string): Promise<void> {
    const externalIds = [...new Set(signals.map((pending) => pending.signal.account))];
    const accounts = new AccountRepository(this.context.store.db);
    for (let start = 0; start < externalIds.length; start += 500) {
      const found = await accounts.findManyByExternalId(externalIds.slice(start, start + 500));
      const later = await accounts.firstSignalFrom(
        [...found.values()].map((account) => account.id),
        `${first}T00:00:00.000Z`,
      );
      if (later)
        throw new AppError(
          'REPLAY_HISTORY_EXISTS',
          `Account "${later.externalId}" already has signals from ${later.occurredAt.slice(0, 10)}, on or after the file's first day ${first}: ` +
            'a replay would read them as known before they were. Import the file without --replay, or replay only accounts whose stored history ends before it.',
          { account: later.externalId, from: first },
        );
      // A case opened or closed since would have the replay's evidence dated before it opened.
      const touched = await new RiskCaseRepository(this.context.store.db).firstCaseFrom(
        [...found.values()].map((account) => account.id),
        `${first}T00:00:00.000Z`,
      );
      if (touched)
        throw new AppError(
          'REPLAY_HISTORY_EXISTS',
          `Account "${touched.externalId}" has risk case ${touched.caseId}, opened or closed on ${touched.at.slice(0, 10)}, on or after the file's first day ${first}: ` +
            'a replay would add evidence dated before it. Import the file without --replay, or replay only accounts whose cases are older than it.',
          { account: touched.externalId, caseId: touched.caseId, from: first },
        );
    }
  }
}

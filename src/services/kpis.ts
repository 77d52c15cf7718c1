// KPI scorecards: each card's value now (for the book or one team), its status against target, and
// its trend from daily snapshots, which the daily run takes so recorded history is never
// recomputed. The days before a store's first snapshot are backfilled from case history for the
// cards it can answer for (see caseHistoryDerivation), once, and marked as such.
import { AppError } from '../domain/errors';
import { daysBefore } from '../domain/health';
import {
  caseHistoryDerivation,
  defaultKpiCards,
  grossRevenueChurn,
  kpiCardsSchema,
  meanDays,
  saveRate,
  targetStatus,
  TEAM_HISTORY_REASON,
  type CaseHistoryDerivation,
  type KpiCard,
  type TargetStatus,
} from '../domain/kpi';
import type { Actor } from '../domain/policy';
import { parseFilter, type Filter } from '../domain/segment-filter';
import { DEFAULT_SETTINGS } from '../domain/settings';
import { KpiRepository, type HistoryDay, type KpiScope, type SnapshotRow } from '../store/kpi.repository';
import { SavedSegmentRepository } from '../store/saved-segment.repository';
import type { ServiceContext } from './context';
import { JsonConfig } from './json-config';
import type { RiskConfigService } from './risk-config';
import type { UserService } from './users';

const TREND_DAYS = 30;
const DAY_MS = 86_400_000;

/** What a backfill from case history did. */
export interface KpiBackfill {
  /** The first and last day derived (the oldest case's day to yesterday); null without cases. */
  from: string | null;
  to: string | null;
  /** Values stored; days that already had a snapshot are left as they were. */
  stored: number;
  /** The cards derived from case history, in card order. */
  cards: string[];
  /** The cards case history cannot answer for, which get no backfill. */
  skipped: string[];
}

export interface KpiValue {
  key: string;
  name: string;
  metric: KpiCard['metric'];
  format: KpiCard['format'];
  segment: string | null;
  description: string | null;
  teamId: number | null;
  /** The value now; null when there is nothing to measure (no closed cases for a save rate). */
  value: number | null;
  target: KpiCard['target'];
  status: TargetStatus;
  /**
   * Daily snapshots of the last 30 days, oldest first, then today's value; `backfilled` marks the
   * days derived afterwards from case history rather than recorded on the day.
   */
  series: { day: string; value: number | null; backfilled: boolean }[];
  /**
   * Whether this view's past days can be derived from case history (and are backfilled before the
   * first daily snapshot); when not, why its history starts with the first daily snapshot.
   */
  history: { derivable: boolean; reason: string | null };
  /** Change against the snapshot 30 days ago, when there is one. */
  change: number | null;
}

export class KpiService {
  private readonly config: JsonConfig<KpiCard[]>;

  constructor(
    private readonly context: ServiceContext,
    private readonly riskConfig: RiskConfigService,
    private readonly users: UserService,
  ) {
    this.config = new JsonConfig(
      context,
      'kpiCards',
      kpiCardsSchema,
      defaultKpiCards(DEFAULT_SETTINGS.annualAttritionTargetPercent),
      'KPI cards',
    );
  }

  /** Set once the book is known to have history, so reads stop checking for it. */
  private historySettled = false;

  private get repo() {
    return new KpiRepository(this.context.store.db);
  }

  cards(): Promise<KpiCard[]> {
    return this.config.read();
  }

  /** Replaces the card list (admins); every card's segment must exist. */
  updateCards(actor: Actor, input: unknown, expectedRevision?: readonly string[]): Promise<KpiCard[]> {
    return this.config.replace(
      actor,
      input,
      async (cards) => {
        const segments = new SavedSegmentRepository(this.context.store.db);
        for (const card of cards)
          if (card.segment !== null && !(await segments.findByKey(card.segment)))
            throw new AppError(
              'SEGMENT_NOT_FOUND',
              `Card "${card.key}" names segment "${card.segment}", which does not exist.`,
              {
                card: card.key,
                segment: card.segment,
              },
            );
      },
      expectedRevision,
    );
  }

  /** The card's segment filter: null without a segment, undefined when the segment is gone. */
  private async filterOf(card: KpiCard): Promise<Filter | null | undefined> {
    if (card.segment === null) return null;
    const segment = await new SavedSegmentRepository(this.context.store.db).findByKey(card.segment);
    return segment ? parseFilter(segment.filter) : undefined;
  }

  private async derivationOf(card: KpiCard): Promise<CaseHistoryDerivation> {
    const filter = await this.filterOf(card);
    return filter === undefined
      ? { derivable: false, reason: 'Its segment no longer exists.' }
      : caseHistoryDerivation(card, filter);
  }

  private async scopeOf(card: KpiCard, teamId: number | null): Promise<KpiScope | null> {
    const context = { now: this.context.clock.now(), postgres: this.context.store.kind === 'postgres' };
    if (card.segment === null) return { filter: null, teamId, context };
    const segment = await new SavedSegmentRepository(this.context.store.db).findByKey(card.segment);
    if (!segment) return null;
    return { filter: parseFilter(segment.filter), teamId, context };
  }

  /** A card's value now, for the book (teamId null) or one team. */
  async valueOf(card: KpiCard, teamId: number | null): Promise<number | null> {
    const scope = await this.scopeOf(card, teamId);
    if (!scope) return null;
    const now = this.context.clock.now().toISOString();
    const periodStart = new Date(
      this.context.clock.now().getTime() - card.periodDays * 86_400_000,
    ).toISOString();
    switch (card.metric) {
      case 'account_count':
        return (await this.repo.accounts(scope)).count;
      case 'arr':
        return (await this.repo.accounts(scope)).arr;
      case 'arr_at_risk':
        return this.repo.arrAtRisk(scope);
      case 'share_of_base': {
        const part = (await this.repo.accounts(scope)).count;
        const base = (await this.repo.accounts({ ...scope, filter: null })).count;
        return base === 0 ? null : Math.round((part / base) * 1000) / 10;
      }
      case 'avg_days_to_resolve': {
        const closed = await this.repo.closedCases(scope, periodStart, now);
        return meanDays(closed.map((c) => ({ from: c.openedAt, to: c.closedAt })));
      }
      case 'save_rate': {
        const closed = await this.repo.closedCases(scope, periodStart, now);
        return saveRate(
          closed.filter((c) => c.outcome === 'recovered').length,
          closed.filter((c) => c.outcome === 'lost').length,
        );
      }
      case 'gross_revenue_churn': {
        const closed = await this.repo.closedCases(scope, periodStart, now);
        const lostArr = closed.filter((c) => c.outcome === 'lost').reduce((sum, c) => sum + c.arrAtRisk, 0);
        return grossRevenueChurn(lostArr, (await this.repo.accounts(scope)).arr, card.periodDays);
      }
    }
  }

  /** Every card with its value now, status, 30-day trend and change; for one team when given. */
  async scorecard(options: { teamId?: number | null } = {}): Promise<KpiValue[]> {
    const teamId = options.teamId ?? null;
    if (teamId !== null) await this.users.getTeam(teamId);
    const today = this.context.clock.now().toISOString().slice(0, 10);
    await this.backfillWithoutHistory(today);
    const cards = await this.cards();
    return Promise.all(
      cards.map(async (card): Promise<KpiValue> => {
        const value = await this.valueOf(card, teamId);
        const history = await this.repo.series(
          card.key,
          teamId,
          daysBefore(today, TREND_DAYS),
          daysBefore(today, 1),
        );
        const derivation = await this.derivationOf(card);
        const monthAgo = history.find((point) => point.day === daysBefore(today, TREND_DAYS));
        // A per-team target ("fewer than 10 per team") means nothing for the whole book.
        const target = card.perTeam && teamId === null ? null : card.target;
        return {
          key: card.key,
          name: card.name,
          metric: card.metric,
          format: card.format,
          segment: card.segment,
          description: card.description ?? null,
          teamId,
          value,
          target,
          status: targetStatus(target, value),
          series: [
            ...history.map(({ day, value: v, backfilled }) => ({ day, value: v, backfilled })),
            { day: today, value, backfilled: false },
          ],
          change:
            monthAgo && monthAgo.value !== null && value !== null
              ? Math.round((value - monthAgo.value) * 10) / 10
              : null,
          history: !derivation.derivable
            ? { derivable: false, reason: derivation.reason }
            : teamId !== null
              ? { derivable: false, reason: TEAM_HISTORY_REASON }
              : { derivable: true, reason: null },
        };
      }),
    );
  }

  /**
   * Backfills once, on the first read of a book without history: when the whole book has no
   * snapshot, recorded or backfilled, before today (a fresh install, or one whose first daily
   * snapshot is today's).
   */
  private async backfillWithoutHistory(today: string): Promise<void> {
    if (this.historySettled) return;
    if (!(await this.repo.hasBookHistoryBefore(today))) await this.backfill();
    // Without cases there is nothing to derive yet; a later read tries again.
    this.historySettled = await this.repo.hasBookHistoryBefore(today);
  }

  /**
   * Derives the whole book's value of every card case history can answer for, as of the end of
   * each day from the oldest case's day to yesterday, and stores them marked backfilled where a day
   * has no snapshot; recorded snapshots are never overwritten, so running it again adds nothing.
   * One statement per card (per year of days), not one per day. Team views are not backfilled:
   * which team an account belonged to on a past day is not kept.
   */
  async backfill(): Promise<KpiBackfill> {
    const now = this.context.clock.now();
    const today = now.toISOString().slice(0, 10);
    const cards = await this.cards();
    const derivable: { card: KpiCard; scope: 'book' | 'open_cases' }[] = [];
    const skipped: string[] = [];
    for (const card of cards) {
      const derivation = await this.derivationOf(card);
      if (derivation.derivable) derivable.push({ card, scope: derivation.scope });
      else skipped.push(card.key);
    }
    const result = { cards: derivable.map(({ card }) => card.key), skipped };
    const oldest = await this.repo.oldestCaseOpenedAt();
    const from = oldest?.slice(0, 10) ?? null;
    const to = daysBefore(today, 1);
    if (from === null || from > to) return { from: null, to: null, stored: 0, ...result };
    const dayList: string[] = [];
    for (let day = from; day <= to; day = daysBefore(day, -1)) dayList.push(day);
    const daysFor = (periodDays: number): HistoryDay[] =>
      dayList.map((day) => {
        const end = Date.parse(`${day}T00:00:00.000Z`) + DAY_MS;
        return {
          day,
          end: new Date(end).toISOString(),
          windowStart: new Date(end - periodDays * DAY_MS).toISOString(),
        };
      });

    const rows: SnapshotRow[] = [];
    let open: Awaited<ReturnType<KpiRepository['openOnDays']>> | null = null;
    for (const { card, scope } of derivable) {
      const days = daysFor(card.periodDays);
      const valueOn = new Map<string, number | null>();
      if (card.metric === 'account_count' || card.metric === 'arr_at_risk') {
        open ??= await this.repo.openOnDays(days);
        for (const [day, figures] of open)
          valueOn.set(day, card.metric === 'account_count' ? figures.accounts : figures.arrAtRisk);
      } else {
        const closed = await this.repo.closedInWindows(days, scope, this.context.store.kind === 'postgres');
        for (const [day, figures] of closed)
          valueOn.set(
            day,
            card.metric === 'save_rate'
              ? saveRate(figures.recovered, figures.lost)
              : figures.closed === 0
                ? null
                : Math.round((figures.totalMs / DAY_MS / figures.closed) * 10) / 10,
          );
      }
      for (const day of dayList)
        rows.push({ cardKey: card.key, teamId: 0, day, value: valueOn.get(day) ?? null });
    }
    const stored = await this.repo.insertBackfilled(rows, now);
    return { from, to, stored, ...result };
  }

  /** Stores every card's value for today, for the book and for each team. */
  async snapshot(): Promise<{ day: string; values: number }> {
    const now = this.context.clock.now();
    const day = now.toISOString().slice(0, 10);
    const teams = await this.users.listTeams();
    const cards = await this.cards();
    const rows = [];
    for (const card of cards)
      for (const teamId of [null, ...teams.map((t) => t.id)])
        rows.push({ cardKey: card.key, teamId: teamId ?? 0, day, value: await this.valueOf(card, teamId) });
    await this.repo.upsertSnapshots(rows, now);
    return { day, values: rows.length };
  }

  /** The attrition target currently set, for reports. */
  async attritionTarget(): Promise<number> {
    return (await this.riskConfig.settings()).annualAttritionTargetPercent;
  }
}

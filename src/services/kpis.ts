// KPI scorecards: each card's value now (for the book or one team), its status against target, and
// its trend from daily snapshots, which the daily run takes so history is never recomputed.
import { AppError } from '../domain/errors';
import { daysBefore } from '../domain/health';
import {
  defaultKpiCards,
  grossRevenueChurn,
  kpiCardsSchema,
  meanDays,
  saveRate,
  targetStatus,
  type KpiCard,
  type TargetStatus,
} from '../domain/kpi';
import type { Actor } from '../domain/policy';
import { parseFilter } from '../domain/segment-filter';
import { DEFAULT_SETTINGS } from '../domain/settings';
import { KpiRepository, type KpiScope } from '../store/kpi.repository';
import { SavedSegmentRepository } from '../store/saved-segment.repository';
import type { ServiceContext } from './context';
import { JsonConfig } from './json-config';
import type { RiskConfigService } from './risk-config';
import type { UserService } from './users';

const TREND_DAYS = 30;

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
  /** Daily snapshots of the last 30 days, oldest first, then today's value. */
  series: { day: string; value: number | null }[];
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
    );
  }

  private get repo() {
    return new KpiRepository(this.context.store.db);
  }

  cards(): Promise<KpiCard[]> {
    return this.config.read();
  }

  /** Replaces the card list (admins); every card's segment must exist. */
  updateCards(actor: Actor, input: unknown): Promise<KpiCard[]> {
    return this.config.replace(actor, input, async (cards) => {
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
    });
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
          series: [...history.map(({ day, value: v }) => ({ day, value: v })), { day: today, value }],
          change:
            monthAgo && monthAgo.value !== null && value !== null
              ? Math.round((value - monthAgo.value) * 10) / 10
              : null,
        };
      }),
    );
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

// The figures KPI cards are made of, over a scope of accounts (a segment, optionally one team), and
// the daily snapshots of each card's value.
import { sql, type Kysely, type RawBuilder, type SqlBool } from 'kysely';
import type { HistoryScope } from '../domain/kpi';
import type { Filter } from '../domain/segment-filter';
import type { Database } from './schema';
import { filterCondition, type FilterContext } from './segment-query';

export interface KpiScope {
  /** The segment's filter; null for every account. */
  filter: Filter | null;
  /** Only accounts of this team; null for the whole book. */
  teamId: number | null;
  context: FilterContext;
}

export interface ClosedCase {
  openedAt: string;
  closedAt: string;
  outcome: string | null;
  arrAtRisk: number;
}

export interface SnapshotRow {
  cardKey: string;
  teamId: number;
  day: string;
  value: number | null;
}

export interface StoredSnapshot extends SnapshotRow {
  /** Derived afterwards from case history rather than recorded on the day. */
  backfilled: boolean;
}

/** A past day to derive values for: the instant it ended, and for period metrics its window start. */
export interface HistoryDay {
  day: string;
  /** The end of the day (the next midnight, UTC), as an ISO instant. */
  end: string;
  /** `end` minus the card's period, for the metrics over cases closed in a period. */
  windowStart: string;
}

/** Risk cases open at the end of a day: the accounts they are on and their ARR at risk. */
export interface OpenOnDay {
  accounts: number;
  arrAtRisk: number;
}

/** Cases closed in a day's window: how many, how they ended and their total open time. */
export interface ClosedInWindow {
  closed: number;
  recovered: number;
  lost: number;
  totalMs: number;
}

/** Days per statement, to keep each one's parameters well inside every store's limit. */
const DAYS_PER_STATEMENT = 366;

const WHOLE_BOOK = 0;

export class KpiRepository {
  constructor(private readonly db: Kysely<Database>) {}

  private inScope(scope: KpiScope): RawBuilder<SqlBool> {
    const parts: RawBuilder<SqlBool>[] = [];
    if (scope.filter) parts.push(filterCondition(scope.filter, scope.context));
    if (scope.teamId !== null) parts.push(sql<SqlBool>`accounts.team_id = ${scope.teamId}`);
    return parts.length === 0 ? sql<SqlBool>`1 = 1` : sql<SqlBool>`(${sql.join(parts, sql.raw(' and '))})`;
  }

  /** Accounts in scope and the sum of their ARR. */
  async accounts(scope: KpiScope): Promise<{ count: number; arr: number }> {
    const row = await this.db
      .selectFrom('accounts')
      .select((eb) => [
        eb.fn.countAll<number | string>().as('n'),
        eb.fn.sum<number | string | null>('accounts.arr').as('arr'),
      ])
      .where(this.inScope(scope))
      .executeTakeFirst();
    return { count: Number(row?.n ?? 0), arr: Number(row?.arr ?? 0) };
  }

  /** Sum of ARR at risk on the open cases of the accounts in scope. */
  async arrAtRisk(scope: KpiScope): Promise<number> {
    const row = await this.db
      .selectFrom('risk_cases as rc')
      .innerJoin('accounts', 'accounts.id', 'rc.account_id')
      .select((eb) => eb.fn.sum<number | string | null>('rc.arr_at_risk').as('total'))
      .where('rc.closed_at', 'is', null)
      .where(this.inScope(scope))
      .executeTakeFirst();
    return Number(row?.total ?? 0);
  }

  /** Cases of the accounts in scope that closed between `from` (exclusive) and `to` (inclusive). */
  async closedCases(scope: KpiScope, from: string, to: string): Promise<ClosedCase[]> {
    const rows = await this.db
      .selectFrom('risk_cases as rc')
      .innerJoin('accounts', 'accounts.id', 'rc.account_id')
      .select(['rc.opened_at', 'rc.closed_at', 'rc.outcome', 'rc.arr_at_risk'])
      .where('rc.closed_at', '>', from)
      .where('rc.closed_at', '<=', to)
      .where(this.inScope(scope))
      .execute();
    return rows.flatMap((row) =>
      row.closed_at === null
        ? []
        : [
            {
              openedAt: row.opened_at,
              closedAt: row.closed_at,
              outcome: row.outcome,
              arrAtRisk: row.arr_at_risk,
            },
          ],
    );
  }

  async upsertSnapshots(rows: readonly SnapshotRow[], now: Date): Promise<void> {
    if (rows.length === 0) return;
    await this.db
      .insertInto('kpi_snapshots')
      .values(
        rows.map((row) => ({
          card_key: row.cardKey,
          team_id: row.teamId,
          day: row.day,
          value: row.value,
          taken_at: now.toISOString(),
        })),
      )
      .onConflict((oc) =>
        oc.columns(['card_key', 'team_id', 'day']).doUpdateSet((eb) => ({
          value: eb.ref('excluded.value'),
          taken_at: eb.ref('excluded.taken_at'),
          backfilled: 0,
        })),
      )
      .execute();
  }

  /** A card's snapshots from `fromDay` to `toDay`, oldest first. */
  async series(
    cardKey: string,
    teamId: number | null,
    fromDay: string,
    toDay: string,
  ): Promise<StoredSnapshot[]> {
    const rows = await this.db
      .selectFrom('kpi_snapshots')
      .select(['card_key', 'team_id', 'day', 'value', 'backfilled'])
      .where('card_key', '=', cardKey)
      .where('team_id', '=', teamId ?? WHOLE_BOOK)
      .where('day', '>=', fromDay)
      .where('day', '<=', toDay)
      .orderBy('day')
      .execute();
    return rows.map((row) => ({
      cardKey: row.card_key,
      teamId: row.team_id,
      day: row.day,
      value: row.value,
      backfilled: Number(row.backfilled) === 1,
    }));
  }

  /** Whether the whole book has any snapshot, recorded or backfilled, dated before `day`. */
  async hasBookHistoryBefore(day: string): Promise<boolean> {
    const row = await this.db
      .selectFrom('kpi_snapshots')
      .select('day')
      .where('team_id', '=', WHOLE_BOOK)
      .where('day', '<', day)
      .limit(1)
      .executeTakeFirst();
    return row !== undefined;
  }

  /** When the oldest risk case opened; null without cases. */
  async oldestCaseOpenedAt(): Promise<string | null> {
    const row = await this.db
      .selectFrom('risk_cases')
      .select((eb) => eb.fn.min<string | null>('opened_at').as('oldest'))
      .executeTakeFirst();
    return row?.oldest ?? null;
  }

  /** The days as a derived table `days(day, end_at, window_start)`, to join cases against. */
  private static daysTable(days: readonly HistoryDay[]): RawBuilder<unknown> {
    return sql`days (day, end_at, window_start) as (values ${sql.join(
      days.map((d) => sql`(${d.day}, ${d.end}, ${d.windowStart})`),
    )})`;
  }

  private static inChunks<T>(items: readonly T[]): T[][] {
    const chunks: T[][] = [];
    for (let i = 0; i < items.length; i += DAYS_PER_STATEMENT)
      chunks.push(items.slice(i, i + DAYS_PER_STATEMENT));
    return chunks;
  }

  /**
   * For each day, the risk cases open at its end (opened at or before it, not closed by then): the
   * accounts they are on and the sum of their ARR at risk. One statement for up to a year of days.
   */
  async openOnDays(days: readonly HistoryDay[]): Promise<Map<string, OpenOnDay>> {
    const result = new Map<string, OpenOnDay>();
    for (const chunk of KpiRepository.inChunks(days)) {
      const { rows } = await sql<{ day: string; accounts: number | string; arr: number | string | null }>`
        with ${KpiRepository.daysTable(chunk)}
        select days.day as day, count(distinct rc.account_id) as accounts, sum(rc.arr_at_risk) as arr
        from days
        left join risk_cases rc
          on rc.opened_at <= days.end_at and (rc.closed_at is null or rc.closed_at > days.end_at)
        group by days.day`.execute(this.db);
      for (const row of rows)
        result.set(row.day, { accounts: Number(row.accounts), arrAtRisk: Number(row.arr ?? 0) });
    }
    return result;
  }

  /**
   * For each day, the cases that closed in its window (after `windowStart`, at or before `end`):
   * how many, how many were recovered and lost, and their total time from opening to closing. With
   * scope `open_cases`, only cases of accounts that had a case open at the end of the day.
   */
  async closedInWindows(
    days: readonly HistoryDay[],
    scope: HistoryScope,
    postgres: boolean,
  ): Promise<Map<string, ClosedInWindow>> {
    const durationMs = postgres
      ? sql`round(extract(epoch from (rc.closed_at::timestamptz - rc.opened_at::timestamptz)) * 1000)`
      : sql`round((julianday(rc.closed_at) - julianday(rc.opened_at)) * 86400000)`;
    const inScope =
      scope === 'open_cases'
        ? sql`and exists (
            select 1 from risk_cases other
            where other.account_id = rc.account_id and other.opened_at <= days.end_at
              and (other.closed_at is null or other.closed_at > days.end_at))`
        : sql``;
    const result = new Map<string, ClosedInWindow>();
    for (const chunk of KpiRepository.inChunks(days)) {
      const { rows } = await sql<{
        day: string;
        closed: number | string;
        recovered: number | string | null;
        lost: number | string | null;
        total_ms: number | string | null;
      }>`
        with ${KpiRepository.daysTable(chunk)}
        select days.day as day, count(*) as closed,
          sum(case when rc.outcome = 'recovered' then 1 else 0 end) as recovered,
          sum(case when rc.outcome = 'lost' then 1 else 0 end) as lost,
          sum(${durationMs}) as total_ms
        from days
        inner join risk_cases rc
          on rc.closed_at > days.window_start and rc.closed_at <= days.end_at ${inScope}
        group by days.day`.execute(this.db);
      for (const row of rows)
        result.set(row.day, {
          closed: Number(row.closed),
          recovered: Number(row.recovered ?? 0),
          lost: Number(row.lost ?? 0),
          totalMs: Number(row.total_ms ?? 0),
        });
    }
    return result;
  }

  /** Stores derived values, marked backfilled, on days without a snapshot; returns how many. */
  async insertBackfilled(rows: readonly SnapshotRow[], now: Date): Promise<number> {
    let inserted = 0;
    for (let i = 0; i < rows.length; i += 500) {
      const result = await this.db
        .insertInto('kpi_snapshots')
        .values(
          rows.slice(i, i + 500).map((row) => ({
            card_key: row.cardKey,
            team_id: row.teamId,
            day: row.day,
            value: row.value,
            taken_at: now.toISOString(),
            backfilled: 1,
          })),
        )
        .onConflict((oc) => oc.columns(['card_key', 'team_id', 'day']).doNothing())
        .executeTakeFirst();
      inserted += Number(result.numInsertedOrUpdatedRows ?? 0);
    }
    return inserted;
  }
}

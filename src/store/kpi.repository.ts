// The figures KPI cards are made of, over a scope of accounts (a segment, optionally one team), and
// the daily snapshots of each card's value.
import { sql, type Kysely, type RawBuilder, type SqlBool } from 'kysely';
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
  ): Promise<SnapshotRow[]> {
    const rows = await this.db
      .selectFrom('kpi_snapshots')
      .select(['card_key', 'team_id', 'day', 'value'])
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
    }));
  }
}

// Risk cases with their reasons, stage history and weekly updates.
import { PostgresAdapter, sql, type Kysely, type Selectable } from 'kysely';
import type { CaseTrack, MatrixQuadrant } from '../domain/matrix';
import { PRIORITY_SCALES, type PriorityWeights } from '../domain/priority';
import type {
  CaseAccountFacts,
  CaseReason,
  CaseSource,
  RiskCaseRecord,
  SeparationSurvey,
  WeeklyUpdate,
} from '../domain/risk-case';
import type { CaseOutcome, StageTransition } from '../domain/risk-lifecycle';
import type { TrendCase } from '../domain/risk-trends';
import type { Database, RiskCaseTable } from './schema';

export type NewRiskCase = Omit<RiskCaseRecord, 'id' | 'createdAt' | 'updatedAt' | 'version'>;
export type RiskCaseChanges = Partial<
  Omit<RiskCaseRecord, 'id' | 'accountId' | 'createdAt' | 'updatedAt' | 'version'>
>;

export interface CaseQuery {
  status: 'open' | 'closed' | 'all';
  stageIds?: number[];
  ownerId?: number;
  teamId?: number;
  reasonId?: number;
  track?: CaseTrack;
  /** Only cases whose last update (or opening, if never updated) is before this instant. */
  lastTouchedBefore?: string;
  accountId?: number;
  q?: string;
  /** Only these cases. */
  ids?: readonly number[];
}

export type CaseWithAccount = RiskCaseRecord & { account: CaseAccountFacts };

export type CaseSort = 'priority' | 'time_in_stage' | 'arr_at_risk' | 'ltv' | 'opened_at' | 'last_update';

/** One page of the worklist: filters, then sorted and paged in the database. */
export interface CasePageQuery extends CaseQuery {
  quadrant?: MatrixQuadrant;
  /** Leave out open cases last touched before this instant (the worklist's `overdue=false`). */
  touchedSince?: string;
  sort: CaseSort;
  direction: 'asc' | 'desc';
  limit: number;
  offset: number;
  now: Date;
  weights: PriorityWeights;
}

/** A case with the account and case facts trends and reports group and count by. */
export interface TrendCaseRow extends Omit<TrendCase, 'reasons' | 'group'> {
  track: string;
  outcome: string | null;
  arrAtRisk: number;
  expected: boolean | null;
  avoidable: boolean | null;
  lastUpdateAt: string | null;
  stage: string;
  stageName: string;
  teamId: number | null;
  tier: string | null;
  lifecycleStage: string | null;
  ownerEmail: string | null;
  teamName: string | null;
  attributes: Record<string, unknown>;
}

export class RiskCaseRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async findById(id: number): Promise<RiskCaseRecord | undefined> {
    const row = await this.db.selectFrom('risk_cases').selectAll().where('id', '=', id).executeTakeFirst();
    return row && toRecord(row);
  }

  /** When each account's cases closed as lost, earliest first: the churn history the store holds. */
  async lostClosings(): Promise<Map<number, string[]>> {
    const rows = await this.db
      .selectFrom('risk_cases')
      .select(['account_id', 'closed_at'])
      .where('outcome', '=', 'lost')
      .where('closed_at', 'is not', null)
      .orderBy('closed_at')
      .execute();
    const closings = new Map<number, string[]>();
    for (const row of rows) {
      if (row.closed_at === null) continue;
      closings.set(row.account_id, [...(closings.get(row.account_id) ?? []), row.closed_at]);
    }
    return closings;
  }

  /** A case of these accounts opened or closed at or after `from`, with its account, if any. */
  async firstCaseFrom(
    accountIds: readonly number[],
    from: string,
  ): Promise<{ externalId: string; caseId: number; at: string } | undefined> {
    if (accountIds.length === 0) return undefined;
    const row = await this.db
      .selectFrom('risk_cases')
      .innerJoin('accounts', 'accounts.id', 'risk_cases.account_id')
      .select(['accounts.external_id', 'risk_cases.id', 'risk_cases.opened_at', 'risk_cases.closed_at'])
      .where('risk_cases.account_id', 'in', accountIds)
      .where((eb) => eb.or([eb('risk_cases.opened_at', '>=', from), eb('risk_cases.closed_at', '>=', from)]))
      .orderBy('risk_cases.id')
      .limit(1)
      .executeTakeFirst();
    return (
      row && {
        externalId: row.external_id,
        caseId: row.id,
        at: row.opened_at >= from ? row.opened_at : (row.closed_at ?? row.opened_at),
      }
    );
  }

  async findOpenByAccount(accountId: number): Promise<RiskCaseRecord | undefined> {
    const row = await this.db
      .selectFrom('risk_cases')
      .selectAll()
      .where('account_id', '=', accountId)
      .where('closed_at', 'is', null)
      .executeTakeFirst();
    return row && toRecord(row);
  }

  /** Which of the accounts have an open case. */
  async openCaseAccounts(accountIds: readonly number[]): Promise<Set<number>> {
    const found = new Set<number>();
    for (let i = 0; i < accountIds.length; i += 500) {
      const rows = await this.db
        .selectFrom('risk_cases')
        .select('account_id')
        .where('account_id', 'in', accountIds.slice(i, i + 500))
        .where('closed_at', 'is', null)
        .execute();
      for (const row of rows) found.add(row.account_id);
    }
    return found;
  }

  /**
   * The open cases detection opened on these accounts that still sit in `stageId` (their first stage),
   * with their reasons and the rules whose evidence they carry.
   */
  async openRuleCasesIn(
    accountIds: readonly number[],
    stageId: number,
  ): Promise<
    {
      caseId: number;
      accountId: number;
      reasonKeys: string[];
      evidence: { ruleKey: string; reasonKey: string }[];
    }[]
  > {
    const found: {
      caseId: number;
      accountId: number;
      reasonKeys: string[];
      evidence: { ruleKey: string; reasonKey: string }[];
    }[] = [];
    for (let i = 0; i < accountIds.length; i += 500) {
      const rows = await this.db
        .selectFrom('risk_cases')
        .select(['id', 'account_id'])
        .where('account_id', 'in', accountIds.slice(i, i + 500))
        .where('closed_at', 'is', null)
        .where('source', '=', 'rule')
        .where('stage_id', '=', stageId)
        .execute();
      if (rows.length === 0) continue;
      const ids = rows.map((row) => row.id);
      const reasons = await this.db
        .selectFrom('risk_case_reasons')
        .innerJoin('risk_reasons', 'risk_reasons.id', 'risk_case_reasons.reason_id')
        .select(['risk_case_reasons.case_id', 'risk_reasons.key'])
        .where('risk_case_reasons.case_id', 'in', ids)
        .execute();
      const evidence = await this.db
        .selectFrom('risk_case_evidence')
        .innerJoin('risk_reasons', 'risk_reasons.id', 'risk_case_evidence.reason_id')
        .select(['risk_case_evidence.case_id', 'risk_case_evidence.rule_key', 'risk_reasons.key'])
        .where('risk_case_evidence.case_id', 'in', ids)
        .execute();
      for (const row of rows) {
        found.push({
          caseId: row.id,
          accountId: row.account_id,
          reasonKeys: reasons.filter((reason) => reason.case_id === row.id).map((reason) => reason.key),
          evidence: evidence
            .filter((entry) => entry.case_id === row.id)
            .map((entry) => ({ ruleKey: entry.rule_key, reasonKey: entry.key })),
        });
      }
    }
    return found;
  }

  /** Whether the case's last stage change was made by a person (not by detection or an import). */
  async lastMovedByPerson(caseId: number): Promise<boolean> {
    const row = await this.db
      .selectFrom('risk_stage_history')
      .select('by_user_id')
      .where('case_id', '=', caseId)
      .orderBy('at', 'desc')
      .orderBy('id', 'desc')
      .limit(1)
      .executeTakeFirst();
    return row?.by_user_id !== null && row?.by_user_id !== undefined;
  }

  /** The account's most recently closed case, if any. */
  async findLastClosedByAccount(accountId: number): Promise<RiskCaseRecord | undefined> {
    const row = await this.db
      .selectFrom('risk_cases')
      .selectAll()
      .where('account_id', '=', accountId)
      .where('closed_at', 'is not', null)
      .orderBy('closed_at', 'desc')
      .limit(1)
      .executeTakeFirst();
    return row && toRecord(row);
  }

  async insert(record: NewRiskCase, now: Date): Promise<number> {
    const at = now.toISOString();
    const row = await this.db
      .insertInto('risk_cases')
      .values({
        account_id: record.accountId,
        stage_id: record.stageId,
        stage_entered_at: record.stageEnteredAt,
        open_ms_before_stage: record.openMsBeforeStage,
        opened_at: record.openedAt,
        opened_by_user_id: record.openedByUserId,
        source: record.source,
        expected: flag(record.expected),
        avoidable: flag(record.avoidable),
        arr_at_risk: record.arrAtRisk,
        ltv: record.ltv,
        ltv_given: record.ltvGiven ? 1 : 0,
        track: record.track,
        closed_at: record.closedAt,
        outcome: record.outcome,
        last_update_at: record.lastUpdateAt,
        created_at: at,
        updated_at: at,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    return row.id;
  }

  /** Applies changes and bumps the version; with `expectedVersion`, only if it still matches. */
  async update(id: number, changes: RiskCaseChanges, now: Date, expectedVersion?: number): Promise<boolean> {
    let query = this.db
      .updateTable('risk_cases')
      .set((eb) => ({ ...toColumns(changes), updated_at: now.toISOString(), version: eb('version', '+', 1) }))
      .where('id', '=', id);
    if (expectedVersion !== undefined) query = query.where('version', '=', expectedVersion);
    const result = await query.executeTakeFirst();
    return Number(result.numUpdatedRows) > 0;
  }

  async reasonsOf(caseIds: readonly number[]): Promise<Map<number, CaseReason[]>> {
    const result = new Map<number, CaseReason[]>(caseIds.map((id) => [id, []]));
    if (caseIds.length === 0) return result;
    for (let start = 0; start < caseIds.length; start += 5000) {
      const rows = await this.db
        .selectFrom('risk_case_reasons')
        .innerJoin('risk_reasons', 'risk_reasons.id', 'risk_case_reasons.reason_id')
        .select([
          'risk_case_reasons.case_id',
          'risk_reasons.key',
          'risk_reasons.name',
          'risk_case_reasons.added_at',
        ])
        .where('risk_case_reasons.case_id', 'in', caseIds.slice(start, start + 5000))
        .orderBy('risk_reasons.position')
        .execute();
      for (const row of rows)
        result.get(row.case_id)?.push({ key: row.key, name: row.name, addedAt: row.added_at });
    }
    return result;
  }

  async addReasons(
    caseId: number,
    reasonIds: readonly number[],
    now: Date,
    byUserId: number | null,
  ): Promise<void> {
    if (reasonIds.length === 0) return;
    await this.db
      .insertInto('risk_case_reasons')
      .values(
        reasonIds.map((reasonId) => ({
          case_id: caseId,
          reason_id: reasonId,
          added_at: now.toISOString(),
          added_by_user_id: byUserId,
        })),
      )
      .onConflict((oc) => oc.columns(['case_id', 'reason_id']).doNothing())
      .execute();
  }

  async removeReasons(caseId: number, reasonIds: readonly number[]): Promise<void> {
    if (reasonIds.length === 0) return;
    await this.db
      .deleteFrom('risk_case_reasons')
      .where('case_id', '=', caseId)
      .where('reason_id', 'in', reasonIds)
      .execute();
  }

  async appendStageHistory(caseId: number, transition: StageTransition, note: string | null): Promise<void> {
    await this.db
      .insertInto('risk_stage_history')
      .values({
        case_id: caseId,
        from_stage_id: transition.fromStageId,
        to_stage_id: transition.toStageId,
        at: transition.at.toISOString(),
        by_user_id: transition.byUserId,
        note,
      })
      .execute();
  }

  /** The stage history of a case, oldest first, with who made each move. */
  async stageHistoryOf(
    caseId: number,
  ): Promise<(StageTransition & { byEmail: string | null; note: string | null })[]> {
    const rows = await this.db
      .selectFrom('risk_stage_history')
      .leftJoin('users', 'users.id', 'risk_stage_history.by_user_id')
      .select([
        'risk_stage_history.from_stage_id',
        'risk_stage_history.to_stage_id',
        'risk_stage_history.at',
        'risk_stage_history.by_user_id',
        'risk_stage_history.note',
        'users.email',
      ])
      .where('risk_stage_history.case_id', '=', caseId)
      .orderBy('risk_stage_history.at')
      .orderBy('risk_stage_history.id')
      .execute();
    return rows.map((row) => ({
      fromStageId: row.from_stage_id,
      toStageId: row.to_stage_id,
      at: new Date(row.at),
      byUserId: row.by_user_id,
      byEmail: row.email,
      note: row.note,
    }));
  }

  async insertUpdate(
    caseId: number,
    update: { background: string; doneSoFar: string; nextSteps: string },
    authorId: number | null,
    now: Date,
  ): Promise<number> {
    const row = await this.db
      .insertInto('risk_updates')
      .values({
        case_id: caseId,
        background: update.background,
        done_so_far: update.doneSoFar,
        next_steps: update.nextSteps,
        author_id: authorId,
        at: now.toISOString(),
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    return row.id;
  }

  /** Weekly updates of a case, newest first. */
  async updatesOf(caseId: number, limit = 100): Promise<WeeklyUpdate[]> {
    const rows = await this.db
      .selectFrom('risk_updates')
      .leftJoin('users', 'users.id', 'risk_updates.author_id')
      .selectAll('risk_updates')
      .select('users.email')
      .where('risk_updates.case_id', '=', caseId)
      .orderBy('risk_updates.at', 'desc')
      .orderBy('risk_updates.id', 'desc')
      .limit(limit)
      .execute();
    return rows.map((row) => ({
      id: row.id,
      caseId: row.case_id,
      background: row.background,
      doneSoFar: row.done_so_far,
      nextSteps: row.next_steps,
      authorId: row.author_id,
      authorEmail: row.email,
      at: row.at,
    }));
  }

  /**
   * Cases that were open at some time between `from` and `to`, with the account facts a trend can be
   * broken down by (tier, team, owner, lifecycle stage, attributes) and the case's stage and track.
   */
  async casesOpenBetween(from: string, to: string): Promise<TrendCaseRow[]> {
    const rows = await this.db
      .selectFrom('risk_cases')
      .innerJoin('accounts', 'accounts.id', 'risk_cases.account_id')
      .innerJoin('risk_stages', 'risk_stages.id', 'risk_cases.stage_id')
      .leftJoin('users', 'users.id', 'accounts.owner_id')
      .leftJoin('teams', 'teams.id', 'accounts.team_id')
      .select([
        'risk_cases.id',
        'risk_cases.account_id',
        'risk_cases.opened_at',
        'risk_cases.closed_at',
        'risk_cases.track',
        'risk_cases.outcome',
        'risk_cases.arr_at_risk',
        'risk_cases.expected',
        'risk_cases.avoidable',
        'risk_cases.last_update_at',
        'risk_stages.key as stage_key',
        'risk_stages.name as stage_name',
        'accounts.team_id',
        'accounts.external_id',
        'accounts.name',
        'accounts.tier',
        'accounts.lifecycle_stage',
        'accounts.attributes',
        'users.email as owner_email',
        'teams.name as team_name',
      ])
      .where('risk_cases.opened_at', '<', to)
      .where((eb) => eb.or([eb('risk_cases.closed_at', 'is', null), eb('risk_cases.closed_at', '>=', from)]))
      .orderBy('risk_cases.id')
      .execute();
    return rows.map((row) => ({
      caseId: row.id,
      accountId: row.account_id,
      externalId: row.external_id,
      accountName: row.name,
      openedAt: row.opened_at,
      closedAt: row.closed_at,
      track: row.track,
      outcome: row.outcome,
      arrAtRisk: Number(row.arr_at_risk),
      expected: row.expected === null ? null : row.expected === 1,
      avoidable: row.avoidable === null ? null : row.avoidable === 1,
      lastUpdateAt: row.last_update_at,
      stage: row.stage_key,
      stageName: row.stage_name,
      teamId: row.team_id,
      tier: row.tier,
      lifecycleStage: row.lifecycle_stage,
      ownerEmail: row.owner_email,
      teamName: row.team_name,
      attributes: JSON.parse(row.attributes) as Record<string, unknown>,
    }));
  }

  /** Stores (or replaces) the separation survey of a case. */
  async saveSeparationSurvey(
    caseId: number,
    survey: SeparationSurvey,
    at: Date,
    userId: number | null,
  ): Promise<void> {
    const row = {
      case_id: caseId,
      primary_reason: survey.primaryReason,
      would_return:
        survey.wouldReturn === undefined || survey.wouldReturn === null ? null : survey.wouldReturn ? 1 : 0,
      competitor: survey.competitor ?? null,
      comments: survey.comments ?? null,
      recorded_at: at.toISOString(),
      recorded_by_user_id: userId,
    };
    await this.db
      .insertInto('separation_surveys')
      .values(row)
      .onConflict((oc) => oc.column('case_id').doUpdateSet(row))
      .execute();
  }

  /** Separation surveys of the given cases, by case id. */
  async separationSurveys(caseIds: readonly number[]): Promise<Map<number, SeparationSurvey>> {
    const found = new Map<number, SeparationSurvey>();
    for (let start = 0; start < caseIds.length; start += 1000) {
      const rows = await this.db
        .selectFrom('separation_surveys')
        .selectAll()
        .where('case_id', 'in', caseIds.slice(start, start + 1000))
        .execute();
      for (const row of rows)
        found.set(row.case_id, {
          primaryReason: row.primary_reason,
          wouldReturn: row.would_return === null ? null : row.would_return === 1,
          competitor: row.competitor,
          comments: row.comments,
        });
    }
    return found;
  }

  /** Each case's latest weekly update at or before `at`. */
  async lastUpdatesBefore(caseIds: readonly number[], at: string): Promise<Map<number, string>> {
    const found = new Map<number, string>();
    for (let start = 0; start < caseIds.length; start += 1000) {
      const rows = await this.db
        .selectFrom('risk_updates')
        .select((eb) => ['case_id', eb.fn.max('at').as('last_at')])
        .where('case_id', 'in', caseIds.slice(start, start + 1000))
        .where('at', '<=', at)
        .groupBy('case_id')
        .execute();
      for (const row of rows) if (row.last_at) found.set(row.case_id, String(row.last_at));
    }
    return found;
  }

  /** Cases matching a query, without their account's facts: what sorting and paging need. */
  async findCaseRecords(query: CaseQuery): Promise<RiskCaseRecord[]> {
    const rows = await this.filtered(query).selectAll('risk_cases').orderBy('risk_cases.id').execute();
    return rows.map(toRecord);
  }

  /**
   * The ids of one page of cases and how many match in all. Priority is the formula of
   * `casePriority` in SQL (rounded as it is, ties by id), so the page is what sorting every case
   * in memory would give.
   */
  async findCasePage(query: CasePageQuery): Promise<{ total: number; ids: number[] }> {
    const postgres = this.db.getExecutor().adapter instanceof PostgresAdapter;
    let q = this.filtered(query);
    if (query.quadrant !== undefined) q = q.where(quadrantSql, '=', query.quadrant);
    if (query.touchedSince !== undefined) {
      const since = query.touchedSince;
      q = q.where((eb) =>
        eb.or([
          eb('risk_cases.closed_at', 'is not', null),
          eb(eb.fn.coalesce('risk_cases.last_update_at', 'risk_cases.opened_at'), '>=', since),
        ]),
      );
    }
    const { n } = await q.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    const key = sortKeySql(query, postgres);
    const rows = await q
      .select('risk_cases.id')
      .orderBy(key, query.direction)
      .orderBy('risk_cases.id')
      .limit(query.limit)
      .offset(query.offset)
      .execute();
    return { total: Number(n), ids: rows.map((row) => row.id) };
  }

  /** Cases matching a query, with the facts of their account. */
  async findCases(query: CaseQuery): Promise<CaseWithAccount[]> {
    const rows = await this.filtered(query)
      .leftJoin('users', 'users.id', 'accounts.owner_id')
      .leftJoin('teams', 'teams.id', 'accounts.team_id')
      .selectAll('risk_cases')
      .select([
        'accounts.external_id as a_external_id',
        'accounts.name as a_name',
        'accounts.owner_id as a_owner_id',
        'users.email as a_owner_email',
        'accounts.team_id as a_team_id',
        'teams.name as a_team_name',
        'accounts.tier as a_tier',
        'accounts.arr as a_arr',
        'accounts.renewal_date as a_renewal_date',
      ])
      .orderBy('risk_cases.id')
      .execute();
    return rows.map((row) => ({
      ...toRecord(row),
      account: {
        externalId: row.a_external_id,
        name: row.a_name,
        ownerId: row.a_owner_id,
        ownerEmail: row.a_owner_email,
        teamId: row.a_team_id,
        teamName: row.a_team_name,
        tier: row.a_tier,
        arr: Number(row.a_arr),
        renewalDate: row.a_renewal_date,
      },
    }));
  }

  private filtered(query: CaseQuery) {
    let q = this.db.selectFrom('risk_cases').innerJoin('accounts', 'accounts.id', 'risk_cases.account_id');
    if (query.status === 'open') q = q.where('risk_cases.closed_at', 'is', null);
    if (query.status === 'closed') q = q.where('risk_cases.closed_at', 'is not', null);
    if (query.ids !== undefined)
      q = q.where('risk_cases.id', 'in', query.ids.length > 0 ? [...query.ids] : [-1]);
    if (query.stageIds && query.stageIds.length > 0) q = q.where('risk_cases.stage_id', 'in', query.stageIds);
    if (query.ownerId !== undefined) q = q.where('accounts.owner_id', '=', query.ownerId);
    if (query.teamId !== undefined) q = q.where('accounts.team_id', '=', query.teamId);
    if (query.track !== undefined) q = q.where('risk_cases.track', '=', query.track);
    if (query.accountId !== undefined) q = q.where('risk_cases.account_id', '=', query.accountId);
    if (query.reasonId !== undefined) {
      const reasonId = query.reasonId;
      q = q.where((eb) =>
        eb.exists(
          eb
            .selectFrom('risk_case_reasons')
            .select('risk_case_reasons.case_id')
            .whereRef('risk_case_reasons.case_id', '=', 'risk_cases.id')
            .where('risk_case_reasons.reason_id', '=', reasonId),
        ),
      );
    }
    if (query.lastTouchedBefore !== undefined) {
      const cutoff = query.lastTouchedBefore;
      q = q.where((eb) =>
        eb(eb.fn.coalesce('risk_cases.last_update_at', 'risk_cases.opened_at'), '<', cutoff),
      );
    }
    if (query.q) {
      const pattern = `%${query.q.toLowerCase()}%`;
      q = q.where((eb) =>
        eb.or([
          eb(eb.fn('lower', ['accounts.name']), 'like', pattern),
          eb(eb.fn('lower', ['accounts.external_id']), 'like', pattern),
        ]),
      );
    }
    return q;
  }
}

const quadrantSql = sql<string>`(case when risk_cases.expected is null or risk_cases.avoidable is null then 'unplaced'
  else (case when risk_cases.expected = 1 then 'expected' else 'unexpected' end) || '_' ||
       (case when risk_cases.avoidable = 1 then 'avoidable' else 'unavoidable' end) end)`;

/** The worklist's sort key as SQL; time in stage and priority are relative to `now`. */
function sortKeySql(query: CasePageQuery, postgres: boolean) {
  const nowIso = query.now.toISOString();
  const days = postgres
    ? sql<number>`(extract(epoch from (${nowIso}::timestamptz - risk_cases.stage_entered_at::timestamptz)) / 86400.0)`
    : sql<number>`(julianday(${nowIso}) - julianday(risk_cases.stage_entered_at))`;
  switch (query.sort) {
    case 'time_in_stage':
      return sql<number>`round(${days} * 10)`;
    case 'arr_at_risk':
      return sql<number>`risk_cases.arr_at_risk`;
    case 'ltv':
      return sql<number>`risk_cases.ltv`;
    case 'opened_at':
      return sql<string>`risk_cases.opened_at`;
    case 'last_update':
      return sql<string>`coalesce(risk_cases.last_update_at, risk_cases.opened_at)`;
    case 'priority': {
      const least = sql.raw(postgres ? 'least' : 'min');
      const greatest = sql.raw(postgres ? 'greatest' : 'max');
      const log10 = sql.raw(postgres ? 'log' : 'log10');
      const part = (column: string, scale: number) =>
        sql`${least}(1, ${log10}(1 + ${greatest}(0, ${sql.ref(column)})) / ${sql.lit(scale)})`;
      const { arrAtRisk, ltv, timeInStage } = query.weights;
      const total = arrAtRisk + ltv + timeInStage;
      if (total <= 0) return sql<number>`0`;
      const time = sql`${least}(1, ${greatest}(0, ${days}) / ${sql.lit(PRIORITY_SCALES.stuckAfterDays)})`;
      const score = sql`(${sql.lit(arrAtRisk)} * ${part('risk_cases.arr_at_risk', PRIORITY_SCALES.arr)}
        + ${sql.lit(ltv)} * ${part('risk_cases.ltv', PRIORITY_SCALES.ltv)}
        + ${sql.lit(timeInStage)} * ${time}) / ${sql.lit(total)}`;
      // Rounded to one decimal as casePriority rounds; closed cases have no priority.
      return sql<number>`(case when risk_cases.closed_at is null then round(${score} * 1000) else 0 end)`;
    }
  }
}

function flag(value: boolean | null): number | null;
function flag(value: boolean | null | undefined): number | null | undefined;
function flag(value: boolean | null | undefined): number | null | undefined {
  return value === null || value === undefined ? value : value ? 1 : 0;
}

function toColumns(changes: RiskCaseChanges) {
  const columns = {
    stage_id: changes.stageId,
    stage_entered_at: changes.stageEnteredAt,
    open_ms_before_stage: changes.openMsBeforeStage,
    opened_at: changes.openedAt,
    opened_by_user_id: changes.openedByUserId,
    source: changes.source,
    expected: flag(changes.expected),
    avoidable: flag(changes.avoidable),
    arr_at_risk: changes.arrAtRisk,
    ltv: changes.ltv,
    ltv_given: flag(changes.ltvGiven) ?? undefined,
    track: changes.track,
    closed_at: changes.closedAt,
    outcome: changes.outcome,
    last_update_at: changes.lastUpdateAt,
  };
  return Object.fromEntries(Object.entries(columns).filter(([, value]) => value !== undefined)) as Partial<
    Omit<Selectable<RiskCaseTable>, 'id' | 'account_id' | 'created_at' | 'updated_at' | 'version'>
  >;
}

function toRecord(row: Selectable<RiskCaseTable>): RiskCaseRecord {
  return {
    id: row.id,
    accountId: row.account_id,
    stageId: row.stage_id,
    stageEnteredAt: row.stage_entered_at,
    openMsBeforeStage: Number(row.open_ms_before_stage),
    openedAt: row.opened_at,
    openedByUserId: row.opened_by_user_id,
    source: row.source as CaseSource,
    expected: row.expected === null ? null : row.expected === 1,
    avoidable: row.avoidable === null ? null : row.avoidable === 1,
    arrAtRisk: Number(row.arr_at_risk),
    ltv: Number(row.ltv),
    ltvGiven: row.ltv_given === 1,
    track: row.track as CaseTrack,
    closedAt: row.closed_at,
    outcome: row.outcome as CaseOutcome | null,
    lastUpdateAt: row.last_update_at,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    version: row.version,
  };
}

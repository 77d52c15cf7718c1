// Saved segments, their current members and the history of entries and exits.
import { sql, type Kysely, type RawBuilder, type Selectable, type SqlBool } from 'kysely';
import type { Filter } from '../domain/segment-filter';
import { filterCondition, type FilterContext } from './segment-query';
import type { Database, SavedSegmentTable } from './schema';

export interface SavedSegment {
  id: number;
  key: string;
  name: string;
  description: string | null;
  filter: string;
  createdByUserId: number | null;
  memberCount: number;
  refreshedAt: string | null;
  createdAt: string;
  updatedAt: string;
  version: number;
}

export interface SegmentFields {
  key: string;
  name: string;
  description: string | null;
  filter: string;
}

export interface SegmentAccount {
  id: number;
  externalId: string;
  name: string;
  tier: string | null;
  arr: number;
  renewalDate: string | null;
  ownerEmail: string | null;
  teamName: string | null;
}

export interface MembershipEvent {
  id: number;
  segmentId: number;
  accountId: number;
  externalId: string;
  accountName: string;
  kind: 'entered' | 'left';
  at: string;
}

const CHUNK = 500;

function toSegment(row: Selectable<SavedSegmentTable>): SavedSegment {
  return {
    id: row.id,
    key: row.key,
    name: row.name,
    description: row.description,
    filter: row.filter,
    createdByUserId: row.created_by_user_id,
    memberCount: row.member_count,
    refreshedAt: row.refreshed_at,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    version: row.version,
  };
}

export class SavedSegmentRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async list(): Promise<SavedSegment[]> {
    const rows = await this.db
      .selectFrom('saved_segments')
      .selectAll()
      .orderBy('name')
      .orderBy('id')
      .execute();
    return rows.map(toSegment);
  }

  async findById(id: number): Promise<SavedSegment | undefined> {
    const row = await this.db
      .selectFrom('saved_segments')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirst();
    return row && toSegment(row);
  }

  async findByKey(key: string): Promise<SavedSegment | undefined> {
    const row = await this.db
      .selectFrom('saved_segments')
      .selectAll()
      .where('key', '=', key)
      .executeTakeFirst();
    return row && toSegment(row);
  }

  async insert(fields: SegmentFields, createdBy: number | null, now: Date): Promise<number> {
    const at = now.toISOString();
    const row = await this.db
      .insertInto('saved_segments')
      .values({ ...fields, created_by_user_id: createdBy, created_at: at, updated_at: at })
      .returning('id')
      .executeTakeFirstOrThrow();
    return row.id;
  }

  /** Applies changes if the version still matches; false when someone else changed it first. */
  async update(
    id: number,
    fields: Partial<SegmentFields>,
    now: Date,
    expectedVersion: number,
  ): Promise<boolean> {
    const result = await this.db
      .updateTable('saved_segments')
      .set((eb) => ({ ...fields, updated_at: now.toISOString(), version: eb('version', '+', 1) }))
      .where('id', '=', id)
      .where('version', '=', expectedVersion)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  async delete(id: number): Promise<void> {
    await this.db.deleteFrom('saved_segments').where('id', '=', id).execute();
  }

  /** Current members among `accountIds` (all members when omitted). */
  async memberIds(segmentId: number, accountIds?: readonly number[]): Promise<Set<number>> {
    let query = this.db
      .selectFrom('segment_members')
      .select('account_id')
      .where('segment_id', '=', segmentId);
    if (accountIds) {
      const found = new Set<number>();
      for (let i = 0; i < accountIds.length; i += CHUNK) {
        const rows = await query.where('account_id', 'in', accountIds.slice(i, i + CHUNK)).execute();
        for (const row of rows) found.add(row.account_id);
      }
      return found;
    }
    query = query.orderBy('account_id');
    return new Set((await query.execute()).map((row) => row.account_id));
  }

  /** Accounts matching a filter now (among `accountIds` when given), in id order. */
  async matchingIds(
    filter: Filter,
    context: FilterContext,
    accountIds?: readonly number[],
  ): Promise<number[]> {
    const base = this.db.selectFrom('accounts').select('accounts.id').where(filterCondition(filter, context));
    if (!accountIds) return (await base.orderBy('accounts.id').execute()).map((row) => row.id);
    const found: number[] = [];
    for (let i = 0; i < accountIds.length; i += CHUNK) {
      const rows = await base.where('accounts.id', 'in', accountIds.slice(i, i + CHUNK)).execute();
      found.push(...rows.map((row) => row.id));
    }
    return found.sort((a, b) => a - b);
  }

  /** How many accounts match a filter now. */
  async countMatching(filter: Filter, context: FilterContext): Promise<number> {
    const row = await this.db
      .selectFrom('accounts')
      .select((eb) => eb.fn.countAll<number | string>().as('n'))
      .where(filterCondition(filter, context))
      .executeTakeFirst();
    return Number(row?.n ?? 0);
  }

  /** A page of the accounts matching a filter now, by name. */
  async matchingAccounts(
    filter: Filter,
    context: FilterContext,
    page: { limit: number; offset: number },
  ): Promise<SegmentAccount[]> {
    return this.accountPage(filterCondition(filter, context), page);
  }

  /** A page of the segment's members as of its last refresh, by name. */
  async memberAccounts(
    segmentId: number,
    page: { limit: number; offset: number },
  ): Promise<SegmentAccount[]> {
    return this.accountPage(
      sql<SqlBool>`accounts.id in (select m.account_id from segment_members m where m.segment_id = ${segmentId})`,
      page,
    );
  }

  private async accountPage(
    condition: RawBuilder<SqlBool>,
    page: { limit: number; offset: number },
  ): Promise<SegmentAccount[]> {
    const rows = await this.db
      .selectFrom('accounts')
      .leftJoin('users', 'users.id', 'accounts.owner_id')
      .leftJoin('teams', 'teams.id', 'accounts.team_id')
      .select([
        'accounts.id',
        'accounts.external_id',
        'accounts.name',
        'accounts.tier',
        'accounts.arr',
        'accounts.renewal_date',
        'users.email as owner_email',
        'teams.name as team_name',
      ])
      .where(condition)
      .orderBy('accounts.name')
      .orderBy('accounts.id')
      .limit(page.limit)
      .offset(page.offset)
      .execute();
    return rows.map((row) => ({
      id: row.id,
      externalId: row.external_id,
      name: row.name,
      tier: row.tier,
      arr: row.arr,
      renewalDate: row.renewal_date,
      ownerEmail: row.owner_email,
      teamName: row.team_name,
    }));
  }

  /**
   * Records entries and exits and brings the member list and count up to date; `complete` when every
   * account was checked (then the segment counts as refreshed now).
   */
  async applyMembership(
    segmentId: number,
    change: { entered: readonly number[]; left: readonly number[] },
    now: Date,
    complete: boolean,
  ): Promise<{ entered: number[]; left: number[] }> {
    const at = now.toISOString();
    // Two refreshes of the same account may race (two ingests at once): each entry and exit is
    // recorded only by the one whose insert or delete took effect.
    const entered: number[] = [];
    const left: number[] = [];
    for (let i = 0; i < change.entered.length; i += CHUNK) {
      const chunk = change.entered.slice(i, i + CHUNK);
      const inserted = await this.db
        .insertInto('segment_members')
        .values(chunk.map((accountId) => ({ segment_id: segmentId, account_id: accountId, entered_at: at })))
        .onConflict((conflict) => conflict.columns(['segment_id', 'account_id']).doNothing())
        .returning('account_id')
        .execute();
      entered.push(...inserted.map((row) => row.account_id));
    }
    for (let i = 0; i < change.left.length; i += CHUNK) {
      const chunk = change.left.slice(i, i + CHUNK);
      const deleted = await this.db
        .deleteFrom('segment_members')
        .where('segment_id', '=', segmentId)
        .where('account_id', 'in', chunk)
        .returning('account_id')
        .execute();
      left.push(...deleted.map((row) => row.account_id));
    }
    for (const [kind, ids] of [
      ['entered', entered],
      ['left', left],
    ] as const) {
      for (let i = 0; i < ids.length; i += CHUNK) {
        await this.db
          .insertInto('segment_membership_events')
          .values(
            ids
              .slice(i, i + CHUNK)
              .map((accountId) => ({ segment_id: segmentId, account_id: accountId, kind, at })),
          )
          .execute();
      }
    }
    const delta = entered.length - left.length;
    await this.db
      .updateTable('saved_segments')
      .set((eb) => ({
        member_count: eb('member_count', '+', delta),
        ...(complete ? { refreshed_at: at } : {}),
      }))
      .where('id', '=', segmentId)
      .execute();
    return { entered, left };
  }

  /** Entries and exits, newest first. */
  async events(
    filter: { segmentId?: number; accountId?: number; since?: string },
    page: { limit: number; offset: number },
  ): Promise<MembershipEvent[]> {
    let query = this.db
      .selectFrom('segment_membership_events as e')
      .innerJoin('accounts', 'accounts.id', 'e.account_id')
      .select([
        'e.id',
        'e.segment_id',
        'e.account_id',
        'e.kind',
        'e.at',
        'accounts.external_id',
        'accounts.name',
      ]);
    if (filter.segmentId !== undefined) query = query.where('e.segment_id', '=', filter.segmentId);
    if (filter.accountId !== undefined) query = query.where('e.account_id', '=', filter.accountId);
    if (filter.since !== undefined) query = query.where('e.at', '>=', filter.since);
    const rows = await query
      .orderBy('e.at', 'desc')
      .orderBy('e.id', 'desc')
      .limit(page.limit)
      .offset(page.offset)
      .execute();
    return rows.map((row) => ({
      id: row.id,
      segmentId: row.segment_id,
      accountId: row.account_id,
      externalId: row.external_id,
      accountName: row.name,
      kind: row.kind === 'left' ? 'left' : 'entered',
      at: row.at,
    }));
  }
}

// Accounts and their contacts.
import { sql, type Expression, type Kysely, type SelectQueryBuilder } from 'kysely';
import type { Account, AccountFields, Contact } from '../domain/account';
import { accountIssues, assertWithinLimits, contactIssues, preview } from '../domain/input-limits';
import type { Filter } from '../domain/segment-filter';
import { accountsWritten } from './account-writes';
import { parseAttributes } from './json';
import type { Database } from './schema';
import { filterCondition, type FilterContext } from './segment-query';

export interface AccountFilter {
  q?: string;
  ownerId?: number;
  teamId?: number;
  tier?: string;
  lifecycleStage?: string;
  renewalBefore?: string;
  /** A parsed segment filter, compiled to SQL as saved segments are. */
  segment?: { filter: Filter; context: FilterContext };
}

export const ACCOUNT_SORTS = [
  'name',
  'arr',
  'renewal_date',
  'updated_at',
  'health_score',
  'owner',
  'last_activity',
] as const;
export type AccountSort = (typeof ACCOUNT_SORTS)[number];
export type SortDirection = 'asc' | 'desc';

/** The order of an account list; `today` is the day whose latest health score counts. */
export interface AccountOrder {
  sort: AccountSort;
  dir: SortDirection;
  today: string;
}

export interface Page {
  limit: number;
  offset: number;
}

type AccountQuery = SelectQueryBuilder<Database, 'accounts', object>;

const ACCOUNT_COLUMNS = [
  'accounts.id',
  'accounts.external_id',
  'accounts.name',
  'accounts.owner_id',
  'accounts.team_id',
  'accounts.tier',
  'accounts.arr',
  'accounts.renewal_date',
  'accounts.lifecycle_stage',
  'accounts.attributes',
  'accounts.created_at',
  'accounts.updated_at',
  'accounts.version',
] as const;

export class AccountRepository {
  constructor(private readonly db: Kysely<Database>) {}

  private selectAccounts() {
    return this.db
      .selectFrom('accounts')
      .leftJoin('users', 'users.id', 'accounts.owner_id')
      .leftJoin('teams', 'teams.id', 'accounts.team_id')
      .select(ACCOUNT_COLUMNS)
      .select(['users.email as owner_email', 'teams.name as team_name']);
  }

  async findById(id: number): Promise<Account | undefined> {
    const row = await this.selectAccounts().where('accounts.id', '=', id).executeTakeFirst();
    return row && toAccount(row);
  }

  async findByExternalId(externalId: string): Promise<Account | undefined> {
    const row = await this.selectAccounts().where('accounts.external_id', '=', externalId).executeTakeFirst();
    return row && toAccount(row);
  }

  /** Every account id, in id order. */
  async allIds(): Promise<number[]> {
    const rows = await this.db.selectFrom('accounts').select('id').orderBy('id').execute();
    return rows.map((row) => row.id);
  }

  /** The accounts among `ids` that exist, keyed by id. */
  async findManyById(ids: readonly number[]): Promise<Map<number, Account>> {
    if (ids.length === 0) return new Map();
    const rows = await this.selectAccounts().where('accounts.id', 'in', ids).execute();
    return new Map(rows.map((row) => [row.id, toAccount(row)]));
  }

  /** The accounts among `externalIds` that exist already, keyed by external id. */
  async findManyByExternalId(externalIds: readonly string[]): Promise<Map<string, Account>> {
    if (externalIds.length === 0) return new Map();
    const rows = await this.selectAccounts().where('accounts.external_id', 'in', externalIds).execute();
    return new Map(rows.map((row) => [row.external_id, toAccount(row)]));
  }

  /** One signal of these accounts that occurred at or after `from`, with its account, if any. */
  async firstSignalFrom(
    accountIds: readonly number[],
    from: string,
  ): Promise<{ externalId: string; occurredAt: string } | undefined> {
    if (accountIds.length === 0) return undefined;
    const row = await this.db
      .selectFrom('signals')
      .innerJoin('accounts', 'accounts.id', 'signals.account_id')
      .select(['accounts.external_id', 'signals.occurred_at'])
      .where('signals.account_id', 'in', accountIds)
      .where('signals.occurred_at', '>=', from)
      .orderBy('signals.occurred_at')
      .limit(1)
      .executeTakeFirst();
    return row && { externalId: row.external_id, occurredAt: row.occurred_at };
  }

  /** How many accounts match `filter`. */
  async count(filter: AccountFilter): Promise<number> {
    const total = await applyAccountFilter(this.db.selectFrom('accounts'), filter)
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    return Number(total.n);
  }

  /** One page of the accounts that match `filter`, in `order`. */
  async page(filter: AccountFilter, order: AccountOrder, page: Page): Promise<Account[]> {
    const rows = await inOrder(applyAccountFilter(this.selectAccounts(), filter), order)
      .limit(page.limit)
      .offset(page.offset)
      .execute();
    return rows.map(toAccount);
  }

  /** The ids of every account that matches `filter`, in `order`: what an export walks through. */
  async idsInOrder(filter: AccountFilter, order: AccountOrder): Promise<number[]> {
    const base = this.db
      .selectFrom('accounts')
      .leftJoin('users', 'users.id', 'accounts.owner_id')
      .select('accounts.id');
    const rows = await inOrder(applyAccountFilter(base, filter), order).execute();
    return rows.map((row) => row.id);
  }

  /** When each of these accounts last sent a signal, keyed by account id (absent: never). */
  async lastActivity(ids: readonly number[]): Promise<Map<number, string>> {
    if (ids.length === 0) return new Map();
    const rows = await this.db
      .selectFrom('signals')
      .select(['signals.account_id', (eb) => eb.fn.max('signals.occurred_at').as('at')])
      .where('signals.account_id', 'in', ids)
      .groupBy('signals.account_id')
      .execute();
    return new Map(rows.map((row) => [row.account_id, row.at]));
  }

  /** Streams every account in id order, in chunks, for exports. */
  async *iterateAll(chunkSize = 2000): AsyncGenerator<Account[]> {
    let after = 0;
    for (;;) {
      const rows = await this.selectAccounts()
        .where('accounts.id', '>', after)
        .orderBy('accounts.id')
        .limit(chunkSize)
        .execute();
      if (rows.length === 0) return;
      yield rows.map(toAccount);
      after = rows[rows.length - 1]?.id ?? after;
    }
  }

  async insert(fields: AccountFields, now: Date): Promise<number> {
    checkAccount(fields, `"${preview(fields.externalId)}"`);
    const at = now.toISOString();
    const row = await this.db
      .insertInto('accounts')
      .values({ ...toColumns(fields), created_at: at, updated_at: at })
      .returning('id')
      .executeTakeFirstOrThrow();
    accountsWritten(this.db);
    return row.id;
  }

  /** Updates the given fields; with `expectedVersion`, only if the stored version still matches. */
  async update(
    id: number,
    fields: Partial<AccountFields>,
    now: Date,
    expectedVersion?: number,
  ): Promise<boolean> {
    checkAccount(fields, String(id));
    let query = this.db
      .updateTable('accounts')
      .set({ ...toColumns(fields), updated_at: now.toISOString(), version: sql<number>`version + 1` })
      .where('id', '=', id);
    if (expectedVersion !== undefined) query = query.where('version', '=', expectedVersion);
    const result = await query.executeTakeFirst();
    accountsWritten(this.db);
    return Number(result.numUpdatedRows) > 0;
  }

  /** Inserts or updates many complete accounts by external id; returns their ids by external id. */
  async upsertMany(rows: readonly AccountFields[], now: Date): Promise<Map<string, number>> {
    if (rows.length === 0) return new Map();
    for (const fields of rows) checkAccount(fields, `"${preview(fields.externalId)}"`);
    const at = now.toISOString();
    const inserted = await this.db
      .insertInto('accounts')
      .values(
        rows.map((fields) => ({
          external_id: fields.externalId,
          name: fields.name,
          owner_id: fields.ownerId,
          team_id: fields.teamId,
          tier: fields.tier,
          arr: fields.arr,
          renewal_date: fields.renewalDate,
          lifecycle_stage: fields.lifecycleStage,
          attributes: JSON.stringify(fields.attributes),
          created_at: at,
          updated_at: at,
        })),
      )
      .onConflict((oc) =>
        oc.column('external_id').doUpdateSet((eb) => ({
          name: eb.ref('excluded.name'),
          owner_id: eb.ref('excluded.owner_id'),
          team_id: eb.ref('excluded.team_id'),
          tier: eb.ref('excluded.tier'),
          arr: eb.ref('excluded.arr'),
          renewal_date: eb.ref('excluded.renewal_date'),
          lifecycle_stage: eb.ref('excluded.lifecycle_stage'),
          attributes: eb.ref('excluded.attributes'),
          updated_at: eb.ref('excluded.updated_at'),
          version: sql<number>`accounts.version + 1`,
        })),
      )
      .returning(['id', 'external_id'])
      .execute();
    accountsWritten(this.db);
    return new Map(inserted.map((row) => [row.external_id, row.id]));
  }

  async delete(id: number): Promise<void> {
    await this.db.deleteFrom('accounts').where('id', '=', id).execute();
    accountsWritten(this.db);
  }

  async listContacts(accountId: number): Promise<Contact[]> {
    const rows = await this.db
      .selectFrom('contacts')
      .selectAll()
      .where('account_id', '=', accountId)
      .orderBy('is_champion', 'desc')
      .orderBy('email')
      .execute();
    return rows.map(toContact);
  }

  async findContact(id: number): Promise<Contact | undefined> {
    const row = await this.db.selectFrom('contacts').selectAll().where('id', '=', id).executeTakeFirst();
    return row && toContact(row);
  }

  async insertContact(fields: ContactFields, now: Date): Promise<number> {
    checkContact(fields);
    const at = now.toISOString();
    const row = await this.db
      .insertInto('contacts')
      .values({ ...contactColumns(fields), created_at: at, updated_at: at })
      .returning('id')
      .executeTakeFirstOrThrow();
    return row.id;
  }

  async updateContact(id: number, fields: Partial<ContactFields>, now: Date): Promise<void> {
    checkContact(fields);
    await this.db
      .updateTable('contacts')
      .set({ ...contactColumns(fields), updated_at: now.toISOString() })
      .where('id', '=', id)
      .execute();
  }

  async deleteContact(id: number): Promise<void> {
    await this.db.deleteFrom('contacts').where('id', '=', id).execute();
  }

  /** Contacts already stored for the given (account, email) pairs, keyed `accountId|email`. */
  async findContactsByKey(
    keys: readonly { accountId: number; email: string }[],
  ): Promise<Map<string, Contact>> {
    if (keys.length === 0) return new Map();
    const accountIds = [...new Set(keys.map((key) => key.accountId))];
    const rows = await this.db
      .selectFrom('contacts')
      .selectAll()
      .where('account_id', 'in', accountIds)
      .execute();
    const wanted = new Set(keys.map((key) => `${key.accountId}|${key.email}`));
    return new Map(
      rows
        .filter((row) => wanted.has(`${row.account_id}|${row.email}`))
        .map((row) => [`${row.account_id}|${row.email}`, toContact(row)]),
    );
  }

  async upsertContacts(
    rows: readonly ContactFields[],
    columns: readonly (keyof ContactFields)[],
    now: Date,
  ): Promise<void> {
    if (rows.length === 0) return;
    for (const fields of rows) checkContact(fields);
    const at = now.toISOString();
    const updatable = columns
      .filter((column) => column !== 'accountId' && column !== 'email')
      .map((column) => CONTACT_COLUMN_OF[column]);
    await this.db
      .insertInto('contacts')
      .values(rows.map((fields) => ({ ...contactColumns(fields), created_at: at, updated_at: at })))
      .onConflict((oc) =>
        oc.columns(['account_id', 'email']).doUpdateSet((eb) => {
          const set: Record<string, unknown> = { updated_at: eb.ref('excluded.updated_at') };
          for (const column of updatable) set[column] = eb.ref(`excluded.${column}`);
          return set;
        }),
      )
      .execute();
  }

  async *iterateContacts(chunkSize = 5000): AsyncGenerator<(Contact & { accountExternalId: string })[]> {
    let after = 0;
    for (;;) {
      const rows = await this.db
        .selectFrom('contacts')
        .innerJoin('accounts', 'accounts.id', 'contacts.account_id')
        .selectAll('contacts')
        .select('accounts.external_id as account_external_id')
        .where('contacts.id', '>', after)
        .orderBy('contacts.id')
        .limit(chunkSize)
        .execute();
      if (rows.length === 0) return;
      yield rows.map((row) => ({ ...toContact(row), accountExternalId: row.account_external_id }));
      after = rows[rows.length - 1]?.id ?? after;
    }
  }
}

export interface ContactFields {
  accountId: number;
  email: string;
  name: string | null;
  role: string | null;
  isChampion: boolean;
  attributes: Account['attributes'];
}

const CONTACT_COLUMN_OF = {
  accountId: 'account_id',
  email: 'email',
  name: 'name',
  role: 'role',
  isChampion: 'is_champion',
  attributes: 'attributes',
} as const satisfies Record<keyof ContactFields, string>;

function applyAccountFilter<Q extends AccountQuery>(query: Q, filter: AccountFilter): Q {
  let q = query as AccountQuery;
  if (filter.q) {
    const pattern = `%${filter.q.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    q = q.where((eb) =>
      eb.or([
        eb(eb.fn('lower', ['accounts.name']), 'like', sql<string>`${pattern} escape '\\'`),
        eb(eb.fn('lower', ['accounts.external_id']), 'like', sql<string>`${pattern} escape '\\'`),
      ]),
    );
  }
  if (filter.ownerId !== undefined) q = q.where('accounts.owner_id', '=', filter.ownerId);
  if (filter.teamId !== undefined) q = q.where('accounts.team_id', '=', filter.teamId);
  if (filter.tier !== undefined) q = q.where('accounts.tier', '=', filter.tier);
  if (filter.lifecycleStage !== undefined)
    q = q.where('accounts.lifecycle_stage', '=', filter.lifecycleStage);
  if (filter.renewalBefore !== undefined) q = q.where('accounts.renewal_date', '<=', filter.renewalBefore);
  if (filter.segment) q = q.where(filterCondition(filter.segment.filter, filter.segment.context));
  return q as Q;
}

type OrderedQuery = SelectQueryBuilder<Database, 'accounts' | 'users', object>;

/**
 * The list in `order`, ties broken by id in the same direction (so the name order walks the
 * (name, id) index either way). Columns an account may lack (renewal, owner, score, activity) put
 * those accounts last in both directions, on both stores.
 */
function inOrder<Q extends OrderedQuery>(query: Q, order: AccountOrder): Q {
  const { dir } = order;
  const q = query as OrderedQuery;
  const nullable = (value: Expression<unknown>) =>
    q.orderBy(value, (ob) => (dir === 'asc' ? ob.asc() : ob.desc()).nullsLast());
  let ordered: OrderedQuery;
  switch (order.sort) {
    case 'name':
    case 'arr':
    case 'updated_at':
      ordered = q.orderBy(`accounts.${order.sort}`, dir);
      break;
    case 'renewal_date':
      ordered = nullable(sql.ref('accounts.renewal_date'));
      break;
    case 'owner':
      ordered = nullable(sql.ref('users.name'));
      break;
    case 'health_score':
      ordered = nullable(
        sql`(select h.score from health_scores h where h.account_id = accounts.id and h.day <= ${order.today} order by h.day desc limit 1)`,
      );
      break;
    case 'last_activity':
      ordered = nullable(sql`(select max(s.occurred_at) from signals s where s.account_id = accounts.id)`);
      break;
  }
  return ordered.orderBy('accounts.id', dir) as Q;
}

function toColumns(fields: Partial<AccountFields>) {
  return {
    ...(fields.externalId !== undefined && { external_id: fields.externalId }),
    ...(fields.name !== undefined && { name: fields.name }),
    ...(fields.ownerId !== undefined && { owner_id: fields.ownerId }),
    ...(fields.teamId !== undefined && { team_id: fields.teamId }),
    ...(fields.tier !== undefined && { tier: fields.tier }),
    ...(fields.arr !== undefined && { arr: fields.arr }),
    ...(fields.renewalDate !== undefined && { renewal_date: fields.renewalDate }),
    ...(fields.lifecycleStage !== undefined && { lifecycle_stage: fields.lifecycleStage }),
    ...(fields.attributes !== undefined && { attributes: JSON.stringify(fields.attributes) }),
  } as {
    external_id: string;
    name: string;
    owner_id?: number | null;
    team_id?: number | null;
    tier?: string | null;
    arr?: number;
    renewal_date?: string | null;
    lifecycle_stage?: string | null;
    attributes?: string;
  };
}

function contactColumns(fields: Partial<ContactFields>) {
  return {
    ...(fields.accountId !== undefined && { account_id: fields.accountId }),
    ...(fields.email !== undefined && { email: fields.email }),
    ...(fields.name !== undefined && { name: fields.name }),
    ...(fields.role !== undefined && { role: fields.role }),
    ...(fields.isChampion !== undefined && { is_champion: fields.isChampion ? 1 : 0 }),
    ...(fields.attributes !== undefined && { attributes: JSON.stringify(fields.attributes) }),
  } as {
    account_id: number;
    email: string;
    name?: string | null;
    role?: string | null;
    is_champion?: number;
    attributes?: string;
  };
}

function toAccount(row: {
  id: number;
  external_id: string;
  name: string;
  owner_id: number | null;
  team_id: number | null;
  tier: string | null;
  arr: number;
  renewal_date: string | null;
  lifecycle_stage: string | null;
  attributes: string;
  created_at: string;
  updated_at: string;
  version: number;
  owner_email: string | null;
  team_name: string | null;
}): Account {
  return {
    id: row.id,
    externalId: row.external_id,
    name: row.name,
    ownerId: row.owner_id,
    ownerEmail: row.owner_email,
    teamId: row.team_id,
    teamName: row.team_name,
    tier: row.tier,
    arr: Number(row.arr),
    renewalDate: row.renewal_date,
    lifecycleStage: row.lifecycle_stage,
    attributes: parseAttributes(row.attributes),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    version: row.version,
  };
}

function toContact(row: {
  id: number;
  account_id: number;
  email: string;
  name: string | null;
  role: string | null;
  is_champion: number;
  attributes: string;
  created_at: string;
  updated_at: string;
}): Contact {
  return {
    id: row.id,
    accountId: row.account_id,
    email: row.email,
    name: row.name,
    role: row.role,
    isChampion: row.is_champion === 1,
    attributes: parseAttributes(row.attributes),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

// Every way in (API, Segment, CSV import, CLI, demo and datasets) writes accounts and contacts
// through this repository, so the input limits are held here too: no caller can store a value
// the limits refuse, even one that forgot to check first.
function checkAccount(fields: Partial<AccountFields>, which: string): void {
  assertWithinLimits(accountIssues(fields), `Account ${which}:`);
}

function checkContact(fields: Partial<ContactFields>): void {
  assertWithinLimits(contactIssues(fields), 'Contact:');
}

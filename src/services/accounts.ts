// Accounts and contacts: create, read, update, delete, with permission checks and an audit trail.
import type { Kysely } from 'kysely';
import { bareAccount, diffFields, type Account, type AccountFields, type Contact } from '../domain/account';
import { AppError } from '../domain/errors';
import { parseEmail } from '../domain/values';
import { assertCan, type Actor } from '../domain/policy';
import { parseFilter } from '../domain/segment-filter';
import { dayOf } from '../domain/signals';
import {
  AccountRepository,
  type AccountFilter,
  type AccountOrder,
  type AccountSort,
  type ContactFields,
  type SortDirection,
} from '../store/account.repository';
import { AuditRepository, type AuditEntry } from '../store/audit.repository';
import { isUniqueViolation } from '../store/errors';
import { HealthRepository } from '../store/health.repository';
import type { Database } from '../store/schema';
import { UserRepository } from '../store/user.repository';
import { accountCounts, type AccountCounts } from './account-counts';
import { inTransaction, type ServiceContext } from './context';

export type AccountInput = Omit<
  AccountFields,
  'ownerId' | 'teamId' | 'tier' | 'renewalDate' | 'lifecycleStage' | 'attributes' | 'arr'
> &
  Partial<AccountFields>;

export type ContactInput = Omit<ContactFields, 'accountId' | 'attributes' | 'name' | 'role' | 'isChampion'> &
  Partial<Omit<ContactFields, 'accountId'>>;

/** Which accounts a list or an export takes: the list's filters and a segment filter's text. */
export type AccountSelection = Omit<AccountFilter, 'segment'> & { filter?: string };

/** A row of the account list: the account, its latest health score and when it last sent a signal. */
export interface AccountListItem extends Account {
  health: { score: number; band: string } | null;
  lastActivityAt: string | null;
}

/** The direction each sort takes when none is asked for: the most telling rows first. */
export const DEFAULT_SORT_DIRECTION: Record<AccountSort, SortDirection> = {
  name: 'asc',
  arr: 'desc',
  renewal_date: 'asc',
  updated_at: 'desc',
  health_score: 'asc',
  owner: 'asc',
  last_activity: 'desc',
};

/**
 * The selection as the repository filters by it: a segment filter is parsed (INVALID_FILTER with its
 * position when it does not read) and compiled against `now`, as saved segments are.
 */
export function accountFilterOf(selection: AccountSelection, context: ServiceContext): AccountFilter {
  const { filter: text, ...filter } = selection;
  if (text === undefined || text.trim() === '') return filter;
  return {
    ...filter,
    segment: {
      filter: parseFilter(text),
      context: { now: context.clock.now(), postgres: context.store.kind === 'postgres' },
    },
  };
}

/** A sort and direction as the repository orders by them (health as of today). */
export function accountOrderOf(
  sort: AccountSort,
  dir: SortDirection | undefined,
  context: ServiceContext,
): AccountOrder {
  return {
    sort,
    dir: dir ?? DEFAULT_SORT_DIRECTION[sort],
    today: dayOf(context.clock.now().toISOString()),
  };
}

export class AccountService {
  private readonly counts: AccountCounts;

  constructor(private readonly context: ServiceContext) {
    this.counts = accountCounts(context.store);
  }

  private get repo() {
    return new AccountRepository(this.context.store.db);
  }

  /**
   * One page of the accounts a selection takes, in order, each with its latest health score and
   * last activity (two queries for the page, whatever its size).
   */
  async list(
    selection: AccountSelection,
    sort: AccountSort,
    page: { limit: number; offset: number },
    dir?: SortDirection,
  ): Promise<{ total: number; items: AccountListItem[] }> {
    const filter = accountFilterOf(selection, this.context);
    const order = accountOrderOf(sort, dir, this.context);
    const repo = this.repo;
    // A segment filter reads scores, signals and cases, which change without the accounts table
    // changing: its total is always counted, never kept.
    const [total, accounts] = await Promise.all([
      filter.segment ? repo.count(filter) : this.counts.total(filter, () => repo.count(filter)),
      repo.page(filter, order, page),
    ]);
    const ids = accounts.map((account) => account.id);
    const [health, activity] = await Promise.all([
      new HealthRepository(this.context.store.db).latestScores(ids, order.today, { inclusive: true }),
      repo.lastActivity(ids),
    ]);
    return {
      total,
      items: accounts.map((account) => ({
        ...account,
        health: health.get(account.id) ?? null,
        lastActivityAt: activity.get(account.id) ?? null,
      })),
    };
  }

  /** Stops what the service keeps open (the account-change listener). */
  close(): Promise<void> {
    return this.counts.close();
  }

  async get(id: number): Promise<Account> {
    const account = await this.repo.findById(id);
    if (!account) throw new AppError('ACCOUNT_NOT_FOUND', `No account ${id}.`, { accountId: id });
    return account;
  }

  async getByExternalId(externalId: string): Promise<Account> {
    const account = await this.repo.findByExternalId(externalId);
    if (!account)
      throw new AppError('ACCOUNT_NOT_FOUND', `No account with external id "${externalId}".`, { externalId });
    return account;
  }

  async create(actor: Actor, input: AccountInput): Promise<Account> {
    const fields: AccountFields = { ...bareAccount(input.externalId, input.name), ...input };
    assertCan(actor, 'account.write', fields);
    const now = this.context.clock.now();
    const id = await inTransaction(this.context, async (db) => {
      await checkOwnerAndTeam(db, fields, actor);
      const repo = new AccountRepository(db);
      const accountId = await repo.insert(fields, now).catch((error: unknown) => {
        if (isUniqueViolation(error)) throw externalIdTaken(fields.externalId);
        throw error;
      });
      await new AuditRepository(db).append(actor, now, [
        { entityType: 'account', entityId: accountId, accountId, action: 'created', changes: { ...fields } },
      ]);
      return accountId;
    });
    return this.get(id);
  }

  async update(
    actor: Actor,
    id: number,
    changes: Partial<AccountFields>,
    version?: number,
  ): Promise<Account> {
    const now = this.context.clock.now();
    await inTransaction(this.context, (db) => this.updateIn(db, actor, id, changes, now, version));
    return this.get(id);
  }

  /**
   * Changes an account inside the caller's transaction, with the same checks as `update`; answers
   * the account as it was and what changed (nothing when the changes were already so).
   */
  async updateIn(
    db: Kysely<Database>,
    actor: Actor,
    id: number,
    changes: Partial<AccountFields>,
    now: Date,
    version?: number,
  ): Promise<{ before: Account; diff: Record<string, { from: unknown; to: unknown }> }> {
    const repo = new AccountRepository(db);
    const before = await repo.findById(id);
    if (!before) throw new AppError('ACCOUNT_NOT_FOUND', `No account ${id}.`, { accountId: id });
    assertCan(actor, 'account.write', before);
    // Moving an account to another team or owner needs the right over the destination too.
    assertCan(actor, 'account.write', {
      ownerId: changes.ownerId ?? before.ownerId,
      teamId: changes.teamId ?? before.teamId,
    });
    await checkOwnerAndTeam(db, changes, actor);
    const diff = diffFields<AccountFields>(before, changes);
    if (Object.keys(diff).length === 0) return { before, diff };
    const updated = await repo.update(id, changes, now, version).catch((error: unknown) => {
      if (isUniqueViolation(error)) throw externalIdTaken(changes.externalId ?? '');
      throw error;
    });
    if (!updated) {
      throw new AppError(
        'VERSION_CONFLICT',
        `Account ${id} was changed by someone else; reload and try again.`,
        {
          accountId: id,
          currentVersion: before.version,
        },
      );
    }
    await new AuditRepository(db).append(actor, now, [
      { entityType: 'account', entityId: id, accountId: id, action: 'updated', changes: diff },
    ]);
    return { before, diff };
  }

  async delete(actor: Actor, id: number): Promise<void> {
    const now = this.context.clock.now();
    await inTransaction(this.context, async (db) => {
      const repo = new AccountRepository(db);
      const account = await repo.findById(id);
      if (!account) throw new AppError('ACCOUNT_NOT_FOUND', `No account ${id}.`, { accountId: id });
      assertCan(actor, 'account.write', account);
      await repo.delete(id);
      await new AuditRepository(db).append(actor, now, [
        {
          entityType: 'account',
          entityId: id,
          accountId: id,
          action: 'deleted',
          changes: { externalId: account.externalId, name: account.name },
        },
      ]);
    });
  }

  /**
   * Erases an account for a privacy request: the account and everything that hangs off it (contacts,
   * signals, rollups, scores, sentiments, cases with their updates and surveys, segment membership)
   * are deleted, and its audit entries keep only a tombstone: who did what when, without the data.
   */
  async erase(
    actor: Actor,
    id: number,
    reason: string,
  ): Promise<{ accountId: number; auditEntriesScrubbed: number }> {
    assertCan(actor, 'users.manage');
    const now = this.context.clock.now();
    return inTransaction(this.context, async (db) => {
      const repo = new AccountRepository(db);
      const account = await repo.findById(id);
      if (!account) throw new AppError('ACCOUNT_NOT_FOUND', `No account ${id}.`, { accountId: id });
      await repo.delete(id);
      const audit = new AuditRepository(db);
      const scrubbed = await audit.scrubAccount(id);
      await audit.append(actor, now, [
        { entityType: 'account', entityId: id, accountId: id, action: 'erased', changes: { reason } },
      ]);
      return { accountId: id, auditEntriesScrubbed: scrubbed };
    });
  }

  /** Every recorded change to the account and what hangs off it, newest first. */
  async timeline(id: number, limit = 100, before?: number): Promise<AuditEntry[]> {
    await this.get(id);
    return new AuditRepository(this.context.store.db).timelineOfAccount(id, limit, before);
  }

  async contacts(accountId: number): Promise<Contact[]> {
    await this.get(accountId);
    return this.repo.listContacts(accountId);
  }

  async addContact(actor: Actor, accountId: number, input: ContactInput): Promise<Contact> {
    const now = this.context.clock.now();
    const id = await inTransaction(this.context, async (db) => {
      const repo = new AccountRepository(db);
      const account = await repo.findById(accountId);
      if (!account) throw new AppError('ACCOUNT_NOT_FOUND', `No account ${accountId}.`, { accountId });
      assertCan(actor, 'contact.write', account);
      const fields: ContactFields = {
        name: null,
        role: null,
        isChampion: false,
        attributes: {},
        ...input,
        email: normaliseEmail(input.email),
        accountId,
      };
      const contactId = await repo.insertContact(fields, now).catch((error: unknown) => {
        if (isUniqueViolation(error)) throw contactTaken(input.email);
        throw error;
      });
      await new AuditRepository(db).append(actor, now, [
        { entityType: 'contact', entityId: contactId, accountId, action: 'created', changes: { ...fields } },
      ]);
      return contactId;
    });
    return this.requireContact(id);
  }

  async updateContact(
    actor: Actor,
    contactId: number,
    changes: Partial<Omit<ContactFields, 'accountId'>>,
  ): Promise<Contact> {
    const now = this.context.clock.now();
    await inTransaction(this.context, async (db) => {
      const repo = new AccountRepository(db);
      const before = await repo.findContact(contactId);
      if (!before) throw new AppError('CONTACT_NOT_FOUND', `No contact ${contactId}.`, { contactId });
      const account = await repo.findById(before.accountId);
      if (!account) throw new AppError('ACCOUNT_NOT_FOUND', `No account ${before.accountId}.`);
      assertCan(actor, 'contact.write', account);
      if (changes.email !== undefined) changes = { ...changes, email: normaliseEmail(changes.email) };
      const diff = diffFields<Omit<ContactFields, 'accountId'>>(before, changes);
      if (Object.keys(diff).length === 0) return;
      await repo.updateContact(contactId, changes, now).catch((error: unknown) => {
        if (isUniqueViolation(error)) throw contactTaken(changes.email ?? '');
        throw error;
      });
      await new AuditRepository(db).append(actor, now, [
        {
          entityType: 'contact',
          entityId: contactId,
          accountId: account.id,
          action: 'updated',
          changes: diff,
        },
      ]);
    });
    return this.requireContact(contactId);
  }

  async deleteContact(actor: Actor, contactId: number): Promise<void> {
    const now = this.context.clock.now();
    await inTransaction(this.context, async (db) => {
      const repo = new AccountRepository(db);
      const contact = await repo.findContact(contactId);
      if (!contact) throw new AppError('CONTACT_NOT_FOUND', `No contact ${contactId}.`, { contactId });
      const account = await repo.findById(contact.accountId);
      if (!account) throw new AppError('ACCOUNT_NOT_FOUND', `No account ${contact.accountId}.`);
      assertCan(actor, 'contact.write', account);
      await repo.deleteContact(contactId);
      await new AuditRepository(db).append(actor, now, [
        {
          entityType: 'contact',
          entityId: contactId,
          accountId: account.id,
          action: 'deleted',
          changes: { email: contact.email },
        },
      ]);
    });
  }

  private async requireContact(id: number): Promise<Contact> {
    const contact = await this.repo.findContact(id);
    if (!contact) throw new AppError('CONTACT_NOT_FOUND', `No contact ${id}.`, { contactId: id });
    return contact;
  }
}

async function checkOwnerAndTeam(
  db: Kysely<Database>,
  fields: { ownerId?: number | null; teamId?: number | null },
  actor: Actor,
) {
  const users = new UserRepository(db);
  if (fields.ownerId !== undefined && fields.ownerId !== null) {
    const owner = await users.findUser(fields.ownerId);
    if (!owner)
      throw new AppError('USER_NOT_FOUND', `No user ${fields.ownerId} to own the account.`, {
        field: 'ownerId',
      });
    // A lead hands accounts to the people of their own team; another team's CSM is theirs to give.
    if (actor.role !== 'admin' && owner.teamId !== actor.teamId)
      throw new AppError(
        'FORBIDDEN',
        `${owner.email} is not in your team; only an admin can give an account to someone in another team.`,
        { field: 'ownerId' },
      );
  }
  if (fields.teamId !== undefined && fields.teamId !== null && !(await users.findTeam(fields.teamId))) {
    throw new AppError('TEAM_NOT_FOUND', `No team ${fields.teamId}.`, { field: 'teamId' });
  }
}

const externalIdTaken = (externalId: string) =>
  new AppError('ACCOUNT_EXTERNAL_ID_TAKEN', `An account with external id "${externalId}" exists.`, {
    externalId,
  });

const contactTaken = (email: string) =>
  new AppError('CONTACT_EMAIL_TAKEN', `The account already has a contact "${email}".`, { email });

/** Contact emails are stored lower-case, so one person is one contact however the CRM spells it. */
function normaliseEmail(text: string): string {
  const email = parseEmail(text);
  if (!email.ok) throw new AppError('VALIDATION_FAILED', `email: ${email.message}`, { field: 'email' });
  return email.value;
}

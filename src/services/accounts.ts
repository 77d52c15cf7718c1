// Accounts and contacts: create, read, update, delete, with permission checks and an audit trail.
import type { Kysely } from 'kysely';
import { bareAccount, diffFields, type Account, type AccountFields, type Contact } from '../domain/account';
import { AppError } from '../domain/errors';
import { parseEmail } from '../domain/values';
import { assertCan, type Actor } from '../domain/policy';
import {
  AccountRepository,
  type AccountFilter,
  type AccountSort,
  type ContactFields,
} from '../store/account.repository';
import { AuditRepository, type AuditEntry } from '../store/audit.repository';
import { isUniqueViolation } from '../store/errors';
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

export class AccountService {
  private readonly counts: AccountCounts;

  constructor(private readonly context: ServiceContext) {
    this.counts = accountCounts(context.store);
  }

  private get repo() {
    return new AccountRepository(this.context.store.db);
  }

  async list(
    filter: AccountFilter,
    sort: AccountSort,
    page: { limit: number; offset: number },
  ): Promise<{ total: number; items: Account[] }> {
    const repo = this.repo;
    const [total, items] = await Promise.all([
      this.counts.total(filter, () => repo.count(filter)),
      repo.page(filter, sort, page),
    ]);
    return { total, items };
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
    await inTransaction(this.context, async (db) => {
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
      if (Object.keys(diff).length === 0) return;
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
    });
    return this.get(id);
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

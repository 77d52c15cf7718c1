// A Segment-compatible ingest. `group` creates or updates an account (groupId = external id) and
// ties its user to it; `identify` keeps the user's contact on their account, or holds it until the
// account is known; `alias` makes two ids one user; `track`, `page` and `screen` become usage
// signals with their properties (messageId = idempotency key, so a resent batch counts once).
//
// Each message stands on its own: the good ones of a batch are written and the bad ones are named
// in the answer and kept in the rejection log. Segment libraries never resend a batch that was
// refused, so refusing a whole batch for one message would lose every good event in it.
import type { Kysely } from 'kysely';
import { AppError } from '../domain/errors';
import { accountIssues, contactIssues, preview, type LimitIssue } from '../domain/input-limits';
import { assertCan, type Actor } from '../domain/policy';
import {
  readSegmentMessage,
  type ContactTraits,
  type EventCall,
  type GroupCall,
  type IdentifyCall,
  type SegmentCall,
  traitIssues,
} from '../domain/segment-spec';
import { futureIssue, parseSignal, type Signal } from '../domain/signals';
import { parseEmail } from '../domain/values';
import { AccountRepository } from '../store/account.repository';
import { AuditRepository } from '../store/audit.repository';
import type { Database } from '../store/schema';
import { inTransaction, type ServiceContext } from './context';
import { batchInvalid, writeSignals, type RecordError, type SignalService } from './signals';

const MAX_MESSAGES = 10_000;
/** Errors listed in one answer; the counts cover all of them. */
const MAX_LISTED_ERRORS = 100;
/** How long refused messages stay in the rejection log. */
const REJECTION_DAYS = 30;
const EXCERPT_LENGTH = 2_000;
/** Alias and anonymous-id links followed at most this far. */
const MAX_LINK_HOPS = 8;

export interface SegmentReport {
  received: number;
  accepted: number;
  rejected: number;
  accountsCreated: number;
  accountsUpdated: number;
  contacts: number;
  /** Contacts of users whose account is not known yet: written when it is. */
  contactsPending: number;
  signalsInserted: number;
  duplicates: number;
  /** Why each refused message was refused (the first 100). */
  errors: RecordError[];
}

export interface SegmentRejection {
  id: number;
  receivedAt: string;
  messageId: string | null;
  type: string | null;
  field: string;
  message: string;
  excerpt: string;
}

interface Read {
  index: number;
  call: SegmentCall;
}

const userKey = (userId: string) => `user:${userId}`;
const anonKey = (anonymousId: string) => `anon:${anonymousId}`;
const keysOf = (call: { userId: string | null; anonymousId: string | null }) => [
  ...(call.userId ? [userKey(call.userId)] : []),
  ...(call.anonymousId ? [anonKey(call.anonymousId)] : []),
];

const traitErrors = (index: number, issues: readonly LimitIssue[]): RecordError[] =>
  traitIssues(issues).map((issue) => ({ index, ...issue }));

interface PendingContact extends ContactTraits {
  email: string;
}

export class SegmentService {
  constructor(
    private readonly context: ServiceContext,
    private readonly signals: SignalService,
  ) {}

  /**
   * Takes a batch (or one call, `single`). The answer counts what was written and names what was
   * refused; a single call that was refused is a 422.
   */
  async handle(
    actor: Actor,
    raw: readonly unknown[],
    options: { sentAt?: unknown; single?: boolean } = {},
  ): Promise<SegmentReport> {
    assertCan(actor, 'data.import');
    if (raw.length > MAX_MESSAGES) {
      throw new AppError('PAYLOAD_TOO_LARGE', `A batch holds at most ${MAX_MESSAGES} messages.`, {
        limit: MAX_MESSAGES,
      });
    }
    const now = this.context.clock.now();
    const errors: RecordError[] = [];
    const read: Read[] = [];
    raw.forEach((item, index) => {
      const result = readSegmentMessage(item, { receivedAt: now, batchSentAt: options.sentAt });
      if (!result.ok) {
        for (const issue of result.issues) errors.push({ index, ...issue });
        return;
      }
      // One rule for time with POST /signals: a message stamped ahead of Retain's clock is refused.
      const future = futureIssue(result.call.at, now, 'timestamp');
      if (future) errors.push({ index, ...future });
      else read.push({ index, call: result.call });
    });

    const report: SegmentReport = {
      received: raw.length,
      accepted: 0,
      rejected: 0,
      accountsCreated: 0,
      accountsUpdated: 0,
      contacts: 0,
      contactsPending: 0,
      signalsInserted: 0,
      duplicates: 0,
      errors: [],
    };
    const touched = await inTransaction(this.context, async (db) => {
      const batch = new SegmentBatch(db, actor, now, report, errors);
      for (const { index, call } of read) if (call.type === 'group') await batch.group(index, call);
      for (const { call } of read) if (call.type === 'alias') await batch.alias(call.previousId, call.userId);
      for (const { index, call } of read) if (call.type === 'identify') await batch.identify(index, call);
      const events = read.flatMap(({ index, call }) =>
        call.type === 'track' || call.type === 'page' || call.type === 'screen' ? [{ index, call }] : [],
      );
      const accountIds = await batch.events(events);
      const refused = new Set(errors.map((error) => error.index));
      report.rejected = refused.size;
      report.accepted = raw.length - refused.size;
      await logRejections(db, now, raw, errors);
      return accountIds;
    });
    await this.signals.notify(touched);
    const sorted = [...errors].sort((a, b) => a.index - b.index);
    report.errors = sorted.slice(0, MAX_LISTED_ERRORS);
    if (options.single && report.rejected > 0) throw batchInvalid(sorted, 1, { noun: 'calls', list: 'call' });
    return report;
  }

  /** Refused messages of the last 30 days, newest first. */
  async rejections(options: { limit: number; before?: number }): Promise<SegmentRejection[]> {
    let query = this.context.store.db
      .selectFrom('ingest_rejections')
      .selectAll()
      .where('source', '=', 'segment')
      .orderBy('id', 'desc')
      .limit(options.limit);
    if (options.before !== undefined) query = query.where('id', '<', options.before);
    const rows = await query.execute();
    return rows.map((row) => ({
      id: row.id,
      receivedAt: row.received_at,
      messageId: row.message_id,
      type: row.message_type,
      field: row.field,
      message: row.message,
      excerpt: row.excerpt,
    }));
  }
}

/** One batch's writes, inside its transaction. */
class SegmentBatch {
  private readonly accounts: AccountRepository;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly actor: Actor,
    private readonly now: Date,
    private readonly report: SegmentReport,
    private readonly errors: RecordError[],
  ) {
    this.accounts = new AccountRepository(db);
  }

  async group(index: number, call: GroupCall): Promise<void> {
    const existing = await this.accounts.findByExternalId(call.groupId);
    const fields = {
      externalId: call.groupId,
      name: call.name ?? existing?.name ?? call.groupId,
      ownerId: existing?.ownerId ?? null,
      teamId: existing?.teamId ?? null,
      tier: call.tier ?? existing?.tier ?? null,
      arr: call.arr ?? existing?.arr ?? 0,
      renewalDate: existing?.renewalDate ?? null,
      lifecycleStage: existing?.lifecycleStage ?? null,
      attributes: { ...existing?.attributes, ...call.attributes },
    };
    const tooLong = accountIssues(fields);
    if (tooLong.length > 0) {
      this.errors.push(...traitErrors(index, tooLong));
      return;
    }
    const ids = await this.accounts.upsertMany([fields], this.now);
    const accountId = ids.get(call.groupId);
    if (accountId === undefined) return;
    if (existing) this.report.accountsUpdated += 1;
    else this.report.accountsCreated += 1;
    await new AuditRepository(this.db).append(this.actor, this.now, [
      {
        entityType: 'account',
        entityId: accountId,
        accountId,
        action: existing ? 'segment_group_updated' : 'segment_group_created',
        changes: { name: fields.name, tier: fields.tier, arr: fields.arr },
      },
    ]);
    for (const key of keysOf(call)) await this.link(key, accountId);
    // Users who said they belong to this group before it existed.
    const waiting = await this.db
      .selectFrom('segment_users')
      .select('key')
      .where('group_id', '=', call.groupId)
      .where('account_id', 'is', null)
      .execute();
    for (const { key } of waiting) await this.link(key, accountId);
  }

  async alias(previousId: string, userId: string): Promise<void> {
    const target = userKey(userId);
    const previous = await this.accountOf([userKey(previousId), anonKey(previousId)]);
    if (previous !== undefined && (await this.accountOf([target])) === undefined)
      await this.link(target, previous);
    for (const key of [userKey(previousId), anonKey(previousId)]) {
      if (key === target) continue;
      await this.upsertUser(key, { alias_of: target });
    }
  }

  async identify(index: number, call: IdentifyCall): Promise<void> {
    const keys = keysOf(call);
    // An anonymous visitor who identifies is that user from now on.
    if (call.userId && call.anonymousId)
      await this.upsertUser(anonKey(call.anonymousId), { alias_of: userKey(call.userId) });
    let accountId: number | undefined;
    if (call.groupId !== null) accountId = (await this.accounts.findByExternalId(call.groupId))?.id;
    accountId ??= await this.accountOf(keys);

    const contact = this.contactOf(index, call.contact);
    if (contact === null) return;
    const key = keys[0];
    if (accountId !== undefined) {
      for (const each of keys) await this.link(each, accountId);
      if (contact !== undefined) await this.writeContact(accountId, contact);
      return;
    }
    if (key === undefined) return;
    // The user's account is not known yet: the contact waits for the group call that names it.
    await this.upsertUser(key, {
      ...(contact && { contact: JSON.stringify(contact) }),
      ...(call.groupId !== null && { group_id: call.groupId }),
    });
    if (contact) this.report.contactsPending += 1;
  }

  /** Track, page and screen calls as usage signals of the account they concern. */
  async events(events: readonly { index: number; call: EventCall }[]): Promise<Set<number>> {
    const pending: { ref: number; signal: Signal }[] = [];
    for (const { index, call } of events) {
      let account = call.groupId;
      if (account === null) {
        const accountId = await this.accountOf(keysOf(call));
        account =
          accountId === undefined ? null : ((await this.accounts.findById(accountId))?.externalId ?? null);
      }
      if (account === null) {
        this.errors.push({
          index,
          field: 'context.groupId',
          message:
            'no account for this event: send context.groupId, or a group call for its user ' +
            '(userId, or anonymousId before identify)',
        });
        continue;
      }
      const parsed = parseSignal({
        kind: 'usage',
        account,
        occurredAt: call.at,
        idempotencyKey: call.messageId ? `segment:${call.messageId}` : null,
        data: {
          event: call.event,
          count: call.count,
          ...(call.userId && { user: call.userId.slice(0, 320) }),
          ...(Object.keys(call.properties).length > 0 && { properties: call.properties }),
        },
      });
      if (!parsed.ok) {
        for (const issue of parsed.issues)
          this.errors.push({ index, field: issue.field.replace(/^data\./, ''), message: issue.message });
        continue;
      }
      pending.push({ ref: index, signal: parsed.signal });
    }
    const written = await writeSignals(this.db, this.actor, this.now, pending, { source: 'segment' });
    for (const rejected of written.rejected)
      this.errors.push({ index: rejected.ref, field: 'context.groupId', message: rejected.message });
    this.report.signalsInserted += written.inserted;
    this.report.duplicates += written.duplicates;
    return written.accountIds;
  }

  /** The contact an identify call describes; null when refused, undefined when it names no email. */
  private contactOf(index: number, traits: ContactTraits): PendingContact | null | undefined {
    if (traits.email === null) return undefined;
    const email = parseEmail(traits.email);
    if (!email.ok) {
      this.errors.push({
        index,
        field: 'traits.email',
        message: `"${preview(traits.email)}" is not an email address`,
      });
      return null;
    }
    const contact = { ...traits, email: email.value };
    const tooLong = contactIssues(contact);
    if (tooLong.length > 0) {
      this.errors.push(...traitErrors(index, tooLong));
      return null;
    }
    return contact;
  }

  /** Adds or updates a contact: traits an identify call leaves out keep the values they had. */
  private async writeContact(accountId: number, contact: PendingContact): Promise<void> {
    const existing = (await this.accounts.findContactsByKey([{ accountId, email: contact.email }])).get(
      `${accountId}|${contact.email}`,
    );
    await this.accounts.upsertContacts(
      [
        {
          accountId,
          email: contact.email,
          name: contact.name ?? existing?.name ?? null,
          role: contact.role ?? existing?.role ?? null,
          isChampion: existing?.isChampion ?? false,
          attributes: { ...existing?.attributes, ...contact.attributes },
        },
      ],
      ['name', 'role', 'attributes'],
      this.now,
    );
    this.report.contacts += 1;
  }

  /** Ties an identity to an account, and writes the contact it was holding. */
  private async link(key: string, accountId: number): Promise<void> {
    const row = await this.db
      .selectFrom('segment_users')
      .select('contact')
      .where('key', '=', key)
      .executeTakeFirst();
    await this.upsertUser(key, { account_id: accountId, contact: null, group_id: null });
    if (row?.contact) {
      await this.writeContact(accountId, JSON.parse(row.contact) as PendingContact);
      this.report.contactsPending = Math.max(0, this.report.contactsPending - 1);
    }
  }

  /** The account of the first identity that has one, following aliases. */
  private async accountOf(keys: readonly string[]): Promise<number | undefined> {
    for (const start of keys) {
      let key: string | null = start;
      for (let hop = 0; key !== null && hop < MAX_LINK_HOPS; hop += 1) {
        const row: { account_id: number | null; alias_of: string | null } | undefined = await this.db
          .selectFrom('segment_users')
          .select(['account_id', 'alias_of'])
          .where('key', '=', key)
          .executeTakeFirst();
        if (!row) break;
        if (row.account_id !== null) return row.account_id;
        key = row.alias_of;
      }
    }
    return undefined;
  }

  private async upsertUser(
    key: string,
    values: { account_id?: number; alias_of?: string; contact?: string | null; group_id?: string | null },
  ): Promise<void> {
    const updated_at = this.now.toISOString();
    await this.db
      .insertInto('segment_users')
      .values({ key, updated_at, ...values })
      .onConflict((oc) => oc.column('key').doUpdateSet({ updated_at, ...values }))
      .execute();
  }
}

/** Keeps what was refused, so the sender can see it later; drops what is older than 30 days. */
async function logRejections(
  db: Kysely<Database>,
  now: Date,
  raw: readonly unknown[],
  errors: readonly RecordError[],
): Promise<void> {
  const cutoff = new Date(now.getTime() - REJECTION_DAYS * 86_400_000).toISOString();
  await db.deleteFrom('ingest_rejections').where('received_at', '<', cutoff).execute();
  if (errors.length === 0) return;
  const firstOf = new Map<number, RecordError>();
  for (const error of errors) if (!firstOf.has(error.index)) firstOf.set(error.index, error);
  const rows = [...firstOf.values()]
    .sort((a, b) => a.index - b.index)
    .map((error) => {
      const item = raw[error.index];
      const record = typeof item === 'object' && item !== null ? (item as Record<string, unknown>) : {};
      const text = (value: unknown) => (typeof value === 'string' ? value.slice(0, 200) : null);
      return {
        source: 'segment',
        received_at: now.toISOString(),
        message_id: text(record.messageId),
        message_type: text(record.type),
        field: error.field,
        message: error.message,
        excerpt: (JSON.stringify(withoutKey(item)) ?? String(item)).slice(0, EXCERPT_LENGTH),
      };
    });
  for (let i = 0; i < rows.length; i += 500)
    await db
      .insertInto('ingest_rejections')
      .values(rows.slice(i, i + 500))
      .execute();
}

/** A message as logged: a write key sent inside it is a credential and is never kept. */
function withoutKey(item: unknown): unknown {
  if (typeof item !== 'object' || item === null || !('writeKey' in item)) return item;
  const { writeKey: _key, ...rest } = item as Record<string, unknown>;
  return rest;
}

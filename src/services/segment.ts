// A Segment-compatible ingest: `group` calls create or update accounts (groupId = external id),
// `identify` calls keep contacts and remember which account a user belongs to, and `track` calls
// become usage signals (messageId = idempotency key). A batch is all or nothing.
import type { Kysely } from 'kysely';
import { z } from 'zod';
import type { Attributes } from '../domain/account';
import { AppError } from '../domain/errors';
import {
  accountIssues,
  contactIssues,
  INPUT_LIMITS,
  jsonBoundsIssue,
  type LimitIssue,
} from '../domain/input-limits';
import { assertCan, type Actor } from '../domain/policy';
import { parseSignal, parseTimestamp, type Signal } from '../domain/signals';
import { parseEmail } from '../domain/values';
import { AccountRepository } from '../store/account.repository';
import { AuditRepository } from '../store/audit.repository';
import type { Database } from '../store/schema';
import { inTransaction, type ServiceContext } from './context';
import { batchInvalid, writeSignals, type RecordError, type SignalService } from './signals';

const MAX_MESSAGES = 10_000;
const id = z.union([z.string().min(1).max(INPUT_LIMITS.account.externalId), z.number()]).transform(String);
const properties = z
  .record(z.string(), z.unknown())
  .refine((value) => Object.keys(value).length <= INPUT_LIMITS.segment.properties, {
    message: `at most ${INPUT_LIMITS.segment.properties} keys are allowed`,
  })
  .default({});
const traits = properties;
const common = {
  messageId: z
    .string()
    .min(1)
    .max(INPUT_LIMITS.signal.idempotencyKey - 'segment:'.length)
    .optional(),
  timestamp: z.string().max(64).optional(),
  userId: id.optional(),
  anonymousId: id.optional(),
  context: z.object({ groupId: id.optional() }).passthrough().optional(),
};

const messageSchema = z.discriminatedUnion('type', [
  z.object({ ...common, type: z.literal('group'), groupId: id, traits }).passthrough(),
  z.object({ ...common, type: z.literal('identify'), traits }).passthrough(),
  z
    .object({
      ...common,
      type: z.literal('track'),
      event: z.string().min(1).max(INPUT_LIMITS.signal.eventName),
      properties,
    })
    .passthrough(),
]);
type SegmentMessage = z.infer<typeof messageSchema>;

export interface SegmentReport {
  received: number;
  accountsCreated: number;
  accountsUpdated: number;
  contacts: number;
  signalsInserted: number;
  duplicates: number;
}

const KNOWN_TRAITS = new Set(['name', 'plan', 'tier', 'arr', 'id', 'groupId']);

function attributesOf(values: Record<string, unknown>): Attributes {
  // Built from entries, never by assigning trait names to a plain object's keys.
  return Object.fromEntries(
    Object.entries(values).filter(
      (entry): entry is [string, string | number | boolean | null] =>
        !KNOWN_TRAITS.has(entry[0]) &&
        (entry[1] === null || ['string', 'number', 'boolean'].includes(typeof entry[1])),
    ),
  );
}

/** Where in a Segment call each account or contact field comes from, for errors that name it. */
const TRAIT_OF: Readonly<Record<string, string>> = {
  externalId: 'groupId',
  name: 'traits.name',
  tier: 'traits.plan',
  email: 'traits.email',
  role: 'traits.title',
  attributes: 'traits',
};

const textTrait = (traits: Record<string, unknown>, key: string) => {
  const value = Object.hasOwn(traits, key) ? traits[key] : undefined;
  return typeof value === 'string' ? value : undefined;
};

/** The lengths of the traits a group or identify call turns into account or contact fields. */
function traitLengthIssues(message: SegmentMessage): LimitIssue[] {
  switch (message.type) {
    case 'group':
      return accountIssues({
        name: textTrait(message.traits, 'name'),
        tier: textTrait(message.traits, 'plan'),
      });
    case 'identify':
      return contactIssues({
        email: textTrait(message.traits, 'email'),
        name: textTrait(message.traits, 'name'),
        role: textTrait(message.traits, 'title'),
      });
    case 'track':
      return [];
  }
}

function traitIssues(index: number, issues: readonly LimitIssue[]): RecordError[] {
  return issues.map((issue) => ({
    index,
    field: Object.hasOwn(TRAIT_OF, issue.field)
      ? (TRAIT_OF[issue.field] ?? issue.field)
      : issue.field.replace(/^attributes\./, 'traits.'),
    message: issue.message,
  }));
}

export class SegmentService {
  constructor(
    private readonly context: ServiceContext,
    private readonly signals: SignalService,
  ) {}

  async handle(actor: Actor, raw: readonly unknown[]): Promise<SegmentReport> {
    assertCan(actor, 'data.import');
    if (raw.length > MAX_MESSAGES) {
      throw new AppError('PAYLOAD_TOO_LARGE', `A batch holds at most ${MAX_MESSAGES} messages.`, {
        limit: MAX_MESSAGES,
      });
    }
    const now = this.context.clock.now();
    const errors: RecordError[] = [];
    const messages: { index: number; message: SegmentMessage; at: string }[] = [];
    raw.forEach((item, index) => {
      const parsed = messageSchema.safeParse(item);
      if (!parsed.success) {
        for (const issue of parsed.error.issues)
          errors.push({ index, field: issue.path.join('.') || 'type', message: issue.message });
        return;
      }
      // The traits that become account or contact fields are named when too long; anything else
      // that makes a call too big is the call's size, as Segment's own API limits it.
      const tooLong = traitIssues(index, traitLengthIssues(parsed.data));
      if (tooLong.length > 0) {
        errors.push(...tooLong);
        return;
      }
      const tooBig = jsonBoundsIssue('(message)', item, {
        maxLength: INPUT_LIMITS.segment.messageLength,
        maxDepth: INPUT_LIMITS.segment.messageDepth,
      });
      if (tooBig) {
        errors.push({ index, field: tooBig.field, message: tooBig.message });
        return;
      }
      const at =
        parsed.data.timestamp === undefined ? now.toISOString() : parseTimestamp(parsed.data.timestamp);
      if (at === null) {
        errors.push({
          index,
          field: 'timestamp',
          message: `"${parsed.data.timestamp}" is not an ISO-8601 timestamp`,
        });
        return;
      }
      messages.push({ index, message: parsed.data, at });
    });
    if (errors.length > 0) throw batchInvalid(errors, raw.length, { noun: 'messages', list: 'batch' });

    const report: SegmentReport = {
      received: raw.length,
      accountsCreated: 0,
      accountsUpdated: 0,
      contacts: 0,
      signalsInserted: 0,
      duplicates: 0,
    };
    const touched = await inTransaction(this.context, async (db) => {
      const accounts = new AccountRepository(db);
      const audit = new AuditRepository(db);
      const identities = new Map<string, number>();
      const accountIdOf = async (externalId: string) => (await accounts.findByExternalId(externalId))?.id;

      for (const { index, message } of messages) {
        if (message.type !== 'group') continue;
        const existing = await accounts.findByExternalId(message.groupId);
        const name =
          typeof message.traits.name === 'string' ? message.traits.name : (existing?.name ?? message.groupId);
        const tier = typeof message.traits.plan === 'string' ? message.traits.plan : (existing?.tier ?? null);
        const arr = typeof message.traits.arr === 'number' ? message.traits.arr : (existing?.arr ?? 0);
        const fields = {
          externalId: message.groupId,
          name,
          ownerId: existing?.ownerId ?? null,
          teamId: existing?.teamId ?? null,
          tier,
          arr,
          renewalDate: existing?.renewalDate ?? null,
          lifecycleStage: existing?.lifecycleStage ?? null,
          attributes: { ...existing?.attributes, ...attributesOf(message.traits) },
        };
        const tooLong = accountIssues(fields);
        if (tooLong.length > 0) {
          errors.push(...traitIssues(index, tooLong));
          continue;
        }
        const ids = await accounts.upsertMany([fields], now);
        const accountId = ids.get(message.groupId);
        if (accountId === undefined) continue;
        if (existing) report.accountsUpdated += 1;
        else report.accountsCreated += 1;
        await audit.append(actor, now, [
          {
            entityType: 'account',
            entityId: accountId,
            accountId,
            action: existing ? 'segment_group_updated' : 'segment_group_created',
            changes: { name, tier, arr },
          },
        ]);
        if (message.userId) identities.set(message.userId, accountId);
      }

      for (const { index, message } of messages) {
        if (message.type !== 'identify' || !message.userId) continue;
        const groupId =
          message.context?.groupId ??
          (typeof message.traits.groupId === 'string' ? message.traits.groupId : undefined);
        const accountId =
          (groupId ? await accountIdOf(groupId) : undefined) ??
          identities.get(message.userId) ??
          (await this.identity(db, message.userId));
        if (accountId === undefined) {
          errors.push({
            index,
            field: 'userId',
            message: `user "${message.userId}" belongs to no known group (account)`,
          });
          continue;
        }
        const email = typeof message.traits.email === 'string' ? parseEmail(message.traits.email) : null;
        const contact = {
          email: email?.ok ? email.value : undefined,
          name: typeof message.traits.name === 'string' ? message.traits.name : null,
          role: typeof message.traits.title === 'string' ? message.traits.title : null,
          attributes: attributesOf(message.traits),
        };
        const tooLong = contactIssues(email?.ok ? contact : { email: contact.email });
        if (tooLong.length > 0) {
          errors.push(...traitIssues(index, tooLong));
          continue;
        }
        identities.set(message.userId, accountId);
        await db
          .insertInto('segment_identities')
          .values({
            user_id: message.userId,
            account_id: accountId,
            email: email?.ok ? email.value : null,
            updated_at: now.toISOString(),
          })
          .onConflict((oc) =>
            oc.column('user_id').doUpdateSet((eb) => ({
              account_id: eb.ref('excluded.account_id'),
              email: eb.ref('excluded.email'),
              updated_at: eb.ref('excluded.updated_at'),
            })),
          )
          .execute();
        if (email?.ok) {
          await accounts.upsertContacts(
            [
              {
                accountId,
                email: email.value,
                name: contact.name,
                role: contact.role,
                isChampion: false,
                attributes: contact.attributes,
              },
            ],
            ['name', 'role', 'attributes'],
            now,
          );
          report.contacts += 1;
        }
      }

      const pending: { ref: number; signal: Signal }[] = [];
      for (const { index, message, at } of messages) {
        if (message.type !== 'track') continue;
        const groupId =
          message.context?.groupId ??
          (typeof message.properties.groupId === 'string' ? message.properties.groupId : undefined);
        let account = groupId;
        if (!account && message.userId) {
          const accountId = identities.get(message.userId) ?? (await this.identity(db, message.userId));
          account = accountId === undefined ? undefined : (await accounts.findById(accountId))?.externalId;
        }
        if (!account) {
          errors.push({
            index,
            field: 'context.groupId',
            message: 'no group (account) for this event or its user',
          });
          continue;
        }
        const count = message.properties.count;
        const parsed = parseSignal({
          kind: 'usage',
          account,
          occurredAt: at,
          idempotencyKey: message.messageId ? `segment:${message.messageId}` : null,
          data: {
            event: message.event,
            count: typeof count === 'number' && Number.isInteger(count) && count > 0 ? count : 1,
            ...(message.userId && { user: message.userId.slice(0, 320) }),
          },
        });
        if (!parsed.ok) {
          for (const issue of parsed.issues) errors.push({ index, ...issue });
          continue;
        }
        pending.push({ ref: index, signal: parsed.signal });
      }
      const written = await writeSignals(db, actor, now, pending, {
        source: 'segment',
        dryRun: errors.length > 0,
      });
      for (const rejected of written.rejected)
        errors.push({ index: rejected.ref, field: rejected.field, message: rejected.message });
      if (errors.length > 0) throw batchInvalid(errors, raw.length, { noun: 'messages', list: 'batch' });
      report.signalsInserted = written.inserted;
      report.duplicates = written.duplicates;
      return written.accountIds;
    });
    await this.signals.notify(touched);
    return report;
  }

  private async identity(db: Kysely<Database>, userId: string): Promise<number | undefined> {
    const row = await db
      .selectFrom('segment_identities')
      .select('account_id')
      .where('user_id', '=', userId)
      .executeTakeFirst();
    return row?.account_id;
  }
}

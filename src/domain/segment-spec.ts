// The Segment spec (https://segment.com/docs/connections/spec/), as Retain reads it. Each message of
// a batch is read on its own: one that cannot be read is refused with the field and the reason, and
// the others still count. What a call says is kept: a track's properties, a group's traits (nested
// ones as dotted attributes), an identify's name from first and last name, the user's company.
//
// Time follows the spec's clock-skew correction: when a message says both when it happened on the
// sender's clock (originalTimestamp, else timestamp) and when it was sent (sentAt, on the message or
// its batch), it happened at receivedAt - (sentAt - originalTimestamp) on Retain's clock.
import { z } from 'zod';
import type { Attributes } from './account';
import {
  accountIssues,
  contactIssues,
  INPUT_LIMITS,
  isReservedKey,
  jsonBoundsIssue,
  preview,
  type LimitIssue,
} from './input-limits';
import { parseTimestamp } from './signals';

export const SEGMENT_TYPES = ['identify', 'group', 'track', 'page', 'screen', 'alias'] as const;
export type SegmentType = (typeof SEGMENT_TYPES)[number];

export interface SpecIssue {
  field: string;
  message: string;
}

interface Envelope {
  /** Segment's messageId: what makes a resent event count once. */
  messageId: string | null;
  userId: string | null;
  anonymousId: string | null;
  /** When it happened, on Retain's clock, as ISO-8601 UTC. */
  at: string;
}

export interface GroupCall extends Envelope {
  type: 'group';
  groupId: string;
  name: string | null;
  tier: string | null;
  arr: number | null;
  attributes: Attributes;
}

export interface ContactTraits {
  email: string | null;
  name: string | null;
  role: string | null;
  attributes: Attributes;
}

export interface IdentifyCall extends Envelope {
  type: 'identify';
  /** The account the user belongs to, when the call names it (context.groupId, traits.company.id). */
  groupId: string | null;
  contact: ContactTraits;
}

export interface EventCall extends Envelope {
  type: 'track' | 'page' | 'screen';
  groupId: string | null;
  event: string;
  count: number;
  properties: Record<string, unknown>;
}

export interface AliasCall extends Envelope {
  type: 'alias';
  previousId: string;
  userId: string;
}

export type SegmentCall = GroupCall | IdentifyCall | EventCall | AliasCall;

const LIMITS = INPUT_LIMITS.segment;

// Ids are strings in the spec; libraries have long sent numbers too.
const id = z
  .union([z.string().trim().min(1).max(INPUT_LIMITS.account.externalId), z.number().finite()])
  .transform(String);
const object = z
  .record(z.string(), z.unknown())
  .refine((value) => Object.keys(value).length <= LIMITS.properties, {
    message: `at most ${LIMITS.properties} keys are allowed`,
  });
const stamp = z.union([z.string().max(INPUT_LIMITS.signal.timestamp), z.number()]).optional();
const common = {
  messageId: z
    .string()
    .min(1)
    .max(INPUT_LIMITS.signal.idempotencyKey - 'segment:'.length)
    .optional(),
  userId: id.nullish(),
  anonymousId: id.nullish(),
  timestamp: stamp,
  originalTimestamp: stamp,
  sentAt: stamp,
  context: z.object({ groupId: id.nullish() }).passthrough().nullish(),
};
const name = z.string().max(INPUT_LIMITS.signal.eventName).nullish();

const messageSchema = z.discriminatedUnion('type', [
  z.object({ ...common, type: z.literal('group'), groupId: id, traits: object.nullish() }).passthrough(),
  z.object({ ...common, type: z.literal('identify'), traits: object.nullish() }).passthrough(),
  z
    .object({
      ...common,
      type: z.literal('track'),
      event: z.string().trim().min(1).max(INPUT_LIMITS.signal.eventName),
      properties: object.nullish(),
    })
    .passthrough(),
  z
    .object({ ...common, type: z.literal('page'), name, category: name, properties: object.nullish() })
    .passthrough(),
  z
    .object({ ...common, type: z.literal('screen'), name, category: name, properties: object.nullish() })
    .passthrough(),
  z.object({ ...common, type: z.literal('alias'), previousId: id, userId: id }).passthrough(),
]);

/** What reading one message gave: the call, or why it was refused. */
export type ReadResult = { ok: true; call: SegmentCall } | { ok: false; issues: SpecIssue[] };

export interface ReadOptions {
  /** When Retain received the request. */
  receivedAt: Date;
  /** The batch's own sentAt, for messages that carry none. */
  batchSentAt?: unknown;
}

/** Reads one message of a batch (or a single call) under the spec. */
export function readSegmentMessage(raw: unknown, options: ReadOptions): ReadResult {
  const result = readCall(raw, options);
  if (!result.ok) return result;
  // The traits that become account or contact fields are named when too long; anything else that
  // makes a call too big is the call's size, as Segment's own API limits it.
  const { call } = result;
  const tooLong =
    call.type === 'group'
      ? accountIssues({ name: call.name, tier: call.tier, attributes: call.attributes })
      : call.type === 'identify'
        ? contactIssues(call.contact)
        : [];
  if (tooLong.length > 0) return { ok: false, issues: traitIssues(tooLong) };
  const tooBig = jsonBoundsIssue('(message)', raw, {
    maxLength: LIMITS.messageLength,
    maxDepth: LIMITS.messageDepth,
  });
  return tooBig ? refused(tooBig.field, tooBig.message) : result;
}

/** Where in a call each account or contact field comes from, for errors that name it. */
const TRAIT_OF: Readonly<Record<string, string>> = {
  externalId: 'groupId',
  name: 'traits.name',
  tier: 'traits.plan',
  email: 'traits.email',
  role: 'traits.title',
  attributes: 'traits',
};

/** Limit issues of account or contact fields, named as the traits they came from. */
export function traitIssues(issues: readonly LimitIssue[]): SpecIssue[] {
  return issues.map((issue) => ({
    field: Object.hasOwn(TRAIT_OF, issue.field)
      ? (TRAIT_OF[issue.field] ?? issue.field)
      : issue.field.replace(/^attributes\./, 'traits.'),
    message: issue.message,
  }));
}

function readCall(raw: unknown, options: ReadOptions): ReadResult {
  const type = typeof raw === 'object' && raw !== null && 'type' in raw ? raw.type : undefined;
  if (typeof type !== 'string' || !(SEGMENT_TYPES as readonly string[]).includes(type)) {
    return refused(
      'type',
      `"${preview(String(type))}" is not a Segment call type; use ${SEGMENT_TYPES.join(', ')}`,
    );
  }
  const parsed = messageSchema.safeParse(raw);
  if (!parsed.success) {
    return {
      ok: false,
      issues: parsed.error.issues.map((issue) => ({
        field: issue.path.join('.') || '(message)',
        message: issue.message,
      })),
    };
  }
  const message = parsed.data;
  const at = eventTime(message, options);
  if (!at.ok) return at;
  const envelope: Envelope = {
    messageId: message.messageId ?? null,
    userId: message.userId ?? null,
    anonymousId: message.anonymousId ?? null,
    at: at.value,
  };
  const contextGroup = message.context?.groupId ?? null;
  switch (message.type) {
    case 'group':
      return groupCall(envelope, message.groupId, message.traits ?? {});
    case 'identify':
      if (envelope.userId === null && envelope.anonymousId === null)
        return refused('userId', 'an identify call needs a userId or an anonymousId');
      return identifyCall(envelope, contextGroup, message.traits ?? {});
    case 'track': {
      const properties = message.properties ?? {};
      return eventCall(envelope, 'track', message.event, contextGroup, properties);
    }
    case 'page':
    case 'screen': {
      // A page or screen view is product usage; its name and category stay with its properties.
      const properties = {
        ...message.properties,
        ...(message.name && { name: message.name }),
        ...(message.category && { category: message.category }),
      };
      const event = message.type === 'page' ? 'Page Viewed' : 'Screen Viewed';
      return eventCall(envelope, message.type, event, contextGroup, properties);
    }
    case 'alias':
      return {
        ok: true,
        call: { ...envelope, type: 'alias', previousId: message.previousId, userId: message.userId },
      };
  }
}

function refused(field: string, message: string): { ok: false; issues: SpecIssue[] } {
  return { ok: false, issues: [{ field, message }] };
}

/** A spec timestamp: ISO-8601 text (a Date sent as JSON) or epoch milliseconds. */
function instant(value: unknown): number | null | undefined {
  if (value === undefined || value === null) return undefined;
  // Epoch milliseconds; a number that small is seconds (or a mistake), which would land in 1970.
  if (typeof value === 'number') return Number.isFinite(value) && value >= 1e12 ? value : null;
  if (typeof value !== 'string') return null;
  const parsed = parseTimestamp(value);
  return parsed === null ? null : Date.parse(parsed);
}

function eventTime(
  message: { timestamp?: unknown; originalTimestamp?: unknown; sentAt?: unknown },
  options: ReadOptions,
): { ok: true; value: string } | { ok: false; issues: SpecIssue[] } {
  const times: Partial<Record<'originalTimestamp' | 'timestamp' | 'sentAt', number>> = {};
  for (const [field, value] of [
    ['originalTimestamp', message.originalTimestamp],
    ['timestamp', message.timestamp],
    ['sentAt', message.sentAt ?? options.batchSentAt],
  ] as const) {
    const at = instant(value);
    if (at === null) {
      const where = field === 'sentAt' && message.sentAt === undefined ? '(batch).sentAt' : field;
      return refused(
        where,
        typeof value === 'number'
          ? 'is not epoch milliseconds (a number this small would be 1970): send ISO-8601 with a zone'
          : 'is not an ISO-8601 timestamp with a zone',
      );
    }
    if (at !== undefined) times[field] = at;
  }
  const happened = times.originalTimestamp ?? times.timestamp;
  const received = options.receivedAt.getTime();
  if (happened === undefined) return { ok: true, value: new Date(received).toISOString() };
  const at = times.sentAt === undefined ? happened : received - (times.sentAt - happened);
  return { ok: true, value: new Date(at).toISOString() };
}

// ---------------------------------------------------------------------------------------------
// Traits

type Scalar = string | number | boolean | null;

/**
 * Traits as attributes: scalars as they are, nested objects as dotted keys (`address.city`), lists
 * as JSON text. Keys in `skip` are read elsewhere.
 */
function flatten(traits: Record<string, unknown>, skip: ReadonlySet<string>): Attributes {
  const entries: [string, Scalar][] = [];
  const walk = (value: unknown, key: string, depth: number) => {
    if (value === undefined || isReservedKey(key)) return;
    if (value === null || ['string', 'number', 'boolean'].includes(typeof value)) {
      entries.push([key, value as Scalar]);
    } else if (Array.isArray(value) || depth >= 3) {
      entries.push([key, JSON.stringify(value)]);
    } else if (typeof value === 'object') {
      for (const [child, inner] of Object.entries(value)) walk(inner, `${key}.${child}`, depth + 1);
    }
  };
  for (const [key, value] of Object.entries(traits)) if (!skip.has(key)) walk(value, key, 0);
  return Object.fromEntries(entries);
}

const own = (traits: Record<string, unknown>, key: string): unknown =>
  Object.hasOwn(traits, key) ? traits[key] : undefined;

/** A text trait: text as it is, a number as its digits; anything else is refused. */
function textTrait(traits: Record<string, unknown>, key: string, issues: SpecIssue[]): string | null {
  const value = own(traits, key);
  if (value === undefined || value === null) return null;
  if (typeof value === 'string') return value.trim() === '' ? null : value.trim();
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  issues.push({ field: `traits.${key}`, message: `must be text, not ${kind(value)}` });
  return null;
}

/**
 * A number trait, coerced as the spec allows: a number, or text of plain digits ("12000", "1200.50").
 * Text that could be read two ways ("12,000", "€ 2.000") is refused rather than guessed.
 */
function numberTrait(traits: Record<string, unknown>, key: string, issues: SpecIssue[]): number | null {
  const value = own(traits, key);
  if (value === undefined || value === null || value === '') return null;
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (typeof value === 'string' && /^\s*-?\d+(\.\d+)?\s*$/.test(value)) return Number(value);
  issues.push({
    field: `traits.${key}`,
    message:
      typeof value === 'string'
        ? `"${preview(value)}" is not a plain number; send digits with a dot for decimals, e.g. 12000 or 1200.50`
        : `must be a number, not ${kind(value)}`,
  });
  return null;
}

function omitId(company: unknown): unknown {
  if (typeof company !== 'object' || company === null) return company;
  return Object.fromEntries(Object.entries(company).filter(([key]) => key !== 'id'));
}

const kind = (value: unknown) => (Array.isArray(value) ? 'a list' : `a ${typeof value}`);

/** Group traits Retain reads as account fields (the spec's `plan` is Retain's tier). */
const GROUP_FIELDS = new Set(['name', 'plan', 'tier', 'arr', 'id', 'groupId']);

function groupCall(envelope: Envelope, groupId: string, traits: Record<string, unknown>): ReadResult {
  const issues: SpecIssue[] = [];
  const call: GroupCall = {
    ...envelope,
    type: 'group',
    groupId,
    name: textTrait(traits, 'name', issues),
    tier: textTrait(traits, 'plan', issues) ?? textTrait(traits, 'tier', issues),
    arr: numberTrait(traits, 'arr', issues),
    attributes: flatten(traits, GROUP_FIELDS),
  };
  if (call.arr !== null && call.arr < 0)
    issues.push({ field: 'traits.arr', message: 'must not be negative' });
  return issues.length > 0 ? { ok: false, issues } : { ok: true, call };
}

/** Identify traits Retain reads as contact fields. */
const CONTACT_FIELDS = new Set(['email', 'name', 'firstName', 'lastName', 'title', 'groupId', 'id']);

function identifyCall(
  envelope: Envelope,
  contextGroup: string | null,
  traits: Record<string, unknown>,
): ReadResult {
  const issues: SpecIssue[] = [];
  const first = textTrait(traits, 'firstName', issues);
  const last = textTrait(traits, 'lastName', issues);
  const company = own(traits, 'company');
  const companyId =
    typeof company === 'object' && company !== null && !Array.isArray(company)
      ? textTrait(company as Record<string, unknown>, 'id', [])
      : null;
  const call: IdentifyCall = {
    ...envelope,
    type: 'identify',
    groupId: contextGroup ?? textTrait(traits, 'groupId', issues) ?? companyId,
    contact: {
      email: textTrait(traits, 'email', issues),
      name: textTrait(traits, 'name', issues) ?? ([first, last].filter(Boolean).join(' ') || null),
      role: textTrait(traits, 'title', issues),
      // The spec's company is an object whose id names the account; its other traits are kept.
      attributes: flatten(
        companyId === null ? traits : { ...traits, company: omitId(company) },
        CONTACT_FIELDS,
      ),
    },
  };
  return issues.length > 0 ? { ok: false, issues } : { ok: true, call };
}

function eventCall(
  envelope: Envelope,
  type: EventCall['type'],
  event: string,
  contextGroup: string | null,
  properties: Record<string, unknown>,
): ReadResult {
  const group = own(properties, 'groupId');
  const count = own(properties, 'count');
  return {
    ok: true,
    call: {
      ...envelope,
      type,
      event,
      groupId: contextGroup ?? (typeof group === 'string' && group.trim() !== '' ? group.trim() : null),
      // A `count` property says how many times the event happened; otherwise it happened once.
      count:
        typeof count === 'number' && Number.isInteger(count) && count > 0 ? Math.min(count, 1_000_000) : 1,
      properties: Object.fromEntries(Object.entries(properties).filter(([key]) => !isReservedKey(key))),
    },
  };
}

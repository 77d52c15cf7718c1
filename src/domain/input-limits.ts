// The one set of input limits. Every way in (API, Segment, CSV import, CLI) is held to these, by
// the route schemas where there is one and by the checks below where writes converge, so a value
// too big for one path is too big for all of them. Lengths count characters (UTF-16 code units,
// as JavaScript and zod count them).
import type { Attributes } from './account';
import { AppError } from './errors';

export const INPUT_LIMITS = {
  account: {
    externalId: 200,
    name: 500,
    tier: 100,
    lifecycleStage: 100,
    ownerEmail: 320,
    team: 100,
    /** A CSV cell that is parsed rather than stored as text: ARR, renewal date, yes/no. */
    value: 100,
  },
  contact: { email: 320, name: 300, role: 200 },
  attributes: {
    keys: 200,
    keyLength: 200,
    valueLength: 10_000,
    /** All of one record's attributes as JSON, so one record stays small in any list. */
    totalLength: 32_000,
  },
  signal: {
    kind: 64,
    account: 200,
    idempotencyKey: 200,
    timestamp: 64,
    eventName: 200,
    /** Short text in a signal's data: ids, reasons, milestones, competitors. */
    text: 200,
    subject: 1_000,
    note: 5_000,
    /** A signal's `data` as JSON, and how deeply it may nest. */
    dataLength: 16_000,
    dataDepth: 4,
  },
  segment: {
    /** One call, as Segment's own HTTP API limits it. */
    messageLength: 32 * 1024,
    messageDepth: 16,
    /** Keys of a call's `traits` or `properties`. */
    properties: 500,
  },
  /** Free text a user writes: case notes, weekly updates. */
  text: { note: 10_000 },
} as const;

/** One value over a limit: which field, the limit and a message that does not echo the value. */
export interface LimitIssue {
  field: string;
  limit: number;
  message: string;
}

const count = (n: number) => n.toLocaleString('en-US');

/** The issue of a text longer than `limit`, or null. */
export function lengthIssue(
  field: string,
  text: string | null | undefined,
  limit: number,
): LimitIssue | null {
  if (text === null || text === undefined || text.length <= limit) return null;
  return {
    field,
    limit,
    message: `is ${count(text.length)} characters long; at most ${count(limit)} are allowed`,
  };
}

/** A user value quoted in a message, cut short so an error never carries a huge input back. */
export function preview(text: string, max = 60): string {
  return text.length <= max ? text : `${text.slice(0, max)}…`;
}

/**
 * Walks a JSON value without serialising it and says whether it nests deeper than `maxDepth` or
 * would serialise to more than `maxLength` characters; stops as soon as either is certain.
 */
export function jsonBoundsIssue(
  field: string,
  value: unknown,
  bounds: { maxLength: number; maxDepth: number },
): LimitIssue | null {
  let length = 0;
  const stack: { value: unknown; depth: number }[] = [{ value, depth: 0 }];
  while (stack.length > 0) {
    const next = stack.pop();
    if (!next) break;
    const { value: item, depth } = next;
    if (typeof item === 'string') length += item.length + 2;
    else if (typeof item === 'number' || typeof item === 'boolean' || item === null)
      length += String(item).length;
    else if (typeof item === 'object') {
      if (depth >= bounds.maxDepth) {
        return {
          field,
          limit: bounds.maxDepth,
          message: `nests deeper than ${bounds.maxDepth} levels`,
        };
      }
      const entries = Array.isArray(item) ? item.map((v) => ['', v] as const) : Object.entries(item);
      length += 2;
      for (const [key, child] of entries) {
        length += key.length + 4;
        stack.push({ value: child, depth: depth + 1 });
      }
    }
    if (length > bounds.maxLength) {
      return {
        field,
        limit: bounds.maxLength,
        message: `is larger than ${count(bounds.maxLength)} characters as JSON`,
      };
    }
  }
  return null;
}

/** Attribute names no record may use: `__proto__` would reach an object's prototype. */
export function isReservedKey(key: string): boolean {
  return key === '__proto__';
}

/** Problems with a set of attributes: too many keys, a key or value too long, too big in all. */
export function attributeIssues(attributes: Attributes, field = 'attributes'): LimitIssue[] {
  const { keys, keyLength, valueLength, totalLength } = INPUT_LIMITS.attributes;
  const entries = Object.entries(attributes);
  const issues: LimitIssue[] = [];
  if (entries.length > keys) {
    issues.push({
      field,
      limit: keys,
      message: `has ${count(entries.length)} attributes; at most ${count(keys)} are allowed`,
    });
    return issues;
  }
  let total = 2;
  for (const [key, value] of entries) {
    if (key.length > keyLength) {
      issues.push({
        field,
        limit: keyLength,
        message: `attribute name "${preview(key)}" is longer than ${count(keyLength)} characters`,
      });
      continue;
    }
    if (isReservedKey(key)) {
      issues.push({ field, limit: 0, message: `"${key}" cannot be an attribute name` });
      continue;
    }
    const text = typeof value === 'string' ? value : JSON.stringify(value);
    const long = lengthIssue(`${field}.${key}`, text, valueLength);
    if (long) issues.push(long);
    total += key.length + text.length + 6;
  }
  if (issues.length === 0 && total > totalLength) {
    issues.push({
      field,
      limit: totalLength,
      message: `are ${count(total)} characters as JSON; at most ${count(totalLength)} are allowed`,
    });
  }
  return issues;
}

/** The fields of an account (or a change to one) that the limits bound. */
export interface AccountLimitFields {
  externalId?: string;
  name?: string | null;
  tier?: string | null;
  lifecycleStage?: string | null;
  attributes?: Attributes;
}

export function accountIssues(fields: AccountLimitFields): LimitIssue[] {
  const limits = INPUT_LIMITS.account;
  return [
    lengthIssue('externalId', fields.externalId, limits.externalId),
    lengthIssue('name', fields.name, limits.name),
    lengthIssue('tier', fields.tier, limits.tier),
    lengthIssue('lifecycleStage', fields.lifecycleStage, limits.lifecycleStage),
    ...(fields.attributes ? attributeIssues(fields.attributes) : []),
  ].filter((issue): issue is LimitIssue => issue !== null);
}

/** The fields of a contact (or a change to one) that the limits bound. */
export interface ContactLimitFields {
  email?: string | null;
  name?: string | null;
  role?: string | null;
  attributes?: Attributes;
}

export function contactIssues(fields: ContactLimitFields): LimitIssue[] {
  const limits = INPUT_LIMITS.contact;
  return [
    lengthIssue('email', fields.email, limits.email),
    lengthIssue('name', fields.name, limits.name),
    lengthIssue('role', fields.role, limits.role),
    ...(fields.attributes ? attributeIssues(fields.attributes) : []),
  ].filter((issue): issue is LimitIssue => issue !== null);
}

/** Throws VALIDATION_FAILED naming the first field over its limit; `what` says whose field it is. */
export function assertWithinLimits(issues: readonly LimitIssue[], what: string): void {
  const first = issues[0];
  if (!first) return;
  throw new AppError('VALIDATION_FAILED', `${what} ${first.field} ${first.message}.`, {
    field: first.field,
    limit: first.limit,
    issues: issues.map(({ field, limit, message }) => ({ field, limit, message })),
  });
}

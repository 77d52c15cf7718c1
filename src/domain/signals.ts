// Signals: what happens at a customer, as facts with a kind and a validated shape. Each signal
// becomes daily rollups (so scoring never rescans raw events) and, for things with a due date
// (invoices, onboarding milestones), an item whose lateness is measured on the day of scoring.
import { z } from 'zod';
import { INPUT_LIMITS, jsonBoundsIssue } from './input-limits';
import { parseMoney, type ValueLocale } from './values';

const LIMITS = INPUT_LIMITS.signal;

export const SIGNAL_KINDS = [
  'usage',
  'licence',
  'ticket',
  'nps',
  'csat',
  'invoice',
  'onboarding',
  'touchpoint',
  'contact_change',
  'business_event',
  'competitor_mention',
] as const;
export type SignalKind = (typeof SIGNAL_KINDS)[number];

/** JSON bodies must carry real numbers; CSV cells are text and are read as numbers where one is due. */
export type SignalEncoding = 'json' | 'csv';

const calendarDate = z.iso.date();

/**
 * A number in a CSV cell, read as the file's locale writes it and never guessed: `1.500` under
 * de-DE is 1500, without a locale it reads two ways and is refused; `0x10` and `1e3` are refused.
 */
function csvNumber(locale: ValueLocale | undefined) {
  return z.string().transform((text, context) => {
    const read = parseMoney(text, locale);
    if (read.ok) return read.value;
    context.addIssue({ code: 'custom', message: read.message.replace('a non-negative amount', 'a number') });
    return z.NEVER;
  });
}

function dataSchemas(encoding: SignalEncoding, locale?: ValueLocale) {
  const number = encoding === 'json' ? z.number() : csvNumber(locale);
  const int = number.pipe(z.number().int());
  const flag = encoding === 'json' ? z.boolean() : z.stringbool();
  const text = (max: number = LIMITS.text) => z.string().trim().min(1).max(max);
  const note = z.string().max(LIMITS.note).optional();
  return {
    usage: z
      .object({
        event: text(LIMITS.eventName),
        count: int.pipe(z.number().min(0).max(1_000_000)).default(1),
        user: text(INPUT_LIMITS.contact.email).optional(),
        activeUsers: int.pipe(z.number().min(0)).optional(),
        durationSecs: number.pipe(z.number().min(0)).optional(),
        errors: int.pipe(z.number().min(0)).optional(),
        /** What the sender said about the event (a Segment track call's properties). */
        properties: z.record(z.string(), z.unknown()).optional(),
      })
      .strict(),
    // Seats used of seats bought, or the share in use as a ratio from 0 to 1 (never a percent: 85
    // could mean 85% or a misplaced 0.85, so a ratio above 1 is refused).
    licence: z
      .object({
        seatsUsed: int.pipe(z.number().min(0)).optional(),
        seatsPurchased: int.pipe(z.number().min(1)).optional(),
        utilisation: number
          .pipe(z.number().min(0).max(1, 'a ratio from 0 to 1: 85% in use is 0.85'))
          .optional(),
      })
      .strict()
      .superRefine((licence, context) => {
        const seats = licence.seatsUsed !== undefined || licence.seatsPurchased !== undefined;
        if (licence.utilisation !== undefined && seats)
          context.addIssue({
            code: 'custom',
            path: ['utilisation'],
            message: 'send either utilisation or seatsUsed and seatsPurchased, not both',
          });
        else if (
          licence.utilisation === undefined &&
          (licence.seatsUsed === undefined || licence.seatsPurchased === undefined)
        )
          context.addIssue({
            code: 'custom',
            path: [licence.seatsUsed === undefined ? 'seatsUsed' : 'seatsPurchased'],
            message:
              'a licence reading needs seatsUsed and seatsPurchased, or utilisation (a ratio from 0 to 1)',
          });
      }),
    // A ticket without an id is a ticket of its own each time it is sent (its opening or closing is
    // counted, not matched to another record); resending it is a duplicate only by idempotencyKey.
    ticket: z
      .object({
        ticketId: text().optional(),
        action: z.enum(['opened', 'closed', 'escalated']),
        priority: z.enum(['low', 'normal', 'high', 'urgent']),
        subject: text(LIMITS.subject).optional(),
        satisfaction: number.pipe(z.number().min(1).max(5)).optional(),
      })
      .strict(),
    nps: z.object({ score: int.pipe(z.number().min(0).max(10)), comment: note }).strict(),
    csat: z.object({ score: number.pipe(z.number().min(1).max(5)), comment: note }).strict(),
    // An invoice's first record gives its due date; a later one (the payment) may give only the
    // invoice id and the paid date: the due date and amount are the invoice's as first sent.
    invoice: z
      .object({
        invoiceId: text(),
        amount: number.pipe(z.number().min(0)).optional(),
        dueDate: calendarDate.optional(),
        paidDate: calendarDate.nullable().optional(),
      })
      .strict(),
    onboarding: z
      .object({
        milestone: text(),
        dueDate: calendarDate,
        completedDate: calendarDate.nullable().optional(),
      })
      .strict(),
    touchpoint: z
      .object({
        channel: z.enum(['meeting', 'call', 'email', 'chat', 'other']),
        reason: text(),
        outcome: z.enum(['positive', 'neutral', 'negative']).optional(),
        risk: flag.optional(),
        note,
      })
      .strict(),
    contact_change: z
      .object({
        change: z.enum(['champion_left', 'champion_added', 'decision_maker_changed']),
        email: z.email().optional(),
        note,
      })
      .strict(),
    business_event: z
      .object({
        event: z.enum(['acquisition', 'merger', 'layoffs', 'budget_cut', 'leadership_change', 'other']),
        note,
      })
      .strict(),
    competitor_mention: z.object({ competitor: text(), note }).strict(),
  } satisfies Record<SignalKind, z.ZodType>;
}

const SCHEMAS = { json: dataSchemas('json'), csv: dataSchemas('csv') };
const CSV_BY_LOCALE = new Map<string, ReturnType<typeof dataSchemas>>();

function schemasFor(encoding: SignalEncoding, locale: ValueLocale | undefined) {
  if (encoding === 'json' || !locale) return SCHEMAS[encoding];
  let schemas = CSV_BY_LOCALE.get(locale.tag);
  if (!schemas) CSV_BY_LOCALE.set(locale.tag, (schemas = dataSchemas('csv', locale)));
  return schemas;
}

type DataSchemas = ReturnType<typeof dataSchemas>;
export type SignalData = { [K in SignalKind]: z.output<DataSchemas[K]> };

/** One validated signal, before it is tied to a stored account. */
export type Signal = {
  [K in SignalKind]: {
    kind: K;
    account: string;
    occurredAt: string;
    idempotencyKey: string | null;
    data: SignalData[K];
  };
}[SignalKind];

export interface SignalIssue {
  /** Dotted path inside the record: `occurredAt`, `data.score`. */
  field: string;
  message: string;
}

const ISO_TIMESTAMP = /^(\d{4})-(\d{2})-(\d{2})(T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2}))?$/;

/** An ISO-8601 timestamp with a zone, or a bare date (midnight UTC); normalised to UTC. */
export function parseTimestamp(text: string): string | null {
  const match = ISO_TIMESTAMP.exec(text.trim());
  if (!match) return null;
  const [, year, month, day] = match.map(Number);
  const calendar = new Date(Date.UTC(year ?? 0, (month ?? 0) - 1, day ?? 0));
  if (calendar.getUTCMonth() !== (month ?? 0) - 1 || calendar.getUTCDate() !== day) return null;
  const at = Date.parse(match[4] ? text.trim() : `${text.trim()}T00:00:00Z`);
  return Number.isNaN(at) ? null : new Date(at).toISOString();
}

const timestamp = z
  .string()
  .max(LIMITS.timestamp)
  .transform((text, ctx) => {
    const parsed = parseTimestamp(text);
    if (parsed === null) {
      ctx.addIssue({
        code: 'custom',
        message: `"${text}" is not an ISO-8601 timestamp with a zone (e.g. 2026-03-01T09:30:00Z) or a date`,
      });
      return z.NEVER;
    }
    return parsed;
  });

const envelope = z
  .object({
    kind: z.enum(SIGNAL_KINDS),
    account: z.string().trim().min(1).max(LIMITS.account),
    occurredAt: timestamp,
    idempotencyKey: z.string().trim().min(1).max(LIMITS.idempotencyKey).nullable().optional(),
    data: z.record(z.string(), z.unknown()).default({}),
  })
  .strict();

/** Validates one raw record; every problem is reported with the field it concerns. */
export function parseSignal(
  raw: unknown,
  encoding: SignalEncoding = 'json',
  /** How a CSV file writes its numbers. */
  locale?: ValueLocale,
): { ok: true; signal: Signal } | { ok: false; issues: SignalIssue[] } {
  const head = envelope.safeParse(raw);
  if (!head.success) return { ok: false, issues: issuesOf(head.error) };
  const { kind, account, occurredAt, idempotencyKey, data } = head.data;
  const tooBig = jsonBoundsIssue('data', data, { maxLength: LIMITS.dataLength, maxDepth: LIMITS.dataDepth });
  if (tooBig) return { ok: false, issues: [{ field: tooBig.field, message: tooBig.message }] };
  const body = schemasFor(encoding, locale)[kind].safeParse(data);
  if (!body.success) return { ok: false, issues: issuesOf(body.error, 'data') };
  return {
    ok: true,
    signal: {
      kind,
      account,
      occurredAt,
      idempotencyKey: idempotencyKey ?? null,
      data: body.data,
    } as Signal,
  };
}

function issuesOf(error: z.ZodError, prefix?: string): SignalIssue[] {
  return error.issues.map((issue) => {
    const path = [prefix, ...issue.path.map(String)].filter(Boolean).join('.');
    const unknown = issue.code === 'unrecognized_keys' ? issue.keys : null;
    return {
      field: unknown ? [prefix, unknown[0]].filter(Boolean).join('.') : path || '(record)',
      message: unknown
        ? `unknown field${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')}`
        : issue.message,
    };
  });
}

/** How a day's rollup combines the values written into it. */
export type RollupOp = 'sum' | 'max' | 'last';

export interface RollupDelta {
  metric: string;
  op: RollupOp;
  value: number;
}

/** The metrics the rollups keep, and how each combines within a day. */
export const METRICS = {
  'usage.events': 'sum',
  'usage.logins': 'sum',
  'usage.active_users': 'max',
  'usage.errors': 'sum',
  'licence.utilisation': 'last',
  'tickets.opened': 'sum',
  'tickets.closed': 'sum',
  'tickets.escalated': 'sum',
  /** Change in open high/urgent tickets; summed over all days it is the number open now. */
  'tickets.open_high_delta': 'sum',
  'nps.score': 'last',
  'csat.score': 'last',
  'touchpoints.count': 'sum',
  'touchpoints.risk': 'sum',
  'contacts.champion_left': 'sum',
  'business.events': 'sum',
  'competitor.mentions': 'sum',
} as const satisfies Record<string, RollupOp>;
export type Metric = keyof typeof METRICS;

const delta = (metric: Metric, value: number): RollupDelta => ({ metric, op: METRICS[metric], value });

/**
 * A product event's own measures, named after the event as the sender wrote it: `events.<event>`
 * counts it (by the usage signal's count), `events.<event>.<property>` sums one of its numeric
 * properties. Names are folded to lower case with runs of other characters as `_`, so
 * "Report Exported" is `events.report_exported` and its "Duration (ms)" `.duration_ms`.
 */
export const EVENT_METRIC = /^events\.[a-z0-9_]{1,80}(\.[a-z0-9_]{1,80})?$/;
/** A numeric property larger than this is kept with the signal but not summed. */
const MAX_MEASURE = 1e12;
/** At most this many numeric properties of one event are kept as measures (in name order). */
export const EVENT_PROPERTY_MEASURES = 20;

/** The folded name of an event or property; null when nothing of it is left, or too much. */
export function measureName(name: string): string | null {
  const folded = name
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '');
  return folded === '' || folded.length > 80 ? null : folded;
}

const FIXED: Readonly<Record<string, RollupOp>> = METRICS;

/** How a metric combines within a day, or null when there is no such metric. */
export function metricOp(metric: string): RollupOp | null {
  if (Object.hasOwn(FIXED, metric)) return FIXED[metric] ?? null;
  return EVENT_METRIC.test(metric) ? 'sum' : null;
}

/**
 * The metrics that show an account sends the signals a metric is made of: any ticket metric for
 * `tickets.open_high_delta` (normal-priority tickets write none of it), any usage for an event.
 * An account with one of them and none of this metric has a zero of it, not a gap.
 */
export function metricFamily(metric: string): readonly string[] {
  const known = FAMILIES.get(metric);
  if (known) return known;
  const prefix = metric.split('.')[0];
  const family = EVENT_METRIC.test(metric)
    ? ['usage.events']
    : Object.keys(METRICS).filter((other) => other.split('.')[0] === prefix);
  if (FAMILIES.size < 10_000) FAMILIES.set(metric, family);
  return family;
}
const FAMILIES = new Map<string, readonly string[]>();

function eventMeasures(event: string, count: number, properties: Record<string, unknown> | undefined) {
  const name = measureName(event);
  if (name === null) return [];
  const measures: RollupDelta[] = [{ metric: `events.${name}`, op: 'sum', value: count }];
  const numeric = Object.entries(properties ?? {})
    // Past a trillion a value is no measure of use, and sums of it would overflow.
    .filter(
      (entry): entry is [string, number] =>
        typeof entry[1] === 'number' && Number.isFinite(entry[1]) && Math.abs(entry[1]) <= MAX_MEASURE,
    )
    .map(([key, value]) => [measureName(key), value] as const)
    .filter((entry): entry is readonly [string, number] => entry[0] !== null)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const seen = new Set<string>();
  for (const [key, value] of numeric) {
    if (seen.has(key) || seen.size >= EVENT_PROPERTY_MEASURES) continue;
    seen.add(key);
    measures.push({ metric: `events.${name}.${key}`, op: 'sum', value });
  }
  return measures;
}

const LOGIN_EVENTS = new Set(['login', 'signin', 'sign_in', 'signed_in', 'logged_in', 'session_start']);
const HIGH = new Set(['high', 'urgent']);

/** What one signal adds to its account's rollups for the day it occurred. */
export function rollupsOf(signal: Signal): RollupDelta[] {
  switch (signal.kind) {
    case 'usage': {
      const { event, count, activeUsers, errors, properties } = signal.data;
      return [
        delta('usage.events', count),
        ...eventMeasures(event, count, properties),
        ...(LOGIN_EVENTS.has(
          event
            .trim()
            .toLowerCase()
            .replace(/[\s-]+/g, '_'),
        )
          ? [delta('usage.logins', count)]
          : []),
        ...(activeUsers !== undefined ? [delta('usage.active_users', activeUsers)] : []),
        ...(errors ? [delta('usage.errors', errors)] : []),
      ];
    }
    case 'licence': {
      const { seatsUsed, seatsPurchased, utilisation } = signal.data;
      const share = utilisation ?? (seatsUsed ?? 0) / (seatsPurchased ?? 1);
      return [delta('licence.utilisation', Math.round(share * 10_000) / 100)];
    }
    case 'ticket': {
      const high = HIGH.has(signal.data.priority);
      switch (signal.data.action) {
        case 'opened':
          return [delta('tickets.opened', 1), ...(high ? [delta('tickets.open_high_delta', 1)] : [])];
        case 'closed':
          return [delta('tickets.closed', 1), ...(high ? [delta('tickets.open_high_delta', -1)] : [])];
        case 'escalated':
          return [delta('tickets.escalated', 1)];
      }
      return [];
    }
    case 'nps':
      return [delta('nps.score', signal.data.score)];
    case 'csat':
      return [delta('csat.score', signal.data.score)];
    case 'touchpoint': {
      const risk = signal.data.risk ?? signal.data.reason.toLowerCase() === 'risk';
      return [delta('touchpoints.count', 1), ...(risk ? [delta('touchpoints.risk', 1)] : [])];
    }
    case 'contact_change':
      return signal.data.change === 'champion_left' ? [delta('contacts.champion_left', 1)] : [];
    case 'business_event':
      return [delta('business.events', 1)];
    case 'competitor_mention':
      return [delta('competitor.mentions', 1)];
    case 'invoice':
    case 'onboarding':
      return [];
  }
}

/** Something with a due date whose lateness matters: an unpaid invoice, a late milestone. */
export interface DueItem {
  kind: 'invoice' | 'onboarding';
  key: string;
  dueDate: string;
  doneDate: string | null;
  amount: number | null;
}

export function dueItemOf(signal: Signal): DueItem | null {
  if (signal.kind === 'invoice') {
    // Without a due date the record is a payment of an invoice sent before: see `knownInvoice`.
    if (signal.data.dueDate === undefined) return null;
    return {
      kind: 'invoice',
      key: signal.data.invoiceId,
      dueDate: signal.data.dueDate,
      doneDate: signal.data.paidDate ?? null,
      amount: signal.data.amount ?? null,
    };
  }
  if (signal.kind === 'onboarding') {
    return {
      kind: 'onboarding',
      key: signal.data.milestone,
      dueDate: signal.data.dueDate,
      doneDate: signal.data.completedDate ?? null,
      amount: null,
    };
  }
  return null;
}

/** The headline number of a signal, kept beside it for timelines and evidence. */
export function headlineValue(signal: Signal): number | null {
  switch (signal.kind) {
    case 'usage':
      return signal.data.count;
    case 'licence':
      return signal.data.seatsUsed ?? null;
    case 'nps':
    case 'csat':
      return signal.data.score;
    case 'invoice':
      return signal.data.amount ?? null;
    case 'ticket':
    case 'onboarding':
    case 'touchpoint':
    case 'contact_change':
    case 'business_event':
    case 'competitor_mention':
      return null;
  }
}

/** How far ahead of the server clock anything may be stamped (clock skew between systems). */
export const FUTURE_TOLERANCE_MS = 5 * 60_000;

/** A time ahead of the server clock is a clock or mapping mistake, not a fact: the one rule for every way in. */
export function futureIssue(at: string, now: Date, field = 'occurredAt'): SignalIssue | null {
  return Date.parse(at) > now.getTime() + FUTURE_TOLERANCE_MS
    ? { field, message: `${at} is in the future (Retain's clock says ${now.toISOString()})` }
    : null;
}

/** The UTC calendar day of an ISO timestamp. */
export const dayOf = (iso: string): string => iso.slice(0, 10);

// The RavenStack multi-table SaaS dataset (accounts, subscriptions, feature usage, support tickets,
// churn events) mapped onto Retain: accounts with ARR from their active subscriptions, usage and
// ticket signals, churn history as account attributes. Then every account is scored and detection
// runs, as of the day after the data ends.
//
// Mapping (documented in the README):
//   accounts.csv        -> accounts: account_id, account_name, plan_tier -> tier; industry, country,
//                          referral_source, signup_date, seats, is_trial, churn_flag -> attributes
//   subscriptions.csv   -> ARR = sum of arr_amount over subscriptions active on the as-of day
//   feature_usage.csv   -> usage signals (feature_name, usage_count, usage_duration_secs, error_count),
//                          account found through subscription_id; usage_id is the idempotency key
//   support_tickets.csv -> ticket opened at submitted_at, closed at closed_at, escalated when flagged
//                          (priority medium -> normal); satisfaction_score -> a CSAT signal
//   churn_events.csv    -> attributes churnEvents, lastChurnDate, lastChurnReason
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { parse } from 'csv-parse/sync';
import { stringify } from 'csv-stringify/sync';
import { AppError } from '../../domain/errors';
import type { Actor } from '../../domain/policy';
import { parseSignal, type Signal } from '../../domain/signals';
import type { DetectionRun } from '../detection';
import type { ScoreRun } from '../health';
import type { Services } from '../index';
import { inTransaction } from '../context';
import { writeSignals } from '../signals';

type Row = Record<string, string>;

export interface RavenstackOptions {
  /** CSMs to own the accounts, assigned in turn; accounts stay unowned when empty. */
  ownerEmails?: readonly string[];
}

export interface RavenstackReport {
  asOf: string;
  accounts: { rows: number; created: number; updated: number };
  signals: { read: number; inserted: number; duplicates: number };
  /** Usage rows whose subscription is not in subscriptions.csv. */
  orphanUsage: number;
  churnEvents: number;
  scoring: ScoreRun;
  detection: DetectionRun;
}

const FILES = {
  accounts: 'ravenstack_accounts.csv',
  subscriptions: 'ravenstack_subscriptions.csv',
  usage: 'ravenstack_feature_usage.csv',
  tickets: 'ravenstack_support_tickets.csv',
  churn: 'ravenstack_churn_events.csv',
} as const;

function readTable(dir: string, file: string): Row[] {
  let text: Buffer;
  try {
    text = readFileSync(join(dir, file));
  } catch {
    throw new AppError(
      'FILE_NOT_READABLE',
      `Cannot read "${join(dir, file)}": is this the RavenStack folder?`,
      {
        file: join(dir, file),
      },
    );
  }
  return parse<Row>(text, { columns: true, bom: true, skip_empty_lines: true, trim: true });
}

/** `2023-07-28 03:00:00` (no zone, UTC in the dataset) or a bare date, as ISO UTC. */
const timestamp = (text: string) => (text.includes(' ') ? `${text.replace(' ', 'T')}Z` : text);
const flag = (text: string | undefined) => text === 'True';
const PRIORITY: Record<string, string> = { low: 'low', medium: 'normal', high: 'high', urgent: 'urgent' };

/** The day after the latest date in the data: what "now" is for this dataset. */
export function ravenstackAsOf(dir: string): string {
  const dates = [
    ...readTable(dir, FILES.usage).map((row) => row.usage_date ?? ''),
    ...readTable(dir, FILES.tickets).map((row) => (row.closed_at || row.submitted_at) ?? ''),
  ].filter(Boolean);
  const last =
    dates
      .map((d) => d.slice(0, 10))
      .sort()
      .at(-1) ?? '2025-01-01';
  return new Date(Date.parse(`${last}T00:00:00Z`) + 86_400_000).toISOString();
}

export async function importRavenstack(
  services: Services,
  actor: Actor,
  dir: string,
  options: RavenstackOptions = {},
): Promise<RavenstackReport> {
  const now = services.clock.now();
  const asOf = now.toISOString().slice(0, 10);
  const accounts = readTable(dir, FILES.accounts);
  const subscriptions = readTable(dir, FILES.subscriptions);
  const churn = readTable(dir, FILES.churn);

  const arr = new Map<string, number>();
  const accountOfSubscription = new Map<string, string>();
  for (const sub of subscriptions) {
    accountOfSubscription.set(sub.subscription_id ?? '', sub.account_id ?? '');
    const active = (sub.start_date ?? '') <= asOf && (!sub.end_date || sub.end_date >= asOf);
    if (active)
      arr.set(sub.account_id ?? '', (arr.get(sub.account_id ?? '') ?? 0) + Number(sub.arr_amount ?? 0));
  }
  const churnOf = new Map<string, { count: number; date: string; reason: string }>();
  for (const event of churn) {
    const id = event.account_id ?? '';
    const seen = churnOf.get(id) ?? { count: 0, date: '', reason: '' };
    seen.count += 1;
    if ((event.churn_date ?? '') >= seen.date) {
      seen.date = event.churn_date ?? '';
      seen.reason = event.reason_code ?? '';
    }
    churnOf.set(id, seen);
  }

  const owners = options.ownerEmails ?? [];
  const header = [
    'external_id',
    'name',
    'owner_email',
    'tier',
    'arr',
    'lifecycle_stage',
    'industry',
    'country',
    'referralSource',
    'signupDate',
    'seats',
    'churnFlag',
    'churnEvents',
    'lastChurnDate',
    'lastChurnReason',
  ];
  const accountCsv = stringify([
    header,
    ...accounts.map((row, index) => {
      const id = row.account_id ?? '';
      const churned = churnOf.get(id);
      return [
        id,
        row.account_name,
        owners.length > 0 ? owners[index % owners.length] : '',
        row.plan_tier,
        arr.get(id) ?? 0,
        flag(row.is_trial) ? 'Trial' : 'Customer',
        row.industry,
        row.country,
        row.referral_source,
        row.signup_date,
        row.seats,
        flag(row.churn_flag) ? 'yes' : 'no',
        churned?.count ?? 0,
        churned?.date ?? '',
        churned?.reason ?? '',
      ];
    }),
  ]);
  const accountReport = await services.imports.importAccounts(actor, Readable.from([accountCsv]), {
    mapping: { lifecycle_stage: 'lifecycleStage', owner_email: 'ownerEmail' },
  });

  const raw: unknown[] = [];
  let orphanUsage = 0;
  for (const row of readTable(dir, FILES.usage)) {
    const account = accountOfSubscription.get(row.subscription_id ?? '');
    if (!account) {
      orphanUsage += 1;
      continue;
    }
    raw.push({
      kind: 'usage',
      account,
      occurredAt: row.usage_date,
      idempotencyKey: `ravenstack:${row.usage_id}`,
      data: {
        event: row.feature_name,
        count: Math.max(1, Number(row.usage_count)),
        durationSecs: Number(row.usage_duration_secs),
        errors: Number(row.error_count),
      },
    });
  }
  for (const row of readTable(dir, FILES.tickets)) {
    const base = { kind: 'ticket', account: row.account_id };
    const data = { ticketId: row.ticket_id, priority: PRIORITY[row.priority ?? ''] ?? 'normal' };
    raw.push({
      ...base,
      occurredAt: row.submitted_at,
      idempotencyKey: `ravenstack:${row.ticket_id}:opened`,
      data: { ...data, action: 'opened' },
    });
    if (flag(row.escalation_flag)) {
      raw.push({
        ...base,
        occurredAt: row.submitted_at,
        idempotencyKey: `ravenstack:${row.ticket_id}:escalated`,
        data: { ...data, action: 'escalated' },
      });
    }
    if (row.closed_at) {
      const closedAt = timestamp(row.closed_at);
      raw.push({
        ...base,
        occurredAt: closedAt,
        idempotencyKey: `ravenstack:${row.ticket_id}:closed`,
        data: { ...data, action: 'closed' },
      });
      if (row.satisfaction_score) {
        raw.push({
          kind: 'csat',
          account: row.account_id,
          occurredAt: closedAt,
          idempotencyKey: `ravenstack:${row.ticket_id}:csat`,
          data: { score: Number(row.satisfaction_score) },
        });
      }
    }
  }

  const signals: { ref: number; signal: Signal }[] = [];
  raw.forEach((record, index) => {
    const parsed = parseSignal(record);
    if (!parsed.ok) {
      const issue = parsed.issues[0];
      throw new AppError('IMPORT_INVALID', `RavenStack record ${index}: ${issue?.field}: ${issue?.message}`, {
        record,
      });
    }
    signals.push({ ref: index, signal: parsed.signal });
  });
  const written = await inTransaction(services.context, async (db) => {
    let inserted = 0;
    let duplicates = 0;
    for (let i = 0; i < signals.length; i += 5_000) {
      const result = await writeSignals(db, actor, now, signals.slice(i, i + 5_000), { source: 'csv' });
      if (result.rejected.length > 0) {
        const first = result.rejected[0];
        throw new AppError('IMPORT_INVALID', `RavenStack signal ${first?.ref}: ${first?.message}`, {
          rejected: result.rejected.length,
        });
      }
      inserted += result.inserted;
      duplicates += result.duplicates;
    }
    return { inserted, duplicates };
  });

  const scoring = await services.health.score();
  const detection = await services.detection.evaluate();
  return {
    asOf,
    accounts: { rows: accountReport.rows, created: accountReport.created, updated: accountReport.updated },
    signals: { read: signals.length, ...written },
    orphanUsage,
    churnEvents: churn.length,
    scoring,
    detection,
  };
}

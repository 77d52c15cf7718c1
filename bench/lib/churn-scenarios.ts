// A book with known truth for judging detection: accounts that send daily usage, weekly licence
// readings, tickets, invoices and the odd survey answer, some of which churn by one of several
// archetypes (with real warning signs, or none), while healthy accounts carry the noise real books
// carry: dips that recover, a few tickets in a fortnight, an invoice paid three weeks late, a
// passive or mildly unhappy NPS answer, weekends and slow drift. Each seed gives another book.
import { dayNumber, type ReplayAccount } from '../../src/domain/detection-replay';
import { SYSTEM_ACTOR } from '../../src/domain/policy';
import { dueItemOf, METRICS, parseSignal, rollupsOf, type Signal } from '../../src/domain/signals';
import type { Services } from '../../src/services';
import type { ManualClock } from '../../src/services/clock';
import { inTransaction } from '../../src/services/context';
import { writeSignals } from '../../src/services/signals';
import { RiskCaseRepository } from '../../src/store/risk-case.repository';

export const ARCHETYPES = [
  'decline',
  'quiet',
  'stopped',
  'support',
  'payment',
  'detractor',
  'champion',
  'silent',
] as const;
export type Archetype = (typeof ARCHETYPES)[number];

/** What a churner of each archetype really left for, as risk reason keys (the first is the main one). */
export const TRUE_REASONS: Record<Archetype, readonly string[]> = {
  decline: ['product_adoption', 'poor_engagement'],
  quiet: ['poor_engagement', 'product_adoption'],
  stopped: ['poor_engagement', 'product_adoption'],
  support: ['support_issues'],
  payment: ['poor_financial_standing'],
  detractor: ['poor_nps_csat'],
  champion: ['leadership_change', 'product_adoption'],
  silent: [],
};

const SHARE: Record<Archetype, number> = {
  decline: 0.3,
  quiet: 0.14,
  stopped: 0.1,
  support: 0.14,
  payment: 0.1,
  detractor: 0.1,
  champion: 0.06,
  silent: 0.06,
};

export interface ScenarioOptions {
  seed: number;
  accounts: number;
  days: number;
  /** The first day of the book. */
  start: string;
  /** Share of accounts that churn within the book. */
  churnRate?: number;
}

export interface ScenarioAccount {
  external: string;
  archetype: Archetype | 'healthy';
  churnDay: string | null;
  /** The day the warning signs begin (churners that show any). */
  onsetDay: string | null;
  reasons: readonly string[];
  signals: Signal[];
}

export interface Scenario {
  options: ScenarioOptions;
  end: string;
  accounts: ScenarioAccount[];
}

/** mulberry32: a small, fast, seedable generator; the same seed gives the same book. */
function random(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

const DAY = 86_400_000;
const dayText = (n: number) => new Date(n * DAY).toISOString().slice(0, 10);

export function generateScenario(options: ScenarioOptions): Scenario {
  const rand = random(options.seed * 7919 + 17);
  const between = (low: number, high: number) => low + rand() * (high - low);
  const int = (low: number, high: number) => Math.floor(between(low, high + 1));
  const chance = (p: number) => rand() < p;
  const normal = () => Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
  const pick = (): Archetype => {
    let roll = rand();
    for (const archetype of ARCHETYPES) {
      roll -= SHARE[archetype];
      if (roll <= 0) return archetype;
    }
    return 'decline';
  };
  const first = dayNumber(options.start);
  const last = first + options.days - 1;
  const churnRate = options.churnRate ?? 0.12;
  const accounts: ScenarioAccount[] = [];

  for (let index = 0; index < options.accounts; index += 1) {
    const external = `SCN-${String(index + 1).padStart(5, '0')}`;
    const churns = chance(churnRate);
    const archetype: Archetype | 'healthy' = churns ? pick() : 'healthy';
    // Warning signs begin months before a churner leaves (most leave at a renewal): a payment problem
    // or a fall in use two to three months ahead, silence a little later. Every churner's signs begin
    // inside the book, three weeks in at the earliest.
    const lead =
      archetype === 'stopped' || archetype === 'quiet'
        ? int(45, 80)
        : archetype === 'payment'
          ? int(60, 100)
          : int(50, 100);
    const churnAt = churns ? int(Math.min(last, first + lead + 21), last) : null;
    const onset =
      churnAt === null || archetype === 'silent' ? null : churnAt - Math.min(lead, churnAt - first - 21);
    const baseUsers = Math.round(Math.exp(between(Math.log(8), Math.log(150))));
    const seats = Math.ceil(baseUsers * between(1.1, 1.5));
    const drift = between(-0.1, 0.1);
    const signals: Signal[] = [];
    let serial = 0;
    const add = (raw: Record<string, unknown>) => {
      serial += 1;
      const parsed = parseSignal({ account: external, idempotencyKey: `${external}-${serial}`, ...raw });
      if (!parsed.ok) throw new Error(`generator wrote a bad signal: ${JSON.stringify(parsed.issues)}`);
      signals.push(parsed.signal);
    };
    const at = (n: number, hour = 12) => `${dayText(n)}T${String(hour).padStart(2, '0')}:00:00Z`;

    // Harmless dips: a week or two at half use, then back.
    const dips: [number, number, number][] = [];
    for (let n = first + int(0, 60); n < last; n += int(50, 120)) {
      if (chance(0.45)) dips.push([n, n + int(6, 14), between(0.35, 0.65)]);
    }
    // Where the churner's use goes: down over a few weeks to a floor it keeps until they leave.
    const ramp = int(10, 28);
    const floor =
      archetype === 'detractor' ? between(0.55, 0.8) : archetype === 'quiet' ? 0 : between(0.15, 0.5);
    const decay = (n: number): number => {
      if (onset === null || n < onset) return 1;
      if (
        archetype !== 'decline' &&
        archetype !== 'champion' &&
        archetype !== 'detractor' &&
        archetype !== 'quiet'
      )
        return 1;
      const progress = Math.min(1, (n - onset) / (archetype === 'quiet' ? Math.ceil(ramp / 2) : ramp));
      return 1 - progress * (1 - floor);
    };
    const stopsAt = archetype === 'stopped' && onset !== null ? onset + int(0, 10) : null;
    const lastDay = churnAt === null ? last : churnAt - 1;

    for (let n = first; n <= lastDay; n += 1) {
      if (stopsAt !== null && n >= stopsAt) break;
      const weekday = new Date(n * DAY).getUTCDay();
      const weekend = weekday === 0 || weekday === 6 ? 0.35 : 1;
      const dip = dips.find(([from, to]) => n >= from && n <= to)?.[2] ?? 1;
      const trend = 1 + drift * ((n - first) / options.days);
      const expected = baseUsers * weekend * dip * trend * decay(n);
      const users = Math.max(0, Math.round(expected + normal() * Math.sqrt(expected) * 0.6));
      const events = users === 0 ? 0 : Math.round(users * between(6, 12));
      add({
        kind: 'usage',
        occurredAt: at(n, 23),
        data: { event: 'daily_summary', count: events, activeUsers: users },
      });
      if (weekday === 1) {
        const used = Math.min(seats, Math.round(baseUsers * trend * decay(n) * between(0.95, 1.05)));
        add({ kind: 'licence', occurredAt: at(n, 8), data: { seatsUsed: used, seatsPurchased: seats } });
      }
    }

    // Tickets: a normal trickle, a harmless burst now and then, a flood for the support churner.
    let ticket = 0;
    const openTicket = (n: number, priority: string, daysOpen: number) => {
      ticket += 1;
      const id = `${external}-T${ticket}`;
      add({ kind: 'ticket', occurredAt: at(n, 10), data: { ticketId: id, action: 'opened', priority } });
      if (n + daysOpen <= lastDay)
        add({
          kind: 'ticket',
          occurredAt: at(n + daysOpen, 16),
          data: { ticketId: id, action: 'closed', priority },
        });
    };
    for (let n = first; n <= lastDay; n += 1) {
      if (chance(1 / 16)) openTicket(n, chance(0.06) ? 'high' : 'normal', int(0, 4));
    }
    if (archetype === 'healthy' && chance(0.3)) {
      const from = int(first, last - 14);
      for (let k = int(3, 4); k > 0; k -= 1) openTicket(from + int(0, 13), 'normal', int(1, 5));
    }
    if (archetype === 'support' && onset !== null) {
      for (let n = onset; n <= lastDay; n += int(1, 3))
        openTicket(n, chance(0.35) ? 'high' : 'normal', int(4, 20));
      for (let n = onset + int(5, 20); n <= lastDay; n += int(20, 35))
        add({ kind: 'csat', occurredAt: at(n, 14), data: { score: int(1, 2) } });
    }

    // Invoices each month, due 30 days later; most are paid on time, some three weeks late.
    let invoice = 0;
    for (let n = first - 20 + int(0, 29); n <= lastDay; n += 30) {
      invoice += 1;
      const id = `${external}-INV${invoice}`;
      const due = n + 30;
      const amount = Math.round(baseUsers * 40);
      const stopsPaying = archetype === 'payment' && onset !== null && due >= onset;
      const paid = chance(0.15) ? due + int(20, 25) : due - int(0, 12);
      // An invoice settled before the book begins is not in it.
      if (!stopsPaying && paid < first) continue;
      add({
        kind: 'invoice',
        occurredAt: at(Math.max(first, n), 9),
        data: { invoiceId: id, amount, dueDate: dayText(due) },
      });
      if (stopsPaying) continue;
      if (paid <= lastDay)
        add({
          kind: 'invoice',
          occurredAt: at(paid, 15),
          data: { invoiceId: id, amount, dueDate: dayText(due), paidDate: dayText(paid) },
        });
    }

    // Survey answers: about one a quarter; healthy accounts answer as real customers do.
    for (let n = first + int(0, 80); n <= lastDay; n += int(70, 110)) {
      const roll = rand();
      const warning = archetype === 'detractor' && onset !== null && n >= onset - 5;
      const score = warning ? int(0, 4) : roll < 0.5 ? int(9, 10) : roll < 0.88 ? int(7, 8) : int(5, 6);
      add({ kind: 'nps', occurredAt: at(n, 13), data: { score } });
    }
    if (archetype === 'detractor' && onset !== null)
      add({ kind: 'nps', occurredAt: at(onset + int(0, 10), 13), data: { score: int(0, 3) } });
    if (archetype === 'champion' && onset !== null)
      add({ kind: 'contact_change', occurredAt: at(onset, 11), data: { change: 'champion_left' } });

    signals.sort((a, b) => (a.occurredAt < b.occurredAt ? -1 : a.occurredAt > b.occurredAt ? 1 : 0));
    accounts.push({
      external,
      archetype,
      churnDay: churnAt === null ? null : dayText(churnAt),
      onsetDay: onset === null ? null : dayText(onset),
      reasons: archetype === 'healthy' ? [] : TRUE_REASONS[archetype],
      signals,
    });
  }
  return { options, end: dayText(last), accounts };
}

/**
 * The history the store would hold after taking every signal of the book on the day it occurred:
 * daily rollups combined as the store combines them, and due items with the days they were learnt.
 */
export function replayAccountsOf(scenario: Scenario): ReplayAccount[] {
  return scenario.accounts.map((account, index) => {
    const daily = new Map<string, Map<string, number>>();
    const items = new Map<string, ReplayAccount['dueItems'][number]>();
    for (const signal of account.signals) {
      const day = signal.occurredAt.slice(0, 10);
      for (const delta of rollupsOf(signal)) {
        let series = daily.get(delta.metric);
        if (!series) daily.set(delta.metric, (series = new Map<string, number>()));
        const before = series.get(day);
        const op = (METRICS as Record<string, string>)[delta.metric] ?? 'sum';
        series.set(
          day,
          before === undefined
            ? delta.value
            : op === 'sum'
              ? before + delta.value
              : op === 'max'
                ? Math.max(before, delta.value)
                : delta.value,
        );
      }
      const item = dueItemOf(signal);
      if (item) {
        const key = `${item.kind}|${item.key}`;
        const seen = items.get(key);
        items.set(key, {
          kind: item.kind,
          seenDay: seen?.seenDay ?? day,
          dueDate: item.dueDate,
          doneDate: item.doneDate ?? seen?.doneDate ?? null,
          doneSeenDay: item.doneDate ? (seen?.doneSeenDay ?? day) : (seen?.doneSeenDay ?? null),
        });
      }
    }
    return { id: index + 1, daily, dueItems: [...items.values()], facts: null, churnDay: account.churnDay };
  });
}

/**
 * The scenario's signals as one CSV file for `retain import signals`: account, kind, occurred_at and
 * a column per data field; rows in time order, or shuffled with `shuffle` (a file need not be sorted).
 */
export function scenarioCsv(scenario: Scenario, options: { shuffle?: boolean } = {}): string {
  const signals = scenario.accounts.flatMap((account) => account.signals);
  if (options.shuffle) {
    let seed = 7;
    const order = new Map(signals.map((signal) => [signal, (seed = (seed * 16_807) % 2_147_483_647)]));
    signals.sort((a, b) => (order.get(a) ?? 0) - (order.get(b) ?? 0));
  } else signals.sort((a, b) => a.occurredAt.localeCompare(b.occurredAt));
  const fields = [...new Set(signals.flatMap((signal) => Object.keys(signal.data)))].sort();
  const lines = [['account', 'kind', 'occurred_at', ...fields].join(',')];
  for (const signal of signals) {
    const data = signal.data as Record<string, string | number | boolean | undefined>;
    lines.push(
      [
        signal.account,
        signal.kind,
        signal.occurredAt,
        ...fields.map((field) => String(data[field] ?? '')),
      ].join(','),
    );
  }
  return `${lines.join('\n')}\n`;
}

/** What a store needs to hold a scenario as a real book would: accounts, every signal, and churn. */
export interface ScenarioServices {
  services: Services;
  clock: ManualClock;
}

/**
 * Writes the scenario into a store: its accounts, every signal (through the same write path as an
 * import, in large transactions, without re-scoring as it goes), and each churner's leaving as a case
 * a CSM closed as lost on the churn day with the reason they left for. Nothing is detected here:
 * the backtest replays detection from the stored history.
 */
export async function storeScenario(
  scenario: Scenario,
  { services, clock }: ScenarioServices,
): Promise<void> {
  clock.set(`${scenario.end}T23:59:00.000Z`);
  const now = clock.now();
  await createScenarioAccounts(scenario, services, now);
  const signals = scenario.accounts.flatMap((account) => account.signals);
  for (let i = 0; i < signals.length; i += 20_000) {
    const batch = signals.slice(i, i + 20_000).map((signal, ref) => ({ ref, signal }));
    await inTransaction(services.context, (db) =>
      writeSignals(db, SYSTEM_ACTOR, now, batch, { source: 'csv' }),
    );
  }
  for (const account of scenario.accounts) {
    if (account.churnDay === null) continue;
    clock.set(`${account.churnDay}T08:00:00.000Z`);
    await recordChurn(services, clock, account);
  }
  clock.set(`${scenario.end}T23:59:00.000Z`);
}

/** The scenario's accounts, as a CRM import would create them. */
export async function createScenarioAccounts(
  scenario: Scenario,
  services: Services,
  now: Date,
): Promise<void> {
  const rows = scenario.accounts.map((account) => ({
    external_id: account.external,
    name: `Scenario account ${account.external.slice(4)}`,
    tier: 'Growth',
    arr: 12_000,
    attributes: '{}',
    created_at: now.toISOString(),
    updated_at: now.toISOString(),
  }));
  for (let i = 0; i < rows.length; i += 500)
    await services.store.db
      .insertInto('accounts')
      .values(rows.slice(i, i + 500))
      .execute();
}

/**
 * A churner leaves: their open case, or a new one, is closed as lost on the clock's day with the
 * reason they left for, as a CSM records it.
 */
export async function recordChurn(
  services: Services,
  clock: ManualClock,
  account: ScenarioAccount,
): Promise<void> {
  const { id } = await services.accounts.getByExternalId(account.external);
  const reason = account.reasons[0] ?? 'product_adoption';
  const open = await new RiskCaseRepository(services.store.db).findOpenByAccount(id);
  const caseId =
    open?.id ??
    (await services.riskCases.open(SYSTEM_ACTOR, { accountId: id, reasons: [reason], note: 'Did not renew' }))
      .id;
  clock.set(new Date(clock.now().getTime() + 60_000));
  // The separation survey records why they left, whatever the case opened for.
  await services.riskCases.moveStage(SYSTEM_ACTOR, caseId, {
    stage: 'closed_lost',
    survey: { primaryReason: reason },
  });
}

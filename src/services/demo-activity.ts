// The demo book's last weeks of activity: product usage, licence use, surveys, tickets and
// touchpoints that agree with each account's risk history, replayed week by week through the
// signal writer and the health scorer, so every account has a score history that explains itself.
// Healthy accounts hold steady; an account at risk declines from a few weeks before its case
// opened; a saved one recovers after the save; a lost one drops to a few remaining users.
import type { Faker } from '@faker-js/faker';
import { SYSTEM_ACTOR } from '../domain/policy';
import { DAY_MS } from '../domain/risk-lifecycle';
import type { Signal } from '../domain/signals';
import { RiskCaseRepository } from '../store/risk-case.repository';
import { inTransaction, type ServiceContext } from './context';
import { HealthService } from './health';
import { writeSignals } from './signals';

export interface DemoAccount {
  id: number;
  externalId: string;
  seats: number;
}

interface CaseTimes {
  openedAt: number;
  closedAt: number | null;
  outcome: 'recovered' | 'lost' | null;
}

const WEEK_MS = 7 * DAY_MS;
const DECLINE_LEAD_MS = 21 * DAY_MS;

/** How active an account is at `at`, from 1 (its normal) towards 0, given its latest case. */
export function activityLevel(at: number, risk: CaseTimes | undefined): number {
  if (!risk || at < risk.openedAt - DECLINE_LEAD_MS) return 1;
  // Down to 45% when the case opens, then on down by 4% a week while it stays open.
  const bottom = 0.45;
  const declining = (until: number) =>
    until <= risk.openedAt
      ? 1 - ((1 - bottom) * (until - (risk.openedAt - DECLINE_LEAD_MS))) / DECLINE_LEAD_MS
      : bottom * Math.pow(0.96, (until - risk.openedAt) / WEEK_MS);
  if (risk.closedAt === null || at <= risk.closedAt) return Math.max(0.05, declining(at));
  const atClose = Math.max(0.05, declining(risk.closedAt));
  const since = (at - risk.closedAt) / WEEK_MS;
  return risk.outcome === 'recovered'
    ? Math.min(1, atClose + (1 - atClose) * Math.min(1, since / 4))
    : since < 1
      ? atClose + (0.15 - atClose) * since
      : 0.15;
}

/**
 * Writes `weeks` weeks of signals up to `now` for the accounts and scores every account at the end of
 * each week, oldest first, so each score sees only the signals before it.
 */
export async function replayDemoActivity(
  context: ServiceContext,
  faker: Faker,
  accounts: readonly DemoAccount[],
  weeks: number,
): Promise<{ signals: number; scores: number }> {
  const now = context.clock.now().getTime();
  const cases = await new RiskCaseRepository(context.store.db).findCases({ status: 'all' });
  const latest = new Map<number, CaseTimes>();
  for (const found of cases) {
    const openedAt = Date.parse(found.openedAt);
    const known = latest.get(found.accountId);
    if (known && known.openedAt > openedAt) continue;
    latest.set(found.accountId, {
      openedAt,
      closedAt: found.closedAt ? Date.parse(found.closedAt) : null,
      outcome: found.outcome,
    });
  }
  // Each account's own normal: events a week and share of seats in use.
  const normal = new Map(
    accounts.map((account) => [
      account.id,
      {
        events: Math.round(account.seats * faker.number.float({ min: 8, max: 30 })),
        use: faker.number.float({ min: 0.6, max: 0.95 }),
        nps: faker.number.int({ min: 7, max: 10 }),
      },
    ]),
  );
  let signals = 0;
  let scores = 0;
  for (let week = weeks; week >= 0; week -= 1) {
    const weekEnd = now - week * WEEK_MS;
    const batch: Signal[] = [];
    for (const account of accounts) {
      const base = normal.get(account.id);
      if (!base) continue;
      const risk = latest.get(account.id);
      const level = activityLevel(weekEnd, risk);
      const noise = () => faker.number.float({ min: 0.96, max: 1.04 });
      const at = (daysBack: number) => new Date(weekEnd - daysBack * DAY_MS).toISOString();
      const key = (kind: string) => `demo-${kind}-${account.externalId}-${weeks - week}`;
      const seatsUsed = Math.max(1, Math.round(account.seats * base.use * level));
      const activeUsers = Math.max(1, Math.round(seatsUsed * noise()));
      batch.push({
        kind: 'usage',
        account: account.externalId,
        // Usage is reported weekly on the same weekday, so week-on-week trends compare like with like.
        occurredAt: at(0),
        idempotencyKey: key('usage'),
        data: {
          event: 'weekly_activity',
          count: Math.max(1, Math.round(base.events * level * noise())),
          activeUsers,
        },
      });
      if (week % 4 === 0)
        batch.push({
          kind: 'licence',
          account: account.externalId,
          occurredAt: at(1),
          idempotencyKey: key('licence'),
          data: { seatsUsed: Math.min(account.seats, seatsUsed), seatsPurchased: account.seats },
        });
      // A customer who has left answers no surveys and files no tickets; low scores and tickets
      // come from the accounts whose risk is still open (a saved one answered well enough).
      const departed = risk?.outcome === 'lost' && risk.closedAt !== null && weekEnd > risk.closedAt;
      const troubled = level < 0.8 && risk !== undefined && risk.closedAt === null;
      if (!departed && week % 6 === 3 && faker.datatype.boolean(troubled ? 0.8 : 0.4))
        batch.push({
          kind: 'nps',
          account: account.externalId,
          occurredAt: at(3),
          idempotencyKey: key('nps'),
          data: { score: troubled ? faker.number.int({ min: 1, max: 6 }) : base.nps },
        });
      if (troubled && faker.datatype.boolean(0.35))
        batch.push({
          kind: 'ticket',
          account: account.externalId,
          occurredAt: at(2),
          idempotencyKey: key('ticket'),
          data: {
            ticketId: `T-${account.externalId}-${weeks - week}`,
            action: 'opened',
            priority: faker.helpers.arrayElement(['normal', 'high', 'urgent'] as const),
            subject: faker.helpers.arrayElement(TICKET_SUBJECTS),
          },
        });
      if (risk && risk.closedAt === null && weekEnd >= risk.openedAt && faker.datatype.boolean(0.3))
        batch.push({
          kind: 'touchpoint',
          account: account.externalId,
          occurredAt: at(4),
          idempotencyKey: key('touchpoint'),
          data: {
            channel: faker.helpers.arrayElement(['call', 'meeting', 'email'] as const),
            reason: 'Risk',
            outcome: faker.helpers.arrayElement(['positive', 'neutral', 'negative'] as const),
          },
        });
    }
    const at = new Date(weekEnd);
    for (let start = 0; start < batch.length; start += 5000) {
      const chunk = batch.slice(start, start + 5000);
      await inTransaction(context, (db) =>
        writeSignals(
          db,
          SYSTEM_ACTOR,
          at,
          chunk.map((signal, index) => ({ ref: index, signal })),
          { source: 'demo' },
        ),
      );
    }
    signals += batch.length;
    const scored = await new HealthService({ store: context.store, clock: { now: () => at } }).score();
    scores += scored.scored;
  }
  return { signals, scores };
}

const TICKET_SUBJECTS = [
  'Reports load slowly',
  'Cannot export to CSV',
  'Billing question',
  'Login problems after SSO change',
  'Integration stopped syncing',
  'How do I add users?',
];

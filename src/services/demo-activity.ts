// The demo book's last weeks of activity: product usage, licence use, surveys, tickets and
// touchpoints that agree with each account's risk history, replayed week by week through the
// signal writer and the health scorer, so every account has a score history that explains itself.
// Healthy accounts hold steady; an account at risk declines from a few weeks before its case
// opened (steeply when the case is about product adoption, gently otherwise; most of those whose case
// is about engagement stop using it a week after); a saved one recovers after the save; a lost one
// drops to a few remaining users and then stops using the product. Each account reports its weekly
// usage on its own weekday, so the days since the last activity differ from account to account.
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
  /** Reason keys of the account's latest risk case, if it has one. */
  reasons?: readonly string[];
}

interface CaseTimes {
  openedAt: number;
  closedAt: number | null;
  outcome: 'recovered' | 'lost' | null;
}

const WEEK_MS = 7 * DAY_MS;
const DECLINE_LEAD_MS = 21 * DAY_MS;
/** The reason that shows in product use itself; other risks leave usage only somewhat lower. */
const USAGE_REASON = 'product_adoption';
/** A lost customer keeps a few users this long after the case closes, then stops. */
const WIND_DOWN_MS = 2 * WEEK_MS;
/** A disengaged customer's users stop logging in this long after the case opens. */
const DISENGAGE_MS = WEEK_MS;

/**
 * How active an account is at `at`, from 1 (its normal) towards 0, given its latest case; `steep`
 * for a risk that shows in product use (adoption, engagement, onboarding).
 */
export function activityLevel(at: number, risk: CaseTimes | undefined, steep = true): number {
  if (!risk || at < risk.openedAt - DECLINE_LEAD_MS) return 1;
  // Down to 45% when the case opens, then on down by 4% a week while it stays open; a risk that is
  // not about product use goes down to 82%, then by 1.5% a week.
  const bottom = steep ? 0.45 : 0.82;
  const weekly = steep ? 0.96 : 0.985;
  const declining = (until: number) =>
    until <= risk.openedAt
      ? 1 - ((1 - bottom) * (until - (risk.openedAt - DECLINE_LEAD_MS))) / DECLINE_LEAD_MS
      : bottom * Math.pow(weekly, (until - risk.openedAt) / WEEK_MS);
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
  // Each account's own normal: events a week, share of seats in use, the weekday its usage is
  // reported on, and whether its users have stopped logging in.
  const normal = new Map(
    accounts.map((account) => [
      account.id,
      {
        events: Math.round(account.seats * faker.number.float({ min: 8, max: 30 })),
        use: faker.number.float({ min: 0.6, max: 0.95 }),
        nps: faker.number.int({ min: 7, max: 10 }),
        weekday: faker.number.int({ min: 0, max: 6 }),
        reasons: new Set(account.reasons ?? []),
        // Of the accounts whose case is about engagement, most have stopped using the product.
        disengaged: (account.reasons ?? []).includes('poor_engagement') && faker.datatype.boolean(0.7),
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
      const level = activityLevel(weekEnd, risk, base.reasons.has(USAGE_REASON));
      const noise = () => faker.number.float({ min: 0.96, max: 1.04 });
      const at = (daysBack: number) => new Date(weekEnd - daysBack * DAY_MS).toISOString();
      const key = (kind: string) => `demo-${kind}-${account.externalId}-${weeks - week}`;
      const seatsUsed = Math.max(1, Math.round(account.seats * base.use * level));
      const activeUsers = Math.max(1, Math.round(seatsUsed * noise()));
      const gone =
        risk?.outcome === 'lost' && risk.closedAt !== null && weekEnd > risk.closedAt + WIND_DOWN_MS;
      const silent =
        base.disengaged &&
        risk !== undefined &&
        risk.closedAt === null &&
        weekEnd > risk.openedAt + DISENGAGE_MS;
      if (!gone && !silent)
        batch.push({
          kind: 'usage',
          account: account.externalId,
          // Usage is reported weekly on the account's own weekday, so week-on-week trends compare like
          // with like.
          occurredAt: at(base.weekday),
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
          data: {
            // Users who stopped logging in no longer take up their seats.
            seatsUsed: silent ? Math.max(1, Math.round(seatsUsed * 0.5)) : Math.min(account.seats, seatsUsed),
            seatsPurchased: account.seats,
          },
        });
      // A customer who has left answers no surveys and files no tickets; low scores and tickets
      // come from the accounts whose risk is still open (a saved one answered well enough).
      const departed = risk?.outcome === 'lost' && risk.closedAt !== null && weekEnd > risk.closedAt;
      const troubled = level < 0.9 && risk !== undefined && risk.closedAt === null;
      // Detractor scores come from the accounts whose case is about the survey scores; other
      // troubled accounts mostly answer as passives, a few as detractors.
      const detractor = troubled && (base.reasons.has('poor_nps_csat') || faker.datatype.boolean(0.08));
      if (!departed && week % 6 === 3 && faker.datatype.boolean(troubled ? 0.8 : 0.4))
        batch.push({
          kind: 'nps',
          account: account.externalId,
          occurredAt: at(3),
          idempotencyKey: key('nps'),
          data: {
            score: detractor
              ? faker.number.int({ min: 1, max: 6 })
              : troubled
                ? faker.number.int({ min: 7, max: 8 })
                : base.nps,
          },
        });
      // A customer in financial trouble has an invoice unpaid since three weeks before the case.
      if (
        risk !== undefined &&
        risk.closedAt === null &&
        base.reasons.has('poor_financial_standing') &&
        weekEnd >= risk.openedAt &&
        weekEnd - WEEK_MS < risk.openedAt
      )
        batch.push({
          kind: 'invoice',
          account: account.externalId,
          occurredAt: new Date(risk.openedAt - 50 * DAY_MS).toISOString(),
          idempotencyKey: key('invoice'),
          data: {
            invoiceId: `INV-${account.externalId}`,
            amount: Math.round(account.seats * faker.number.int({ min: 300, max: 900 })),
            dueDate: new Date(risk.openedAt - 20 * DAY_MS).toISOString().slice(0, 10),
            paidDate: null,
          },
        });
      if (troubled && faker.datatype.boolean(base.reasons.has('support_issues') ? 0.6 : 0.2))
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

// A deterministic, realistic tech-touch demo book: a dozen CSMs in three teams, thousands of
// accounts with lognormal ARR, contacts with champions, and six months of risk-case history.
import { Faker, en } from '@faker-js/faker';
import type { Kysely } from 'kysely';
import type { AccountFields } from '../domain/account';
import { AppError } from '../domain/errors';
import { decideTrack, deriveLtv } from '../domain/matrix';
import { SYSTEM_ACTOR, type Actor, type Role } from '../domain/policy';
import { DAY_MS, type RiskStage } from '../domain/risk-lifecycle';
import { AccountRepository, type ContactFields } from '../store/account.repository';
import { AuditRepository, type NewAuditEntry } from '../store/audit.repository';
import { RiskCaseRepository } from '../store/risk-case.repository';
import type { Database } from '../store/schema';
import { UserRepository } from '../store/user.repository';
import { inTransaction } from './context';
import { replayDemoActivity } from './demo-activity';
import type { Services } from './index';
import { hashPassword } from './passwords';

export interface DemoOptions {
  accounts: number;
  seed: number;
  /** Password given to every demo user; generated when absent. */
  password?: string;
  /** Weeks of product, survey and support activity (and weekly health scores) before today. */
  activityWeeks?: number;
}

export interface DemoSummary {
  adminEmail: string;
  password: string;
  users: number;
  accounts: number;
  contacts: number;
  openCases: number;
  closedCases: number;
}

export const DEMO_ADMIN_EMAIL = 'admin@retain.demo';
const TEAMS = ['SMB East', 'SMB West', 'Mid-Market'];
const CSMS_PER_TEAM = 4;
const REGIONS = ['NA', 'EMEA', 'APAC', 'LATAM'];
const INDUSTRIES = [
  'Software',
  'Retail',
  'Healthcare',
  'Education',
  'Financial Services',
  'Manufacturing',
  'Media',
];
const LIFECYCLE = ['Onboarding', 'Adoption', 'Adoption', 'Expansion', 'Renewal'];
const CONTACT_ROLES = [
  'CEO',
  'COO',
  'Head of Operations',
  'IT Manager',
  'Team Lead',
  'Office Manager',
  'VP Sales',
];
const OPEN_SHARE = 0.08;
const CLOSED_SHARE = 0.06;
const HISTORY_DAYS = 182;
const DEMO_ACTIVITY_WEEKS = 12;

/** Fills an empty store with the demo book, all in one transaction. */
export async function generateDemoBook(services: Services, options: DemoOptions): Promise<DemoSummary> {
  const faker = new Faker({ locale: [en] });
  faker.seed(options.seed);
  const now = services.clock.now();
  const password = options.password ?? `demo-${faker.string.alphanumeric(12)}`;
  const passwordHash = await hashPassword(password);
  const [stages, reasons, settings] = await Promise.all([
    services.config.listStages(),
    services.config.listReasons(),
    services.config.settings(),
  ]);

  const { summary, book } = await inTransaction(services.context, async (db) => {
    const users = new UserRepository(db);
    if ((await users.countUsers()) > 0) {
      throw new AppError(
        'VALIDATION_FAILED',
        'The demo book goes into an empty store; this one has users already.',
      );
    }
    const audit = new AuditRepository(db);
    const teamIds = [];
    for (const name of TEAMS) teamIds.push(await users.insertTeam(name, now));
    const addUser = (email: string, name: string, role: Role, teamId: number | null) =>
      users.insertUser({ email, name, role, teamId, active: true }, passwordHash, now);
    await addUser(DEMO_ADMIN_EMAIL, 'Avery Admin', 'admin', null);
    await addUser('viewer@retain.demo', 'Vic Viewer', 'viewer', null);
    const csms: { id: number; teamId: number }[] = [];
    for (const [index, teamId] of teamIds.entries()) {
      const leadName = faker.person.fullName();
      await addUser(`lead${index + 1}@retain.demo`, leadName, 'lead', teamId);
      for (let n = 0; n < CSMS_PER_TEAM; n += 1) {
        const first = faker.person.firstName();
        const last = faker.person.lastName();
        const email = `csm${index * CSMS_PER_TEAM + n + 1}@retain.demo`;
        csms.push({ id: await addUser(email, `${first} ${last}`, 'csm', teamId), teamId });
      }
    }

    const accounts = new AccountRepository(db);
    const book: (AccountFields & { id: number })[] = [];
    let contactCount = 0;
    for (let start = 0; start < options.accounts; start += 1000) {
      const batch: AccountFields[] = [];
      for (let i = start; i < Math.min(options.accounts, start + 1000); i += 1) {
        const owner = faker.helpers.arrayElement(csms);
        const arr = Math.round(lognormal(faker, Math.log(9000), 0.95) / 10) * 10;
        batch.push({
          externalId: `ACC-${String(i + 1).padStart(6, '0')}`,
          name: faker.company.name(),
          ownerId: owner.id,
          teamId: owner.teamId,
          tier: arr >= 50_000 ? 'Enterprise' : arr >= 12_000 ? 'Growth' : 'Starter',
          arr,
          renewalDate: isoDay(new Date(now.getTime() + faker.number.int({ min: 1, max: 365 }) * DAY_MS)),
          lifecycleStage: faker.helpers.arrayElement(LIFECYCLE),
          attributes: {
            region: faker.helpers.weightedArrayElement([
              { value: REGIONS[0] ?? 'NA', weight: 5 },
              { value: REGIONS[1] ?? 'EMEA', weight: 3 },
              { value: REGIONS[2] ?? 'APAC', weight: 1.5 },
              { value: REGIONS[3] ?? 'LATAM', weight: 0.5 },
            ]),
            industry: faker.helpers.arrayElement(INDUSTRIES),
            seats: Math.max(3, Math.round(arr / faker.number.int({ min: 300, max: 900 }))),
          },
        });
      }
      const ids = await accounts.upsertMany(batch, now);
      const contacts: ContactFields[] = [];
      for (const fields of batch) {
        const id = ids.get(fields.externalId);
        if (id === undefined) throw new Error('demo account vanished after insert');
        book.push({ ...fields, id });
        const domain = faker.internet.domainName();
        const count = faker.number.int({ min: 1, max: 4 });
        const hasChampion = faker.datatype.boolean(0.8);
        for (let n = 0; n < count; n += 1) {
          const first = faker.person.firstName();
          const last = faker.person.lastName();
          contacts.push({
            accountId: id,
            email: `${first}.${last}${n}@${domain}`.toLowerCase().replace(/[^a-z0-9.@-]/g, ''),
            name: `${first} ${last}`,
            role: faker.helpers.arrayElement(CONTACT_ROLES),
            isChampion: hasChampion && n === 0,
            attributes: {},
          });
        }
      }
      await accounts.upsertContacts(contacts, ['name', 'role', 'isChampion', 'attributes'], now);
      contactCount += contacts.length;
    }

    const open = stages
      .filter((stage) => !stage.isEnd && stage.active)
      .sort((a, b) => a.position - b.position);
    const recovered = stages.find((stage) => stage.isEnd && stage.outcome === 'recovered');
    const lost = stages.find((stage) => stage.isEnd && stage.outcome === 'lost');
    if (open.length === 0 || !recovered || !lost)
      throw new Error('the demo needs open, recovered and lost stages');
    const shuffled = faker.helpers.shuffle(book);
    const openCount = Math.round(book.length * OPEN_SHARE);
    const closedCount = Math.round(book.length * CLOSED_SHARE);
    const entries: DatedAuditEntry[] = [];
    for (const [index, account] of shuffled.slice(0, openCount + closedCount).entries()) {
      const closing = index >= openCount ? (faker.datatype.boolean(0.6) ? recovered : lost) : null;
      entries.push(
        ...(await writeCase(db, faker, {
          account,
          closing,
          open,
          reasonIds: faker.helpers
            .arrayElements(reasons, { min: 1, max: 3 })
            .map((reason) => ({ id: reason.id, key: reason.key })),
          owner: account.ownerId,
          now,
          expectedLifetimeYears: settings.expectedLifetimeYears,
          digitalLtvThreshold: settings.digitalLtvThreshold,
        })),
      );
    }
    await audit.appendDated(entries);
    const summary: DemoSummary = {
      adminEmail: DEMO_ADMIN_EMAIL,
      password,
      users: 2 + TEAMS.length * (CSMS_PER_TEAM + 1),
      accounts: book.length,
      contacts: contactCount,
      openCases: openCount,
      closedCases: closedCount,
    };
    return { summary, book };
  });
  const weeks = options.activityWeeks ?? DEMO_ACTIVITY_WEEKS;
  if (weeks > 0)
    await replayDemoActivity(
      services.context,
      faker,
      book.map((account) => ({
        id: account.id,
        externalId: account.externalId,
        seats: typeof account.attributes.seats === 'number' ? account.attributes.seats : 10,
      })),
      weeks,
    );
  return summary;
}

type DatedAuditEntry = NewAuditEntry & { at: Date; actor: Actor };

interface CaseSpec {
  account: AccountFields & { id: number };
  closing: RiskStage | null;
  open: RiskStage[];
  reasonIds: { id: number; key: string }[];
  owner: number | null;
  now: Date;
  expectedLifetimeYears: number;
  digitalLtvThreshold: number;
}

/** Writes one case with a plausible stage path, weekly updates and audit entries. */
async function writeCase(db: Kysely<Database>, faker: Faker, spec: CaseSpec): Promise<DatedAuditEntry[]> {
  const { account, closing, open, now } = spec;
  const cases = new RiskCaseRepository(db);
  const ageDays = closing
    ? faker.number.int({ min: 20, max: HISTORY_DAYS })
    : faker.number.int({ min: 1, max: 120 });
  const openedAt = new Date(now.getTime() - ageDays * DAY_MS - faker.number.int({ min: 0, max: DAY_MS - 1 }));
  const endAt = closing
    ? new Date(
        openedAt.getTime() +
          faker.number.float({ min: 0.4, max: 0.95 }) * (now.getTime() - openedAt.getTime()),
      )
    : now;
  const pathLength = closing
    ? faker.number.int({ min: 1, max: open.length })
    : faker.number.int({ min: 1, max: open.length });
  const path = open.slice(0, pathLength);
  const span = endAt.getTime() - openedAt.getTime();
  const times = path.map((_, i) =>
    i === 0 ? openedAt : new Date(openedAt.getTime() + (span * i) / (path.length + (closing ? 0 : 0.5))),
  );
  const expected = faker.helpers.arrayElement([true, false, false, null]);
  const avoidable = expected === null ? null : faker.helpers.arrayElement([true, true, false]);
  const arrAtRisk = account.arr;
  const ltv = deriveLtv(arrAtRisk, spec.expectedLifetimeYears);
  const { track } = decideTrack({ expected, avoidable, ltv }, spec.digitalLtvThreshold);
  const actor: Actor = { ...SYSTEM_ACTOR, userId: spec.owner, role: 'csm', label: 'demo' };
  const last = path[path.length - 1] ?? open[0];
  if (!last) throw new Error('no open stage');
  const finalStage = closing ?? last;
  const finalAt = closing ? endAt : (times[times.length - 1] ?? openedAt);
  const openMs = (closing ? endAt : finalAt).getTime() - openedAt.getTime();

  const updates: Date[] = [];
  const stopUpdates =
    !closing && faker.datatype.boolean(0.3)
      ? new Date(now.getTime() - faker.number.int({ min: 9, max: 30 }) * DAY_MS)
      : endAt;
  for (
    let at = openedAt.getTime() + faker.number.int({ min: 2, max: 7 }) * DAY_MS;
    at < Math.min(stopUpdates.getTime(), now.getTime());
    at += faker.number.int({ min: 5, max: 9 }) * DAY_MS
  ) {
    updates.push(new Date(at));
  }

  const caseId = await cases.insert(
    {
      accountId: account.id,
      stageId: finalStage.id,
      stageEnteredAt: finalAt.toISOString(),
      openMsBeforeStage: closing ? openMs : finalAt.getTime() - openedAt.getTime(),
      openedAt: openedAt.toISOString(),
      openedByUserId: spec.owner,
      source: 'manual',
      expected,
      avoidable,
      arrAtRisk,
      ltv,
      ltvGiven: false,
      track,
      closedAt: closing ? endAt.toISOString() : null,
      outcome: closing?.outcome ?? null,
      lastUpdateAt: updates.length > 0 ? (updates[updates.length - 1]?.toISOString() ?? null) : null,
    },
    openedAt,
  );
  await cases.addReasons(
    caseId,
    spec.reasonIds.map((reason) => reason.id),
    openedAt,
    spec.owner,
  );
  const audit: DatedAuditEntry[] = [
    {
      at: openedAt,
      actor,
      entityType: 'risk_case',
      entityId: caseId,
      accountId: account.id,
      action: 'opened',
      changes: {
        stage: path[0]?.key,
        reasons: spec.reasonIds.map((reason) => reason.key),
        arrAtRisk,
        ltv,
        track,
      },
    },
  ];
  let previous: RiskStage | null = null;
  const moves: { stage: RiskStage; at: Date }[] = path.map((stage, i) => ({
    stage,
    at: times[i] ?? openedAt,
  }));
  if (closing) moves.push({ stage: closing, at: endAt });
  for (const move of moves) {
    await cases.appendStageHistory(
      caseId,
      { fromStageId: previous?.id ?? null, toStageId: move.stage.id, at: move.at, byUserId: spec.owner },
      null,
    );
    if (previous) {
      audit.push({
        at: move.at,
        actor,
        entityType: 'risk_case',
        entityId: caseId,
        accountId: account.id,
        action: move.stage.isEnd ? 'closed' : 'stage_changed',
        changes: { stage: { from: previous.key, to: move.stage.key } },
      });
    }
    previous = move.stage;
  }
  for (const at of updates) {
    const update = {
      background: `${account.name} flagged for ${spec.reasonIds.map((reason) => reason.key.replace(/_/g, ' ')).join(', ')}.`,
      doneSoFar: faker.helpers.arrayElement([
        'Held a call with the champion and reviewed usage.',
        'Sent an adoption plan and training invites.',
        'Escalated open tickets to support leadership.',
        'Met the new decision maker; shared the ROI summary.',
      ]),
      nextSteps: faker.helpers.arrayElement([
        'Follow up on the training sessions next week.',
        'Executive sponsor call before renewal.',
        'Confirm the fix ships and check usage again.',
        'Agree a success plan with clear milestones.',
      ]),
    };
    await cases.insertUpdate(caseId, update, spec.owner, at);
    audit.push({
      at,
      actor,
      entityType: 'risk_case',
      entityId: caseId,
      accountId: account.id,
      action: 'weekly_update',
      changes: update,
    });
  }
  return audit.sort((a, b) => a.at.getTime() - b.at.getTime());
}

function lognormal(faker: Faker, mu: number, sigma: number): number {
  const u1 = faker.number.float({ min: Number.EPSILON, max: 1 });
  const u2 = faker.number.float({ min: 0, max: 1 });
  const normal = Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
  return Math.exp(mu + sigma * normal);
}

const isoDay = (date: Date) => date.toISOString().slice(0, 10);

// A deterministic, realistic tech-touch demo book: a dozen CSMs in three teams, thousands of
// accounts with lognormal ARR, contacts with champions, and six months of risk-case history.
import { Faker, en } from '@faker-js/faker';
import type { Kysely } from 'kysely';
import type { AccountFields } from '../domain/account';
import { AppError } from '../domain/errors';
import { decideTrack } from '../domain/matrix';
import { SYSTEM_ACTOR, type Actor, type Role } from '../domain/policy';
import { DAY_MS, type RiskStage } from '../domain/risk-lifecycle';
import { AccountRepository, type ContactFields } from '../store/account.repository';
import { AuditRepository, type NewAuditEntry } from '../store/audit.repository';
import { RiskCaseRepository } from '../store/risk-case.repository';
import type { Database } from '../store/schema';
import { UserRepository } from '../store/user.repository';
import { inTransaction } from './context';
import { replayDemoActivity } from './demo-activity';
import { replayDemoPlays } from './demo-plays';
import { writeUpdate, type UpdateText } from './demo-updates';
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
/** The oldest open case opened this many days ago; the plays have run since. */
const OPEN_CASE_MAX_DAYS = 120;

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

  const { summary, book, caseReasons, opened, openStageKeys } = await inTransaction(
    services.context,
    async (db) => {
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
      const contactOf = new Map<number, { name: string; role: string }>();
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
              customerSince: isoDay(
                new Date(now.getTime() - faker.number.int({ min: 60, max: 8 * 365 }) * DAY_MS),
              ),
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
            const role = faker.helpers.arrayElement(CONTACT_ROLES);
            if (n === 0) contactOf.set(id, { name: `${first} ${last}`, role });
            contacts.push({
              accountId: id,
              email: `${first}.${last}${n}@${domain}`.toLowerCase().replace(/[^a-z0-9.@-]/g, ''),
              name: `${first} ${last}`,
              role,
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
      const caseReasons = new Map<number, string[]>();
      const opened: OpenedCase[] = [];
      for (const [index, account] of shuffled.slice(0, openCount + closedCount).entries()) {
        const closing = index >= openCount ? (faker.datatype.boolean(0.6) ? recovered : lost) : null;
        // Most risks have one clear reason, some two or three.
        const picked = faker.helpers.arrayElements(reasons, {
          min: 1,
          max: faker.helpers.weightedArrayElement([
            { value: 1, weight: 5 },
            { value: 2, weight: 3 },
            { value: 3, weight: 2 },
          ]),
        });
        caseReasons.set(
          account.id,
          picked.map((reason) => reason.key),
        );
        const written = await writeCase(db, faker, {
          account,
          closing,
          open,
          reasonIds: picked.map((reason) => ({ id: reason.id, key: reason.key, name: reason.name })),
          contact: contactOf.get(account.id) ?? null,
          owner: account.ownerId,
          now,
          expectedLifetimeYears: settings.expectedLifetimeYears,
          digitalLtvThreshold: settings.digitalLtvThreshold,
        });
        entries.push(...written.audit);
        if (!closing) opened.push(written.opened);
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
      return { summary, book, caseReasons, opened, openStageKeys: open.map((stage) => stage.key) };
    },
  );
  const weeks = options.activityWeeks ?? DEMO_ACTIVITY_WEEKS;
  if (weeks > 0)
    await replayDemoActivity(
      services.context,
      faker,
      book.map((account) => ({
        id: account.id,
        externalId: account.externalId,
        seats: typeof account.attributes.seats === 'number' ? account.attributes.seats : 10,
        reasons: caseReasons.get(account.id) ?? [],
      })),
      weeks,
    );
  if (weeks > 0) await replayDemoPlays(services, opened, openStageKeys, OPEN_CASE_MAX_DAYS + 1);
  // The seeded segments' members, counted as of today, as the daily run would.
  await services.segments.refresh();
  return summary;
}

type DatedAuditEntry = NewAuditEntry & { at: Date; actor: Actor };

/** An open case of the book, for the plays that start on it. */
export interface OpenedCase {
  caseId: number;
  accountId: number;
  openedAt: Date;
  reasons: string[];
  /** The stages it went through, in order (a prefix of the open stages), and when. */
  moves: { stage: string; at: Date }[];
}

interface CaseSpec {
  account: AccountFields & { id: number };
  closing: RiskStage | null;
  open: RiskStage[];
  reasonIds: { id: number; key: string; name: string }[];
  contact: { name: string; role: string } | null;
  owner: number | null;
  now: Date;
  expectedLifetimeYears: number;
  digitalLtvThreshold: number;
}

/** Writes one case with a plausible stage path, weekly updates and audit entries. */
async function writeCase(
  db: Kysely<Database>,
  faker: Faker,
  spec: CaseSpec,
): Promise<{ audit: DatedAuditEntry[]; opened: OpenedCase }> {
  const { account, closing, open, now } = spec;
  const cases = new RiskCaseRepository(db);
  const ageDays = closing
    ? faker.number.int({ min: 20, max: HISTORY_DAYS })
    : faker.number.int({ min: 1, max: OPEN_CASE_MAX_DAYS });
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
  const ltv = estimateLtv(faker, spec.account, spec.expectedLifetimeYears, spec.now);
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
      // The demo's CSMs estimated each LTV from the account's figures, so it is a given value.
      ltvGiven: true,
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
  let previousUpdate: UpdateText | null = null;
  for (const at of updates) {
    const stageThen = moves.filter((move) => move.at.getTime() <= at.getTime()).pop()?.stage ?? last;
    const update = writeUpdate(
      faker,
      {
        accountName: account.name,
        reasons: spec.reasonIds.map((reason) => reason.key),
        reasonNames: spec.reasonIds.map((reason) => reason.name),
        stage: stageThen.isEnd ? last.key : stageThen.key,
        contact: spec.contact,
        arr: account.arr,
        renewalDate: account.renewalDate ?? null,
        week: Math.floor((at.getTime() - openedAt.getTime()) / (7 * DAY_MS)) + 1,
      },
      previousUpdate,
    );
    previousUpdate = update;
    await cases.insertUpdate(caseId, update, spec.owner, at);
    audit.push({
      at,
      actor,
      entityType: 'risk_case',
      entityId: caseId,
      accountId: account.id,
      action: 'weekly_update',
      changes: { ...update },
    });
  }
  return {
    audit: audit.sort((a, b) => a.at.getTime() - b.at.getTime()),
    opened: {
      caseId,
      accountId: account.id,
      openedAt,
      reasons: spec.reasonIds.map((reason) => reason.key),
      moves: moves.map((move) => ({ stage: move.stage.key, at: move.at })),
    },
  };
}

/** Lifetime value the way a CSM estimates it: ARR over the years the customer is likely to stay. */
export function estimateLtv(
  faker: Faker,
  account: AccountFields,
  expectedLifetimeYears: number,
  now: Date,
): number {
  const since = account.attributes.customerSince;
  const tenureYears =
    typeof since === 'string' ? Math.max(0, (now.getTime() - Date.parse(since)) / (365 * DAY_MS)) : 1;
  // Customers who have stayed longer tend to stay longer; bigger plans are stickier.
  const tenure = 0.8 + 0.1 * Math.min(tenureYears, 5);
  const tier = account.tier === 'Enterprise' ? 1.25 : account.tier === 'Growth' ? 1.05 : 0.85;
  // Room to grow: accounts in expansion and those with many seats are worth more than their ARR.
  const seats = typeof account.attributes.seats === 'number' ? account.attributes.seats : 10;
  const expansion =
    1 +
    (account.lifecycleStage === 'Expansion' ? 0.25 : 0) +
    Math.min(0.2, Math.log10(Math.max(1, seats)) / 10);
  const noise = Math.exp(faker.number.float({ min: -0.2, max: 0.2 }));
  const multiple = Math.min(7.5, Math.max(1.6, expectedLifetimeYears * tenure * tier * expansion * noise));
  return Math.round(account.arr * multiple);
}

function lognormal(faker: Faker, mu: number, sigma: number): number {
  const u1 = faker.number.float({ min: Number.EPSILON, max: 1 });
  const u2 = faker.number.float({ min: 0, max: 1 });
  const normal = Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
  return Math.exp(mu + sigma * normal);
}

const isoDay = (date: Date) => date.toISOString().slice(0, 10);

// Team huddles: for each CSM of a team, their top five open cases by priority, each with its last
// weekly update and what changed since the team's last huddle (two weeks back when there was none).
import { AppError } from '../domain/errors';
import { DEFAULT_HUDDLE_INTERVAL_DAYS, describeChange, HUDDLE_CASES_PER_CSM } from '../domain/huddle';
import type { WeeklyUpdate } from '../domain/risk-case';
import { assertCan, type Actor } from '../domain/policy';
import { AuditRepository } from '../store/audit.repository';
import { RiskCaseRepository } from '../store/risk-case.repository';
import type { ServiceContext } from './context';
import type { RiskCaseService, RiskCaseView } from './risk-cases';
import type { UserService } from './users';

export interface HuddleCase {
  case: RiskCaseView;
  lastUpdate: WeeklyUpdate | null;
  /** What happened on the case since the last huddle, oldest first, in words. */
  changes: string[];
  /** Opened since the last huddle. */
  isNew: boolean;
}

export interface HuddleCsm {
  userId: number;
  name: string;
  email: string;
  openCases: number;
  cases: HuddleCase[];
}

export interface Huddle {
  teamId: number;
  teamName: string;
  /** The last huddle of the team, or two weeks back. */
  since: string;
  lastHeldAt: string | null;
  csms: HuddleCsm[];
}

export class HuddleService {
  constructor(
    private readonly context: ServiceContext,
    private readonly riskCases: RiskCaseService,
    private readonly users: UserService,
  ) {}

  private async lastHeld(teamId: number): Promise<string | null> {
    const row = await this.context.store.db
      .selectFrom('huddles')
      .select('held_at')
      .where('team_id', '=', teamId)
      .orderBy('held_at', 'desc')
      .limit(1)
      .executeTakeFirst();
    return row?.held_at ?? null;
  }

  /** The huddle list of one team: each CSM's top five, what changed since the last huddle. */
  async huddle(teamId: number): Promise<Huddle> {
    const team = await this.users.getTeam(teamId);
    const now = this.context.clock.now();
    const lastHeldAt = await this.lastHeld(teamId);
    const since =
      lastHeldAt ?? new Date(now.getTime() - DEFAULT_HUDDLE_INTERVAL_DAYS * 86_400_000).toISOString();
    const members = (await this.users.listUsers())
      .filter(
        (user) => user.teamId === teamId && user.active && (user.role === 'csm' || user.role === 'lead'),
      )
      .sort((a, b) => a.name.localeCompare(b.name) || a.email.localeCompare(b.email));
    const audit = new AuditRepository(this.context.store.db);
    const cases = new RiskCaseRepository(this.context.store.db);
    const csms: HuddleCsm[] = [];
    for (const user of members) {
      const worklist = await this.riskCases.worklist({
        status: 'open',
        ownerId: user.id,
        sort: 'priority',
        limit: HUDDLE_CASES_PER_CSM,
      });
      if (user.role === 'lead' && worklist.total === 0) continue;
      const top: HuddleCase[] = [];
      for (const view of worklist.items) {
        const [lastUpdate] = await cases.updatesOf(view.id, 1);
        const trail = await audit.historyOfEntity('risk_case', view.id);
        const recent = trail.filter((entry) => entry.at > since).sort((a, b) => (a.at < b.at ? -1 : 1));
        top.push({
          case: view,
          lastUpdate: lastUpdate ?? null,
          changes: recent.map(describeChange),
          isNew: view.openedAt > since,
        });
      }
      csms.push({
        userId: user.id,
        name: user.name,
        email: user.email,
        openCases: worklist.total,
        cases: top,
      });
    }
    return { teamId, teamName: team.name, since, lastHeldAt, csms };
  }

  /** Records that the team held its huddle now: the next one shows changes from here. */
  async markHeld(actor: Actor, teamId: number): Promise<{ teamId: number; heldAt: string }> {
    await this.users.getTeam(teamId);
    assertCan(actor, 'segments.write');
    if (actor.role === 'lead' && actor.teamId !== teamId)
      throw new AppError('FORBIDDEN', 'A team lead records huddles of their own team.', { teamId });
    const heldAt = this.context.clock.now().toISOString();
    await this.context.store.db
      .insertInto('huddles')
      .values({ team_id: teamId, held_at: heldAt, held_by_user_id: actor.userId })
      .execute();
    return { teamId, heldAt };
  }
}

// A tiny book every store test can start from: two teams, one user per role, a handful of accounts,
// and one risk case in each stage, built through the services so history is real.
import type { Account } from '../../src/domain/account';
import { SYSTEM_ACTOR, type Actor } from '../../src/domain/policy';
import type { User } from '../../src/domain/user';
import { actorOf } from '../../src/services/auth';
import type { TestStore } from './stores';

export const PASSWORD = 'correct-horse-battery';

export interface TinyBook {
  users: Record<'admin' | 'leadA' | 'csmA' | 'csmA2' | 'csmB' | 'viewer', User>;
  actors: Record<'admin' | 'leadA' | 'csmA' | 'csmA2' | 'csmB' | 'viewer', Actor>;
  teams: { a: number; b: number };
  accounts: Account[];
  /** Case id per stage key, for the five seeded stages. */
  cases: Record<string, number>;
}

export async function buildTinyBook(t: TestStore, options: { cases?: boolean } = {}): Promise<TinyBook> {
  const { services, clock } = t;
  const a = (await services.users.createTeam(SYSTEM_ACTOR, 'Team A')).id;
  const b = (await services.users.createTeam(SYSTEM_ACTOR, 'Team B')).id;
  const user = (email: string, role: User['role'], teamId: number | null) =>
    services.users.create(SYSTEM_ACTOR, {
      email,
      name: email.split('@')[0] ?? email,
      role,
      teamId,
      password: PASSWORD,
    });
  const users = {
    admin: await user('admin@example.com', 'admin', null),
    leadA: await user('lead.a@example.com', 'lead', a),
    csmA: await user('csm.a@example.com', 'csm', a),
    csmA2: await user('csm.a2@example.com', 'csm', a),
    csmB: await user('csm.b@example.com', 'csm', b),
    viewer: await user('viewer@example.com', 'viewer', null),
  };
  const actors = {
    admin: actorOf(users.admin),
    leadA: actorOf(users.leadA),
    csmA: actorOf(users.csmA),
    csmA2: actorOf(users.csmA2),
    csmB: actorOf(users.csmB),
    viewer: actorOf(users.viewer),
  };
  const specs = [
    { externalId: 'A-1', name: 'Acme Analytics', owner: users.csmA, arr: 48_000 },
    { externalId: 'A-2', name: 'Birch Bakery', owner: users.csmA, arr: 3_000 },
    { externalId: 'A-3', name: 'Cobalt Clinics', owner: users.csmA2, arr: 120_000 },
    { externalId: 'B-1', name: 'Delta Dental', owner: users.csmB, arr: 15_000 },
    { externalId: 'B-2', name: 'Echo Education', owner: users.csmB, arr: 9_000 },
    { externalId: 'B-3', name: 'Fjord Freight', owner: users.csmB, arr: 60_000 },
  ];
  const accounts: Account[] = [];
  for (const spec of specs) {
    accounts.push(
      await services.accounts.create(SYSTEM_ACTOR, {
        externalId: spec.externalId,
        name: spec.name,
        ownerId: spec.owner.id,
        teamId: spec.owner.teamId,
        tier: spec.arr >= 50_000 ? 'Enterprise' : 'Growth',
        arr: spec.arr,
        renewalDate: '2026-09-30',
        attributes: { region: spec.externalId.startsWith('A') ? 'EMEA' : 'NA' },
      }),
    );
  }
  const cases: Record<string, number> = {};
  if (options.cases ?? true) {
    const path: [number, string[]][] = [
      [0, []],
      [1, ['plan_in_place']],
      [2, ['plan_in_place', 'saving']],
      [3, ['plan_in_place', 'saving', 'closed_recovered']],
      [4, ['closed_lost']],
    ];
    for (const [index, stages] of path) {
      const account = accounts[index];
      if (!account) throw new Error('tiny book is missing an account');
      const opened = await services.riskCases.open(SYSTEM_ACTOR, {
        accountId: account.id,
        reasons: ['product_adoption'],
      });
      for (const stage of stages) {
        clock.advanceDays(2);
        await services.riskCases.moveStage(SYSTEM_ACTOR, opened.id, { stage });
      }
      cases[stages[stages.length - 1] ?? 'at_risk'] = opened.id;
    }
  }
  return { users, actors, teams: { a, b }, accounts, cases };
}

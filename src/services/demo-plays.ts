// The demo book's plays: an admin turned on the seeded plays that fit a tech-touch book months ago
// (the ones a CSM works, for cases on the human track, and the digital licence nudge, which calls
// only when the nudge did not help, for cases on the digital track), and the play runner has worked through the book's cases since. The history is
// replayed day by day through the real play runner: each case's events are recorded when it opened,
// the runner ticks at the end of each day and creates the tasks, and the CSMs complete them as the work
// happens: a task that offers to move the case on is done when the case moved there (and stays open,
// often overdue, while it has not), a task to confirm a save stays open while the case does, and the
// others are done within days of their due date, a few not at all.
import type { PlayEvent } from '../domain/playbook';
import type { Actor } from '../domain/policy';
import { DAY_MS } from '../domain/risk-lifecycle';
import { createPlayRunner } from '../jobs/play-runner';
import { PlayRepository } from '../store/play.repository';
import { inTransaction } from './context';
import type { Mailer } from './messaging';
import type { OpenedCase } from './demo';
import { createServices, type Services } from './index';

/** The seeded plays the demo turns on, each for the cases it suits. */
const DEMO_PLAYS: { key: string; conditions?: string }[] = [
  { key: 'champion_loss', conditions: 'risk.track = "human"' },
  { key: 'business_change_event', conditions: 'risk.track = "human"' },
  { key: 'competitive_threat', conditions: 'risk.track = "human"' },
  { key: 'high_support_tickets', conditions: 'risk.track = "human"' },
  { key: 'past_due_45_90', conditions: 'risk.track = "human"' },
  { key: 'low_nps_csat', conditions: 'risk.track = "human"' },
  { key: 'licence_utilisation_drop', conditions: 'risk.track = "digital"' },
];

/** Takes the replayed history's e-mails as delivered. */
const PAST_MAIL: Mailer = { send: () => Promise.resolve() };

/** The detection rule behind each reason the demo's cases were flagged for, where there is one. */
const RULE_OF_REASON: Record<string, string> = {
  support_issues: 'ticket_spike',
  poor_financial_standing: 'payment_past_due',
  business_change: 'business_event',
  product_functionality: 'competitor_mention',
  product_adoption: 'licence_drop',
  // Users who stopped logging in leave their seats unused too (see the demo's licence signals).
  poor_engagement: 'licence_drop',
};

/** Share of tasks without a stage to reach that get done (the others linger in the inbox). */
const DONE_SHARE = 0.7;

/**
 * Turns the demo's plays on `days` ago and replays the cases opened since through the play runner,
 * one day at a time, with the CSMs completing tasks as they go.
 */
export async function replayDemoPlays(
  services: Services,
  opened: readonly OpenedCase[],
  openStages: readonly string[],
  days: number,
): Promise<{ tasks: number; done: number }> {
  const now = services.clock.now().getTime();
  const start = now - days * DAY_MS;
  let at = new Date(start);
  const history = createServices(services.store, { now: () => at });
  const users = await history.users.listUsers();
  const admin = users.find((user) => user.role === 'admin' && user.active);
  if (!admin) throw new Error('the demo book has an admin');
  const adminActor: Actor = { userId: admin.id, role: 'admin', teamId: null, label: admin.email };
  const actors = new Map<number, Actor>(
    users.map((user) => [
      user.id,
      { userId: user.id, role: user.role, teamId: user.teamId ?? null, label: user.email },
    ]),
  );
  for (const { key, conditions } of DEMO_PLAYS) {
    const play = await history.playbooks.get(key, adminActor);
    await history.playbooks.update(adminActor, key, {
      active: true,
      definition: conditions === undefined ? play.definition : { ...play.definition, conditions },
      version: play.version,
    });
  }

  // The book's past e-mails went out when they were due: the replay records them as sent, without
  // a mail server (the demo has none), rather than as thousands of failed deliveries.
  const runner = createPlayRunner(history, { owner: 'demo', mailer: PAST_MAIL });
  const pending = [...opened]
    .filter((found) => found.openedAt.getTime() > start)
    .sort((a, b) => a.openedAt.getTime() - b.openedAt.getTime());
  let next = 0;
  let done = 0;
  const movesOf = new Map(opened.map((found) => [found.caseId, found.moves]));
  // When each task gets done, decided when it is first seen; null while the work is still to do.
  const plans = new Map<number, number | null>();
  const planFor = (task: OpenTask) => {
    const created = Date.parse(task.created_at);
    const dueDays = Math.max(1, Math.round((Date.parse(task.due_at) - created) / DAY_MS));
    const actions = parseActions(task.actions);
    if (actions.some((action) => action.kind === 'close')) return null;
    const target = actions.find((action) => action.kind === 'set_stage')?.stage;
    const moves = task.case_id === null ? undefined : movesOf.get(task.case_id);
    if (target !== undefined && moves) {
      const from = openStages.indexOf(target);
      const reached = moves.find((move, i) => i >= from && from >= 0);
      if (!reached) return null;
      return Math.max(reached.at.getTime(), created) + Math.floor(chance(task, 'lag') * 2 * DAY_MS);
    }
    return chance(task, 'done') < DONE_SHARE
      ? created + (1 + Math.floor(chance(task, 'lag') * (dueDays + 4))) * DAY_MS
      : null;
  };
  const db = services.store.db;
  for (let day = 1; day <= days; day += 1) {
    at = new Date(day === days ? now : start + day * DAY_MS);
    // The cases opened during the day, with the events their opening recorded.
    while (next < pending.length && (pending[next]?.openedAt.getTime() ?? Infinity) <= at.getTime()) {
      const found = pending[next];
      next += 1;
      if (!found) continue;
      const events: PlayEvent[] = [
        {
          kind: 'case_opened',
          accountId: found.accountId,
          caseId: found.caseId,
          reasons: found.reasons,
          source: 'manual',
        },
        ...found.reasons.map((reason) => ({
          kind: 'reason_added' as const,
          accountId: found.accountId,
          caseId: found.caseId,
          reason,
        })),
        ...found.reasons.flatMap((reason) => {
          const rule = RULE_OF_REASON[reason];
          return rule
            ? [{ kind: 'signal_rule_fired' as const, accountId: found.accountId, caseId: found.caseId, rule }]
            : [];
        }),
      ];
      await inTransaction(history.context, (tx) =>
        new PlayRepository(tx).recordEvents(events, found.openedAt),
      );
    }
    // The runner works through the book every third day (and on the last).
    if (day % 3 === 0 || day === days) await runner.tick();
    // The day's work in the inbox: most tasks get done, some after their due date.
    const open = await db
      .selectFrom('tasks')
      .select(['id', 'assignee_id', 'account_id', 'title', 'case_id', 'actions', 'due_at', 'created_at'])
      .where('status', '=', 'open')
      .orderBy('id')
      .execute();
    // Each person works their inbox oldest first: the newest task they were given is still waiting.
    const newest = new Map<number, string>();
    for (const task of open)
      if (task.assignee_id !== null && (newest.get(task.assignee_id) ?? '') < task.created_at)
        newest.set(task.assignee_id, task.created_at);
    for (const task of open) {
      if (!plans.has(task.id)) plans.set(task.id, planFor(task));
      const when = plans.get(task.id);
      if (when === undefined || when === null || when > at.getTime() || task.assignee_id === null) continue;
      if (newest.get(task.assignee_id) === task.created_at) continue;
      const actor = actors.get(task.assignee_id);
      if (!actor) continue;
      await history.tasks.complete(actor, task.id, {});
      done += 1;
    }
  }
  const created = await db
    .selectFrom('tasks')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow();
  return { tasks: Number(created.n), done };
}

interface OpenTask {
  account_id: number;
  title: string;
  case_id: number | null;
  actions: string;
  created_at: string;
  due_at: string;
}

/**
 * A number in [0, 1) fixed by the task itself (its account and title), so the same book gets the same
 * inbox whatever order a store hands the tasks back in.
 */
function chance(task: OpenTask, salt: string): number {
  let hash = 2166136261;
  for (const char of `${salt}:${task.account_id}:${task.title}`) {
    hash ^= char.charCodeAt(0);
    hash = Math.imul(hash, 16777619);
  }
  return (hash >>> 0) / 4294967296;
}

function parseActions(json: string): { kind: string; stage?: string }[] {
  const value: unknown = JSON.parse(json);
  if (!Array.isArray(value)) return [];
  return value.flatMap((item: unknown) => {
    if (typeof item !== 'object' || item === null || !('kind' in item) || typeof item.kind !== 'string')
      return [];
    const stage = 'stage' in item && typeof item.stage === 'string' ? item.stage : undefined;
    return [{ kind: item.kind, ...(stage !== undefined && { stage }) }];
  });
}

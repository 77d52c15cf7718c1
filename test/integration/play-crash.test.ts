// A worker killed with SIGKILL at each dangerous point of a run (inside a task step's transaction,
// after a case action before its bookkeeping, after an email left before it was marked sent) and
// restarted: no duplicate email, webhook call, task or case change, and the run completes.
import { expect, it } from 'vitest';
import { SYSTEM_ACTOR } from '../../src/domain/policy';
import { PlayRepository } from '../../src/store/play.repository';
import { buildTinyBook } from '../helpers/book';
import { retain } from '../helpers/cli';
import { allowLocalSinks } from '../helpers/sinks';
import { useSinks } from '../helpers/use-sinks';
import { forEachStore } from '../helpers/stores';

const sinks = useSinks();

forEachStore('a play run survives its worker being killed', (current) => {
  it('kills `retain worker` at three points and restarts it: everything happens exactly once', async () => {
    const t = current();
    const book = await buildTinyBook(t, { cases: false });
    const birch = book.accounts[1];
    if (!birch) throw new Error('no account');
    for (const [email, name] of [
      ['ana@birch.example', 'Ana'],
      ['ben@birch.example', 'Ben'],
    ] as const)
      await t.services.accounts.addContact(SYSTEM_ACTOR, birch.id, { email, name });
    await allowLocalSinks(t.services);
    const play = await t.services.playbooks.create(SYSTEM_ACTOR, {
      name: 'Crash course',
      definition: {
        trigger: { kind: 'case_opened' },
        steps: [
          {
            kind: 'email',
            to: 'contacts',
            subject: 'Checking in, {{contact.name}}',
            body: 'Hello {{contact.name}}',
          },
          { kind: 'webhook', url: sinks.hooks().url, text: 'Save attempt for {{account.name}}' },
          { kind: 'task', title: 'Call {{account.name}}', dueInDays: 2, assignee: { kind: 'account_owner' } },
          { kind: 'action', action: { kind: 'set_stage', stage: 'saving' } },
        ],
      },
    });
    await t.services.playbooks.update(SYSTEM_ACTOR, play.id, { active: true, version: play.version });
    const opened = await t.services.riskCases.open(SYSTEM_ACTOR, {
      accountId: birch.id,
      reasons: ['poor_engagement'],
    });

    // Each restart comes 10 minutes later, after the dead worker's 5-minute lease has run out.
    const worker = (minute: number, failpoint?: string) =>
      retain(['worker', '--once', '--db', t.target], {
        RETAIN_NOW: `2026-06-01T12:${String(minute).padStart(2, '0')}:00.000Z`,
        SMTP_URL: sinks.smtp().url,
        ...(failpoint && { RETAIN_FAILPOINT: failpoint }),
      });
    const repo = new PlayRepository(t.store.db);

    const first = await worker(0, 'before-task-commit');
    expect(first.code).toBeNull(); // killed
    expect(await repo.countTasks()).toBe(0); // the task step's transaction never committed
    // The owner's notice of the task was in that transaction too: neither exists without the other.
    const taskNotices = async () =>
      (await t.services.notifications.inbox(book.actors.csmA, {}, { limit: 50, offset: 0 })).items.filter(
        (item) => item.taskId !== null,
      );
    expect(await taskNotices()).toHaveLength(0);

    const second = await worker(10, 'after-action');
    expect(second.code).toBeNull();
    expect(await repo.countTasks()).toBe(1);
    expect((await t.services.riskCases.get(opened.id)).stage.key).toBe('saving');

    const third = await worker(20, 'after-send');
    expect(third.code).toBeNull();
    expect(sinks.smtp().received).toHaveLength(1); // the first email left; the worker died before marking it

    const last = await worker(30);
    expect(last.stderr).toBe('');
    expect(last.code).toBe(0);

    expect(
      sinks
        .smtp()
        .received.map((m) => m.to[0])
        .sort(),
    ).toEqual(['ana@birch.example', 'ben@birch.example']);
    expect(sinks.hooks().received.map((h) => h.body)).toEqual([{ text: 'Save attempt for Birch Bakery' }]);
    expect(await repo.countTasks()).toBe(1);
    expect((await taskNotices()).map((item) => [item.kind, item.title])).toEqual([
      ['task_assigned', 'New task on Birch Bakery'],
    ]);
    const detail = await t.services.riskCases.get(opened.id);
    expect(detail.stageHistory.map((h) => `${h.from ?? ''}>${h.to}`)).toEqual(['>at_risk', 'at_risk>saving']);
    const [run] = (await t.services.playbooks.runs({ play: play.id }, { limit: 10, offset: 0 })).items;
    expect(run).toMatchObject({ status: 'completed', stepIndex: 4 });
    const messages = await repo.messages({ runId: run?.id ?? 0 });
    // The message in flight when the worker died is flagged for a person, never re-sent blindly.
    expect(messages.map((m) => m.status).sort()).toEqual(['sent', 'sent', 'unconfirmed']);
  });
});

forEachStore('several workers share one store', (current) => {
  it('two `retain worker` processes walk 120 runs together: every task exactly once', async () => {
    const t = current();
    const book = await buildTinyBook(t, { cases: false });
    const play = await t.services.playbooks.create(SYSTEM_ACTOR, {
      name: 'Shared',
      definition: {
        trigger: { kind: 'touchpoint_logged', reason: 'Risk' },
        steps: [
          { kind: 'task', title: 'First call', dueInDays: 1, assignee: { kind: 'account_owner' } },
          { kind: 'task', title: 'Second call', dueInDays: 3, assignee: { kind: 'team_lead' } },
        ],
      },
    });
    await t.services.playbooks.update(SYSTEM_ACTOR, play.id, { active: true, version: play.version });
    const owner = book.users.csmA;
    for (let i = 0; i < 120; i += 1) {
      await t.services.accounts.create(SYSTEM_ACTOR, {
        externalId: `W-${i}`,
        name: `Worker test ${i}`,
        ownerId: owner.id,
        teamId: owner.teamId,
      });
    }
    await t.services.signals.ingest(
      SYSTEM_ACTOR,
      Array.from({ length: 120 }, (_, i) => ({
        kind: 'touchpoint',
        account: `W-${i}`,
        occurredAt: t.clock.now().toISOString(),
        data: { channel: 'call', reason: 'risk', outcome: 'negative' },
      })),
    );
    const [a, b] = await Promise.all([
      retain(['worker', '--once', '--db', t.target]),
      retain(['worker', '--once', '--db', t.target]),
    ]);
    expect([a.stderr, b.stderr]).toEqual(['', '']);
    const done = [a, b].map((run) => JSON.parse(run.stdout) as { stepsRun: number });
    expect((done[0]?.stepsRun ?? 0) + (done[1]?.stepsRun ?? 0)).toBe(240);
    const repo = new PlayRepository(t.store.db);
    expect(await repo.countTasks()).toBe(240);
    const runs = await t.services.playbooks.runs(
      { play: play.id, status: 'completed' },
      { limit: 1, offset: 0 },
    );
    expect(runs.total).toBe(120);
  });
});

// Notifications on a real store: each kind is raised once, by its event, to the right user; never to
// the person who opened a case themselves; once however often an event is replayed; the overdue
// one once per overdue period by the daily run's clock; read ones deleted after 90 days.
import { expect, it } from 'vitest';
import { SYSTEM_ACTOR } from '../../src/domain/policy';
import { DailyRunner } from '../../src/jobs/daily-run';
import { PlayRunner } from '../../src/jobs/play-runner';
import { httpWebhookClient, smtpMailer } from '../../src/services/messaging';
import { NotificationRepository } from '../../src/store/notification.repository';
import { buildTinyBook, type TinyBook } from '../helpers/book';
import { forEachStore, type TestStore } from '../helpers/stores';

const page = { limit: 50, offset: 0 };
const inboxOf = (t: TestStore, book: TinyBook, who: keyof TinyBook['actors']) =>
  t.services.notifications.inbox(book.actors[who], {}, page);
const kindsOf = async (t: TestStore, book: TinyBook, who: keyof TinyBook['actors']) =>
  (await inboxOf(t, book, who)).items.map((item) => item.kind);

forEachStore('notifications', (current) => {
  it('a case opened by hand tells the account owner, not the CSM who opened it, with names', async () => {
    const t = current();
    const book = await buildTinyBook(t, { cases: false });
    const [acme, birch] = book.accounts;
    if (!acme || !birch) throw new Error('tiny book is missing accounts');
    const opened = await t.services.riskCases.open(book.actors.leadA, {
      accountId: acme.id,
      reasons: ['product_adoption'],
    });
    const inbox = await inboxOf(t, book, 'csmA');
    expect(inbox).toMatchObject({ total: 1, unread: 1 });
    expect(inbox.items[0]).toMatchObject({
      kind: 'case_opened',
      title: 'New risk case on Acme Analytics',
      accountId: acme.id,
      accountName: 'Acme Analytics',
      caseId: opened.id,
      taskId: null,
      readAt: null,
    });
    expect(inbox.items[0]?.summary).toBe('lead.a opened it: Product adoption.');
    expect(inbox.items[0]?.summary).not.toContain('product_adoption');
    for (const who of ['leadA', 'csmA2', 'csmB', 'admin'] as const)
      expect(await kindsOf(t, book, who)).toEqual([]);
    // The owner opening a case on their own account is told nothing.
    await t.services.riskCases.open(book.actors.csmA, { accountId: birch.id, reasons: ['product_adoption'] });
    expect((await inboxOf(t, book, 'csmA')).total).toBe(1);
  });

  it('a case opened by detection tells the owner once, however often detection runs again', async () => {
    const t = current();
    const book = await buildTinyBook(t, { cases: false });
    t.clock.set('2026-03-10T09:00:00Z');
    await t.services.signals.ingest(SYSTEM_ACTOR, [
      { kind: 'usage', account: 'A-1', occurredAt: '2026-03-10T08:00:00Z', data: { event: 'login' } },
    ]);
    t.clock.set('2026-04-01T09:00:00Z');
    await t.services.health.score();
    expect((await t.services.detection.evaluate()).casesOpened).toBe(1);
    await t.services.detection.evaluate();
    t.clock.advanceHours(1);
    await t.services.detection.evaluate();
    const inbox = await inboxOf(t, book, 'csmA');
    expect(inbox.items.map((item) => [item.kind, item.title])).toEqual([
      ['case_opened', 'New risk case on Acme Analytics'],
    ]);
    expect(inbox.items[0]?.summary).toMatch(/^Detection opened it: /);
  });

  it('a task given by hand tells its assignee; a play task says which play, and a play waiting on it needs you', async () => {
    const t = current();
    const book = await buildTinyBook(t);
    const acme = book.accounts[0]?.id ?? 0;
    const task = await t.services.tasks.create(book.actors.leadA, {
      accountId: acme,
      assigneeId: book.users.csmA.id,
      title: 'Call the sponsor',
      dueInDays: 3,
    });
    expect(task).toMatchObject({
      assigneeId: book.users.csmA.id,
      caseId: book.cases.at_risk,
      status: 'open',
    });
    // Giving yourself a task needs no notice; nor may a CSM give tasks on another's account.
    await t.services.tasks.create(book.actors.csmA, {
      accountId: acme,
      assigneeId: book.users.csmA.id,
      title: 'Mine',
      dueInDays: 1,
    });
    await expect(
      t.services.tasks.create(book.actors.csmB, {
        accountId: acme,
        assigneeId: book.users.csmB.id,
        title: 'x',
        dueInDays: 1,
      }),
    ).rejects.toMatchObject({ code: 'FORBIDDEN' });
    let inbox = await inboxOf(t, book, 'csmA');
    const tasks = inbox.items.filter((item) => item.taskId !== null);
    expect(tasks.map((item) => [item.kind, item.title, item.summary, item.taskId])).toEqual([
      ['task_assigned', 'New task on Acme Analytics', 'Call the sponsor.', task.id],
    ]);

    const play = await t.services.playbooks.create(SYSTEM_ACTOR, {
      name: 'Plan then save',
      definition: {
        trigger: { kind: 'stage_changed', to: 'plan_in_place' },
        steps: [
          {
            kind: 'task',
            title: 'Agree the save plan with {{account.name}}',
            dueInDays: 3,
            assignee: { kind: 'account_owner' },
            waitForCompletion: true,
          },
          { kind: 'task', title: 'Check in a week later', dueInDays: 7, assignee: { kind: 'team_lead' } },
        ],
      },
    });
    await t.services.playbooks.update(SYSTEM_ACTOR, play.id, { active: true, version: play.version });
    await t.services.riskCases.moveStage(book.actors.csmA, book.cases.at_risk ?? 0, {
      stage: 'plan_in_place',
    });
    const runner = new PlayRunner(
      t.services.context,
      t.services.caseActions,
      smtpMailer('smtp://127.0.0.1:1', 'Retain <retain@example.com>'),
      httpWebhookClient(),
    );
    await runner.drain();
    await runner.drain();
    // Birch Bakery went through plan_in_place too, before the play: its run waits on csmA as well.
    inbox = await inboxOf(t, book, 'csmA');
    const acmeItems = inbox.items.filter((item) => item.accountName === 'Acme Analytics');
    expect(acmeItems[0]).toMatchObject({
      kind: 'play_needs_you',
      title: 'The play Plan then save needs you on Acme Analytics',
      summary: 'Agree the save plan with Acme Analytics. The play goes on when you complete this task.',
    });
    expect(acmeItems.filter((item) => item.kind === 'play_needs_you')).toHaveLength(1);
    const waiting = acmeItems[0]?.taskId ?? 0;
    await t.services.tasks.complete(book.actors.csmA, waiting, {});
    await runner.drain();
    const lead = await inboxOf(t, book, 'leadA');
    expect(lead.items.map((item) => [item.kind, item.title, item.summary])).toEqual([
      ['task_assigned', 'New task on Acme Analytics', 'Check in a week later, from the play Plan then save.'],
    ]);
    // csmB hears only of their own accounts.
    const other = (await inboxOf(t, book, 'csmB')).items.map((item) => item.accountName);
    expect(other.length).toBeGreaterThan(0);
    expect(
      other.every((name) => ['Delta Dental', 'Echo Education', 'Fjord Freight'].includes(name ?? '')),
    ).toBe(true);
  });

  it('a replayed event writes no second notification (the key is unique per user)', async () => {
    const t = current();
    const book = await buildTinyBook(t, { cases: false });
    const repo = new NotificationRepository(t.store.db);
    const event = {
      userId: book.users.csmA.id,
      kind: 'task_assigned' as const,
      key: 'task:42',
      title: 'New task on Acme Analytics',
      summary: 'Call.',
      accountId: book.accounts[0]?.id ?? null,
      caseId: null,
      taskId: 42,
    };
    expect(await repo.insert([event], t.clock.now())).toHaveLength(1);
    expect(await repo.insert([event, event], t.clock.now())).toHaveLength(0);
    expect(await repo.insert([{ ...event, userId: book.users.csmB.id }], t.clock.now())).toHaveLength(1);
    expect((await inboxOf(t, book, 'csmA')).total).toBe(1);
  });

  it('the daily run tells the owner of an overdue weekly update once per overdue period', async () => {
    const t = current();
    const book = await buildTinyBook(t, { cases: false });
    const acme = book.accounts[0]?.id ?? 0;
    t.clock.set('2026-04-01T10:00:00Z');
    const opened = await t.services.riskCases.open(SYSTEM_ACTOR, {
      accountId: acme,
      reasons: ['product_adoption'],
    });
    const overdue = async () =>
      (await inboxOf(t, book, 'csmA')).items.filter((item) => item.kind === 'update_overdue');
    const runner = new DailyRunner(t.services);
    // Seven days is on time; the eighth day's run finds it overdue.
    t.clock.set('2026-04-08T09:00:00Z');
    await runner.tick();
    expect(await overdue()).toHaveLength(0);
    t.clock.set('2026-04-09T09:00:00Z');
    expect(await runner.tick()).toMatchObject({ overdueNotified: 1 });
    for (const day of ['2026-04-10', '2026-04-11', '2026-04-12']) {
      t.clock.set(`${day}T09:00:00Z`);
      expect(await runner.tick()).toMatchObject({ overdueNotified: 0 });
    }
    const [first] = await overdue();
    expect(first).toMatchObject({
      title: 'Weekly update overdue on Acme Analytics',
      summary: 'No weekly update for more than 7 days.',
      caseId: opened.id,
    });
    // An update starts a new period: overdue again a week later, told once more.
    await t.services.riskCases.addUpdate(book.actors.csmA, opened.id, {
      background: 'b',
      doneSoFar: 'd',
      nextSteps: 'n',
    });
    t.clock.set('2026-04-19T09:00:00Z');
    expect(await runner.tick()).toMatchObject({ overdueNotified: 0 });
    t.clock.set('2026-04-20T09:00:00Z');
    expect(await runner.tick()).toMatchObject({ overdueNotified: 1 });
    expect(await overdue()).toHaveLength(2);
    expect(await kindsOf(t, book, 'csmB')).toEqual([]);
  });

  it('reads: one, all, only your own; read ones older than 90 days are deleted by the daily run', async () => {
    const t = current();
    const book = await buildTinyBook(t, { cases: false });
    const [acme, birch, , delta] = book.accounts;
    if (!acme || !birch || !delta) throw new Error('tiny book is missing accounts');
    t.clock.set('2026-04-01T10:00:00Z');
    await t.services.riskCases.open(SYSTEM_ACTOR, { accountId: acme.id, reasons: ['product_adoption'] });
    await t.services.riskCases.open(SYSTEM_ACTOR, { accountId: birch.id, reasons: ['product_adoption'] });
    await t.services.riskCases.open(SYSTEM_ACTOR, { accountId: delta.id, reasons: ['product_adoption'] });
    const mine = await inboxOf(t, book, 'csmA');
    expect(mine.items.map((item) => item.accountName)).toEqual(['Birch Bakery', 'Acme Analytics']);
    const [newest, oldest] = mine.items;
    const theirs = (await inboxOf(t, book, 'csmB')).items[0];
    if (!newest || !oldest || !theirs) throw new Error('notifications missing');
    await expect(t.services.notifications.markRead(book.actors.csmA, theirs.id)).rejects.toMatchObject({
      code: 'NOTIFICATION_NOT_FOUND',
    });
    expect((await inboxOf(t, book, 'csmB')).unread).toBe(1);
    const read = await t.services.notifications.markRead(book.actors.csmA, oldest.id);
    expect(read).toEqual({ id: oldest.id, readAt: '2026-04-01T10:00:00.000Z' });
    t.clock.advanceHours(1);
    expect((await t.services.notifications.markRead(book.actors.csmA, oldest.id)).readAt).toBe(read.readAt);
    const unread = await t.services.notifications.inbox(book.actors.csmA, { unread: true }, page);
    expect(unread).toMatchObject({ total: 1, unread: 1 });
    expect(unread.items.map((item) => item.id)).toEqual([newest.id]);
    expect(await t.services.notifications.markAllRead(book.actors.csmA)).toEqual({ marked: 1 });
    expect((await inboxOf(t, book, 'csmA')).unread).toBe(0);
    expect((await inboxOf(t, book, 'csmB')).unread).toBe(1);

    // 90 days on, read ones go; the unread one stays however old.
    const runner = new DailyRunner(t.services);
    t.clock.set('2026-06-30T09:00:00Z');
    expect(await runner.tick()).toMatchObject({ notificationsPruned: 0 });
    t.clock.set('2026-07-01T09:00:00Z');
    const ran = await runner.tick();
    expect(ran?.notificationsPruned).toBe(2);
    const after = await inboxOf(t, book, 'csmA');
    expect(after.items.every((item) => item.kind === 'update_overdue')).toBe(true);
    expect((await inboxOf(t, book, 'csmB')).items.map((item) => item.kind)).toContain('case_opened');
  });
});

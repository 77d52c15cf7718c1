// Playbooks on a real store: the seeded plays start from their events, tasks reach the right
// people, digital plays email a real SMTP sink and act on the case with no human step, edits do not
// disturb runs in flight, and completing a task runs its post-completion actions.
import { expect, it } from 'vitest';
import { buildApp } from '../../src/api/app';
import { SYSTEM_ACTOR } from '../../src/domain/policy';
import { playDefinitionSchema, type PlayDefinitionInput } from '../../src/domain/playbook';
import { PlayRunner } from '../../src/jobs/play-runner';
import { httpWebhookClient, smtpMailer } from '../../src/services/messaging';
import { buildTinyBook, type TinyBook } from '../helpers/book';
import { allowLocalSinks } from '../helpers/sinks';
import { useSinks } from '../helpers/use-sinks';
import { forEachStore, type TestStore } from '../helpers/stores';

const sinks = useSinks();

const runnerFor = (t: TestStore) =>
  new PlayRunner(
    t.services.context,
    t.services.caseActions,
    smtpMailer(sinks.smtp().url, 'Retain <retain@example.com>'),
    httpWebhookClient(),
  );

const activate = async (t: TestStore, key: string) => {
  const play = await t.services.playbooks.get(key, SYSTEM_ACTOR);
  return t.services.playbooks.update(SYSTEM_ACTOR, play.id, { active: true, version: play.version });
};

const ingest = (t: TestStore, records: unknown[]) => t.services.signals.ingest(SYSTEM_ACTOR, records);
const at = (t: TestStore) => t.clock.now().toISOString();

async function runsOf(t: TestStore, key: string) {
  return (await t.services.playbooks.runs({ play: key }, { limit: 100, offset: 0 })).items;
}

async function tasksOf(t: TestStore, accountId: number) {
  return (await t.services.tasks.inbox(SYSTEM_ACTOR, { accountId, state: 'all' }, { limit: 100, offset: 0 }))
    .items;
}

async function addContacts(t: TestStore, book: TinyBook, externalId: string) {
  const account = book.accounts.find((a) => a.externalId === externalId);
  if (!account) throw new Error(`no ${externalId}`);
  await t.services.accounts.addContact(SYSTEM_ACTOR, account.id, {
    email: `champion@${externalId.toLowerCase()}.example`,
    name: 'Chris Champion',
    isChampion: true,
  });
  await t.services.accounts.addContact(SYSTEM_ACTOR, account.id, {
    email: `user@${externalId.toLowerCase()}.example`,
    name: 'Uma User',
  });
  return account;
}

forEachStore('playbooks', (current) => {
  it('seeds eight valid plays, all inactive', async () => {
    const t = current();
    const plays = await t.services.playbooks.list(SYSTEM_ACTOR);
    expect(plays.map((p) => p.key).sort()).toEqual([
      'business_change_event',
      'champion_loss',
      'competitive_threat',
      'high_support_tickets',
      'licence_utilisation_drop',
      'low_nps_csat',
      'past_due_45_90',
      'update_risk_status_reminder',
    ]);
    for (const play of plays) {
      expect(play.active).toBe(false);
      expect(() => playDefinitionSchema.parse(play.definition)).not.toThrow();
    }
  });

  it('Update risk status reminder: each open case without an update this week gets a task for its owner', async () => {
    const t = current();
    const book = await buildTinyBook(t);
    await t.services.riskCases.addUpdate(book.actors.csmA2, book.cases.saving ?? 0, {
      background: 'b',
      doneSoFar: 'd',
      nextSteps: 'n',
    });
    await activate(t, 'update_risk_status_reminder');
    const runner = runnerFor(t);
    await runner.drain();
    const runs = await runsOf(t, 'update_risk_status_reminder');
    // have no update; A-3 was updated today; B-1 and B-2 are closed.
    const acme = book.accounts[0];
    const birch = book.accounts[1];
    expect(runs.map((r) => r.accountId).sort()).toEqual([acme?.id, birch?.id].sort());
    const tasks = await tasksOf(t, acme?.id ?? 0);
    expect(tasks).toHaveLength(1);
    expect(tasks[0]).toMatchObject({
      title: 'Write the weekly risk update for Acme Analytics',
      assigneeId: book.users.csmA.id,
      status: 'open',
    });
    // The same week again starts nothing new; a week later the reminder comes back.
    await runner.drain();
    expect(await runsOf(t, 'update_risk_status_reminder')).toHaveLength(2);
    t.clock.advanceDays(7);
    await runner.drain();
    // Next week: again, and A-3 whose update is now a week old.
    expect(await runsOf(t, 'update_risk_status_reminder')).toHaveLength(5);
  });

  it('Business change event: the rule firing on an acquisition gives the owner a task, then the team lead one', async () => {
    const t = current();
    const book = await buildTinyBook(t, { cases: false });
    await activate(t, 'business_change_event');
    await ingest(t, [
      { kind: 'business_event', account: 'A-1', occurredAt: at(t), data: { event: 'acquisition' } },
    ]);
    await runnerFor(t).drain();
    const tasks = await tasksOf(t, book.accounts[0]?.id ?? 0);
    expect(tasks.map((task) => [task.title, task.assigneeEmail])).toEqual([
      ['Find out what the business change means for Acme Analytics', 'csm.a@example.com'],
      ['Agree a plan for Acme Analytics with your team lead', 'lead.a@example.com'],
    ]);
    expect(tasks[0]?.actions).toEqual([{ kind: 'set_stage', stage: 'plan_in_place' }]);
  });

  it('Champion loss: adding the leadership-change reason starts the play', async () => {
    const t = current();
    const book = await buildTinyBook(t);
    await activate(t, 'champion_loss');
    await runnerFor(t).drain();
    expect(await runsOf(t, 'champion_loss')).toHaveLength(0);
    await t.services.riskCases.setReasons(book.actors.csmA, book.cases.at_risk ?? 0, [
      'product_adoption',
      'leadership_change',
    ]);
    await runnerFor(t).drain();
    const runs = await runsOf(t, 'champion_loss');
    expect(runs.map((r) => r.caseId)).toEqual([book.cases.at_risk]);
    expect((await tasksOf(t, book.accounts[0]?.id ?? 0)).map((task) => task.title)).toEqual([
      'Identify the new champion at Acme Analytics',
      'Meet the new decision maker at Acme Analytics',
    ]);
  });

  it('Competitive threat: a competitor mention starts the play', async () => {
    const t = current();
    const book = await buildTinyBook(t, { cases: false });
    await activate(t, 'competitive_threat');
    await ingest(t, [
      { kind: 'competitor_mention', account: 'B-3', occurredAt: at(t), data: { competitor: 'Rival' } },
    ]);
    await runnerFor(t).drain();
    const tasks = await tasksOf(t, book.accounts[5]?.id ?? 0);
    expect(tasks.map((task) => [task.title, task.assigneeEmail])).toEqual([
      ['Competitive review for Fjord Freight', 'csm.b@example.com'],
    ]);
  });

  it('High number of support tickets: a ticket spike, with a detractor answer beside it, starts the play', async () => {
    const t = current();
    const book = await buildTinyBook(t, { cases: false });
    await activate(t, 'high_support_tickets');
    // A spike alone is a weak sign (a busy week happens to healthy customers too): it acts with
    // another sign for another reason.
    await ingest(t, [{ kind: 'nps', account: 'A-2', occurredAt: at(t), data: { score: 5 } }]);
    await ingest(
      t,
      [1, 2, 3, 4, 5, 6].map((n) => ({
        kind: 'ticket',
        account: 'A-2',
        occurredAt: at(t),
        data: { ticketId: `T-${n}`, action: 'opened', priority: 'high' },
      })),
    );
    await runnerFor(t).drain();
    expect((await tasksOf(t, book.accounts[1]?.id ?? 0)).map((task) => task.title)).toEqual([
      'Review the open tickets of Birch Bakery with support',
      'Call Birch Bakery about their support experience',
    ]);
  });

  it('Large decrease in licence utilisation: the email goes to the contacts first, the call task two weeks later', async () => {
    const t = current();
    const book = await buildTinyBook(t, { cases: false });
    await addContacts(t, book, 'A-3');
    await activate(t, 'licence_utilisation_drop');
    const start = t.clock.now();
    // Weekly readings: 90 of 100 seats for seven weeks, then 40. The trend compares the last 30 days'
    // mean with the 30 days before, and the fall must hold a week: the daily run sees it each day.
    for (let n = -70; n <= 0; n += 1) {
      t.clock.set(new Date(start.getTime() + n * 86_400_000));
      if (n % 7 === 0) {
        const seatsUsed = n < -24 ? 90 : 40;
        await ingest(t, [
          { kind: 'licence', account: 'A-3', occurredAt: at(t), data: { seatsUsed, seatsPurchased: 100 } },
        ]);
      }
      await t.services.detection.evaluate();
    }
    const runner = runnerFor(t);
    await runner.drain();
    const [run] = await runsOf(t, 'licence_utilisation_drop');
    expect(run).toBeDefined();
    expect(run?.cohort).toBe('treated'); // A-3 is outside the 10% control group for this play
    expect(
      sinks
        .smtp()
        .received.map((m) => m.to[0])
        .sort(),
    ).toEqual(['champion@a-3.example', 'user@a-3.example']);
    expect(sinks.smtp().received[0]?.text).toMatch(/^Hello (Chris Champion|Uma User),/);
    expect(await tasksOf(t, book.accounts[2]?.id ?? 0)).toHaveLength(0);
    t.clock.advanceDays(14);
    await runner.drain();
    expect((await tasksOf(t, book.accounts[2]?.id ?? 0)).map((task) => task.title)).toEqual([
      'Licence use at Cobalt Clinics is still down: call the admin',
    ]);
  });

  it('Past-due payments 30-90 days: an invoice 60 days late starts the play', async () => {
    const t = current();
    const book = await buildTinyBook(t, { cases: false });
    await activate(t, 'past_due_45_90');
    await ingest(t, [
      {
        kind: 'invoice',
        account: 'B-1',
        occurredAt: at(t),
        data: { invoiceId: 'INV-7', amount: 1200, dueDate: '2026-01-15', paidDate: null },
      },
    ]);
    await runnerFor(t).drain();
    expect((await tasksOf(t, book.accounts[3]?.id ?? 0)).map((task) => task.title)).toEqual([
      'Call Delta Dental about the overdue invoice',
      'Confirm payment from Delta Dental',
    ]);
  });

  it('Low NPS and low CSAT: a detractor score emails the respondent and tasks the owner', async () => {
    const t = current();
    const book = await buildTinyBook(t, { cases: false });
    await addContacts(t, book, 'B-3');
    await activate(t, 'low_nps_csat');
    await ingest(t, [{ kind: 'nps', account: 'B-3', occurredAt: at(t), data: { score: 3 } }]);
    await runnerFor(t).drain();
    expect(
      sinks
        .smtp()
        .received.map((m) => m.subject)
        .sort(),
    ).toEqual(['Thank you for your feedback, Chris Champion', 'Thank you for your feedback, Uma User']);
    expect(sinks.smtp().received[0]?.text).toContain('csm.b will be in touch');
    expect((await tasksOf(t, book.accounts[5]?.id ?? 0)).map((task) => task.title)).toEqual([
      'Follow up on the survey response from Fjord Freight',
    ]);
  });

  it('runs a digital play on a low-LTV case end to end: email, webhook, then the case advances with no human step', async () => {
    const t = current();
    const book = await buildTinyBook(t, { cases: false });
    const birch = await addContacts(t, book, 'A-2'); // ARR 3,000: LTV 9,000, under the digital threshold
    await allowLocalSinks(t.services);
    const definition: PlayDefinitionInput = {
      trigger: { kind: 'case_opened' },
      conditions: 'risk.track = "digital"',
      steps: [
        {
          kind: 'email',
          to: 'champion',
          subject: 'A quick check-in about {{account.name}}',
          body: 'Hi {{contact.name}}, book a 15-minute review: https://example.com/book',
        },
        { kind: 'webhook', url: sinks.hooks().url, text: 'Digital save started for {{account.name}}' },
        { kind: 'wait', days: 7 },
        { kind: 'action', action: { kind: 'set_stage', stage: 'saving' } },
      ],
    };
    const play = await t.services.playbooks.create(SYSTEM_ACTOR, { name: 'Digital save', definition });
    await t.services.playbooks.update(SYSTEM_ACTOR, play.id, { active: true, version: play.version });
    const opened = await t.services.riskCases.open(SYSTEM_ACTOR, {
      accountId: birch.id,
      reasons: ['poor_engagement'],
    });
    const big = await t.services.riskCases.open(SYSTEM_ACTOR, {
      accountId: book.accounts[2]?.id ?? 0,
      reasons: ['poor_engagement'],
    });
    expect(opened.track).toBe('digital');
    expect(big.track).not.toBe('digital');
    const runner = runnerFor(t);
    await runner.drain();
    expect(sinks.smtp().received).toHaveLength(1);
    expect(sinks.smtp().received[0]).toMatchObject({
      to: ['champion@a-2.example'],
      subject: 'A quick check-in about Birch Bakery',
    });
    expect(sinks.hooks().received.map((h) => h.body)).toEqual([
      { text: 'Digital save started for Birch Bakery' },
    ]);
    expect((await t.services.riskCases.get(opened.id)).stage.key).toBe('at_risk');
    t.clock.advanceDays(7);
    await runner.drain();
    const after = await t.services.riskCases.get(opened.id);
    expect(after.stage.key).toBe('saving');
    expect(after.stageHistory.at(-1)).toMatchObject({ from: 'at_risk', to: 'saving' });
    const trail = await t.services.riskCases.auditTrail(opened.id);
    expect(trail.at(-1)).toMatchObject({ actor: 'play:digital_save', action: 'stage_changed' });
    const [run] = await runsOf(t, 'digital_save');
    expect(run).toMatchObject({ status: 'completed', caseId: opened.id });
    expect(await tasksOf(t, birch.id)).toHaveLength(0);
    expect((await t.services.riskCases.get(big.id)).stage.key).toBe('at_risk');
  });

  it('completing a task applies accepted actions and lets a run waiting on it go on', async () => {
    const t = current();
    const book = await buildTinyBook(t);
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
            onComplete: {
              mode: 'offered',
              actions: [
                { kind: 'set_stage', stage: 'saving' },
                { kind: 'add_reason', reason: 'support_issues' },
              ],
            },
          },
          { kind: 'task', title: 'Check in a week later', dueInDays: 7, assignee: { kind: 'team_lead' } },
        ],
      },
    });
    await t.services.playbooks.update(SYSTEM_ACTOR, play.id, { active: true, version: play.version });
    await t.services.riskCases.moveStage(book.actors.csmA, book.cases.at_risk ?? 0, {
      stage: 'plan_in_place',
    });
    const runner = runnerFor(t);
    await runner.drain();
    const acme = book.accounts[0]?.id ?? 0;
    let tasks = await tasksOf(t, acme);
    expect(tasks.map((task) => task.title)).toEqual(['Agree the save plan with Acme Analytics']);
    const [task] = tasks;
    if (!task) throw new Error('no task');
    // The CSM's inbox shows it, with the account and case.
    const inbox = await t.services.tasks.inbox(book.actors.csmA, {}, { limit: 10, offset: 0 });
    expect(inbox.items.map((i) => [i.title, i.accountExternalId, i.caseStage])).toContainEqual([
      'Agree the save plan with Acme Analytics',
      'A-1',
      'plan_in_place',
    ]);
    await expect(t.services.tasks.complete(book.actors.csmB, task.id, {})).rejects.toMatchObject({
      code: 'FORBIDDEN',
    });
    await expect(t.services.tasks.complete(book.actors.csmA, task.id, { accept: [5] })).rejects.toMatchObject(
      {
        code: 'VALIDATION_FAILED',
      },
    );
    const done = await t.services.tasks.complete(book.actors.csmA, task.id, { accept: [0], note: 'Agreed' });
    expect(done.results.map((r) => r.result)).toEqual(['applied']);
    const acmeCase = await t.services.riskCases.get(book.cases.at_risk ?? 0);
    expect(acmeCase.stage.key).toBe('saving');
    expect(acmeCase.reasons.map((r) => r.key)).toEqual(['product_adoption']);
    await expect(t.services.tasks.complete(book.actors.csmA, task.id, {})).rejects.toMatchObject({
      code: 'TASK_ALREADY_DONE',
    });
    await runner.drain();
    tasks = await tasksOf(t, acme);
    expect(tasks.map((x) => [x.title, x.status, x.assigneeEmail])).toEqual([
      ['Check in a week later', 'open', 'lead.a@example.com'],
      ['Agree the save plan with Acme Analytics', 'done', 'csm.a@example.com'],
    ]);
    t.clock.advanceDays(10);
    const overdue = await t.services.tasks.inbox(
      book.actors.leadA,
      { state: 'overdue' },
      { limit: 10, offset: 0 },
    );
    expect(overdue.items.map((x) => [x.title, x.overdue])).toEqual([['Check in a week later', true]]);
  });

  it('completes a task whose offered stage was retired since, saying so, and leaves the case where it is', async () => {
    const t = current();
    const book = await buildTinyBook(t);
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
            onComplete: { mode: 'offered', actions: [{ kind: 'set_stage', stage: 'saving' }] },
          },
        ],
      },
    });
    await t.services.playbooks.update(SYSTEM_ACTOR, play.id, { active: true, version: play.version });
    const caseId = book.cases.at_risk ?? 0;
    await t.services.riskCases.moveStage(book.actors.csmA, caseId, { stage: 'plan_in_place' });
    await runnerFor(t).drain();
    const [task] = await tasksOf(t, book.accounts[0]?.id ?? 0);
    if (!task) throw new Error('no task');
    // Saving is retired after the play was written: no more cases go into it.
    await t.services.config.updateStage(SYSTEM_ACTOR, 'saving', { active: false });
    const done = await t.services.tasks.complete(book.actors.csmA, task.id, { accept: [0] });
    expect(done.results.map((result) => result.result)).toEqual(['stage_retired']);
    expect(done.status).toBe('done');
    expect((await t.services.riskCases.get(caseId)).stage.key).toBe('plan_in_place');
  });

  it('starts on a segment entry; wait_until holds a run until the account matches, or until it times out', async () => {
    const t = current();
    const book = await buildTinyBook(t, { cases: false });
    const segment = await t.services.segments.create(SYSTEM_ACTOR, {
      name: 'Big ones',
      filter: 'arr >= 50000',
    });
    const play = await t.services.playbooks.create(SYSTEM_ACTOR, {
      name: 'Upsell check',
      definition: {
        trigger: { kind: 'segment_entered', segment: segment.key },
        steps: [
          { kind: 'wait_until', condition: 'tier = "Platinum"', timeoutDays: 5 },
          {
            kind: 'task',
            title: 'Check in with {{account.name}}',
            dueInDays: 1,
            assignee: { kind: 'account_owner' },
          },
        ],
      },
    });
    await t.services.playbooks.update(SYSTEM_ACTOR, play.id, { active: true, version: play.version });
    await t.services.segments.refresh();
    const runner = runnerFor(t);
    await runner.drain();
    const cobalt = book.accounts[2]; // 120k
    const fjord = book.accounts[5]; // 60k
    const runs = await runsOf(t, 'upsell_check');
    expect(runs.map((r) => [r.accountId, r.status]).sort()).toEqual(
      [
        [cobalt?.id, 'waiting'],
        [fjord?.id, 'waiting'],
      ].sort(),
    );
    await t.services.accounts.update(SYSTEM_ACTOR, cobalt?.id ?? 0, { tier: 'Platinum' });
    t.clock.advanceDays(1);
    await runner.drain();
    expect((await tasksOf(t, cobalt?.id ?? 0)).map((x) => x.title)).toEqual(['Check in with Cobalt Clinics']);
    expect(await tasksOf(t, fjord?.id ?? 0)).toHaveLength(0);
    t.clock.advanceDays(4);
    await runner.drain();
    expect((await tasksOf(t, fjord?.id ?? 0)).map((x) => x.title)).toEqual(['Check in with Fjord Freight']);
    const fjordRun = (await runsOf(t, 'upsell_check')).find((r) => r.accountId === fjord?.id);
    const detail = await t.services.playbooks.run(fjordRun?.id ?? 0, SYSTEM_ACTOR);
    expect(detail.steps[0]).toMatchObject({ kind: 'wait_until', result: { matched: false } });
    expect(detail.status).toBe('completed');
  });

  it('runs automatic post-completion actions when the task is done, whoever completes it', async () => {
    const t = current();
    const book = await buildTinyBook(t);
    const play = await t.services.playbooks.create(SYSTEM_ACTOR, {
      name: 'Recovery call',
      definition: {
        trigger: { kind: 'stage_changed', to: 'saving' },
        steps: [
          {
            kind: 'task',
            title: 'Confirm the save with {{account.name}}',
            dueInDays: 5,
            assignee: { kind: 'account_owner' },
            onComplete: {
              mode: 'automatic',
              actions: [
                { kind: 'remove_reason', reason: 'product_adoption' },
                { kind: 'close', outcome: 'recovered' },
              ],
            },
          },
        ],
      },
    });
    await t.services.playbooks.update(SYSTEM_ACTOR, play.id, { active: true, version: play.version });
    const caseId = book.cases.plan_in_place ?? 0; // Birch, owned by csmA
    await t.services.riskCases.setReasons(book.actors.csmA, caseId, ['product_adoption', 'support_issues']);
    await t.services.riskCases.moveStage(book.actors.csmA, caseId, { stage: 'saving' });
    await runnerFor(t).drain();
    const [task] = await tasksOf(t, book.accounts[1]?.id ?? 0);
    expect(task).toMatchObject({ actionsMode: 'automatic', assigneeEmail: 'csm.a@example.com' });
    // The team lead completes it for the CSM; the actions run anyway, and in order.
    const done = await t.services.tasks.complete(book.actors.leadA, task?.id ?? 0, {});
    expect(done.results.map((r) => [r.action.kind, r.result])).toEqual([
      ['remove_reason', 'applied'],
      ['close', 'applied'],
    ]);
    const closed = await t.services.riskCases.get(caseId);
    expect(closed).toMatchObject({
      status: 'closed',
      outcome: 'recovered',
      stage: { key: 'closed_recovered' },
    });
    expect(closed.reasons.map((r) => r.key)).toEqual(['support_issues']);
  });

  it('an edited play starts new runs on the new version; runs in flight finish on theirs', async () => {
    const t = current();
    const book = await buildTinyBook(t, { cases: false });
    const step = (title: string) => ({
      kind: 'task' as const,
      title,
      dueInDays: 1,
      assignee: { kind: 'account_owner' as const },
    });
    const created = await t.services.playbooks.create(SYSTEM_ACTOR, {
      name: 'Versioned',
      definition: { trigger: { kind: 'case_opened' }, steps: [{ kind: 'wait', days: 2 }, step('Old step')] },
    });
    let play = await t.services.playbooks.update(SYSTEM_ACTOR, created.id, {
      active: true,
      version: created.version,
    });
    const runner = runnerFor(t);
    await t.services.riskCases.open(SYSTEM_ACTOR, {
      accountId: book.accounts[0]?.id ?? 0,
      reasons: ['poor_engagement'],
    });
    await runner.drain();
    play = await t.services.playbooks.update(SYSTEM_ACTOR, play.id, {
      version: play.version,
      definition: { trigger: { kind: 'case_opened' }, steps: [step('New step')] },
    });
    expect(play.definitionVersion).toBe(2);
    await expect(
      t.services.playbooks.update(SYSTEM_ACTOR, play.id, { version: created.version, name: 'stale' }),
    ).rejects.toMatchObject({ code: 'VERSION_CONFLICT' });
    await t.services.riskCases.open(SYSTEM_ACTOR, {
      accountId: book.accounts[1]?.id ?? 0,
      reasons: ['poor_engagement'],
    });
    t.clock.advanceDays(2);
    await runner.drain();
    expect((await tasksOf(t, book.accounts[0]?.id ?? 0)).map((x) => x.title)).toEqual(['Old step']);
    expect((await tasksOf(t, book.accounts[1]?.id ?? 0)).map((x) => x.title)).toEqual(['New step']);
    expect((await runsOf(t, 'versioned')).map((r) => r.playVersion).sort()).toEqual([1, 2]);
  });

  it('a dry run lists who would enter now, with the control group split, before activation', async () => {
    const t = current();
    const book = await buildTinyBook(t);
    const play = await t.services.playbooks.get('champion_loss', SYSTEM_ACTOR);
    const before = await t.services.playbooks.dryRun(play.id);
    expect(before.total).toBe(0);
    const preview = await t.services.playbooks.dryRun(play.id, {
      trigger: { kind: 'reason_added', reason: 'product_adoption' },
      conditions: 'attributes.region = "EMEA"',
      steps: [{ kind: 'wait', days: 1 }],
      holdoutPercent: 50,
    });
    // Open cases with that reason, A-3 (EMEA); B-1, B-2 are closed.
    expect(preview.accounts.map((a) => a.externalId).sort()).toEqual(['A-1', 'A-2', 'A-3']);
    expect(preview.treated + preview.holdout).toBe(3);
    expect((await t.services.playbooks.get('champion_loss', SYSTEM_ACTOR)).active).toBe(false);
    expect(book.accounts).toHaveLength(6);
  });

  it('rejects definitions naming things that do not exist, with the field', async () => {
    const t = current();
    await buildTinyBook(t, { cases: false });
    const bad = (definition: unknown) =>
      t.services.playbooks.create(SYSTEM_ACTOR, { name: 'Bad', definition });
    await expect(
      bad({ trigger: { kind: 'stage_changed', to: 'nowhere' }, steps: [{ kind: 'wait', days: 1 }] }),
    ).rejects.toMatchObject({ code: 'VALIDATION_FAILED', details: { field: 'definition.trigger.to' } });
    await expect(
      bad({ trigger: { kind: 'segment_entered', segment: 'nope' }, steps: [{ kind: 'wait', days: 1 }] }),
    ).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
    await expect(
      bad({ trigger: { kind: 'case_opened' }, conditions: 'seats > 3', steps: [{ kind: 'wait', days: 1 }] }),
    ).rejects.toMatchObject({
      code: 'VALIDATION_FAILED',
      message: expect.stringContaining('definition.conditions') as unknown,
    });
    await expect(bad({ trigger: { kind: 'case_opened' }, steps: [] })).rejects.toMatchObject({
      code: 'VALIDATION_FAILED',
    });
    await expect(
      t.services.playbooks.create(
        { userId: null, role: 'lead', teamId: null, label: 'lead' },
        { name: 'x', definition: { trigger: { kind: 'case_opened' }, steps: [{ kind: 'wait', days: 1 }] } },
      ),
    ).rejects.toMatchObject({ code: 'FORBIDDEN' });
  });
});

forEachStore('play email', (current) => {
  it('is text and HTML with one-click unsubscribe; an unsubscribed contact gets no more play email', async () => {
    const t = current();
    const book = await buildTinyBook(t, { cases: false });
    const account = await addContacts(t, book, 'A-1');
    const play = await t.services.playbooks.create(SYSTEM_ACTOR, {
      key: 'check_in_email',
      name: 'Check-in email',
      definition: {
        trigger: { kind: 'touchpoint_logged', reason: 'Check-in' },
        steps: [
          {
            kind: 'email',
            to: 'contacts',
            subject: 'How is {{account.name}} doing?',
            body: 'Hello {{contact.name}},\n\nTell us <how> it goes: https://help.example.com/start.\n\nThe CS team',
          },
        ],
      },
    });
    await t.services.playbooks.update(SYSTEM_ACTOR, play.id, { active: true, version: play.version });
    const checkIn = () =>
      ingest(t, [
        {
          kind: 'touchpoint',
          account: 'A-1',
          occurredAt: at(t),
          data: { channel: 'email', reason: 'Check-in' },
        },
      ]);
    await checkIn();
    await runnerFor(t).drain();
    const smtp = sinks.smtp();
    expect(smtp.received.map((m) => m.to[0]).sort()).toEqual(['champion@a-1.example', 'user@a-1.example']);
    const mail = smtp.received.find((m) => m.to[0] === 'user@a-1.example');
    if (!mail) throw new Error('no email to the user');
    expect(mail.subject).toBe('How is Acme Analytics doing?');
    expect(mail.text).toMatch(/^Hello Uma User,/);
    expect(mail.html).toContain('<p>Tell us &lt;how&gt; it goes: <a href="https://help.example.com/start">');
    expect(mail.headers.get('reply-to')).toBe('csm.a@example.com');
    expect(mail.messageId).toMatch(/@example\.com>$/);
    expect(mail.headers.get('list-unsubscribe-post')).toBe('List-Unsubscribe=One-Click');
    const link = /<(http[^>]+)>/.exec(mail.headers.get('list-unsubscribe') ?? '')?.[1];
    if (!link) throw new Error('no List-Unsubscribe link');
    expect(mail.text).toContain(link);
    const { pathname, search } = new URL(link);

    const app = await buildApp(t.services, { webRoot: false });
    try {
      // Opening the link asks first: a mail scanner that follows it unsubscribes nobody.
      const asked = await app.inject({ method: 'GET', url: `${pathname}${search}` });
      expect(asked.statusCode).toBe(200);
      expect(asked.body).toContain('user@a-1.example');
      expect(await t.services.emailPreferences.list()).toEqual([]);
      const forged = await app.inject({
        method: 'POST',
        url: `${pathname}?token=${Buffer.from('champion@a-1.example').toString('base64url')}.${search.split('.')[1] ?? ''}`,
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        payload: 'List-Unsubscribe=One-Click',
      });
      expect(forged.statusCode).toBe(400);
      // What a mail client's one-click button sends (RFC 8058).
      const clicked = await app.inject({
        method: 'POST',
        url: `${pathname}${search}`,
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        payload: 'List-Unsubscribe=One-Click',
      });
      expect(clicked.statusCode).toBe(200);
      expect(await t.services.emailPreferences.list()).toMatchObject([
        { email: 'user@a-1.example', source: 'one_click' },
      ]);
    } finally {
      await app.close();
    }

    t.clock.advanceDays(1);
    await checkIn();
    await runnerFor(t).drain();
    expect(smtp.received.map((m) => m.to[0]).sort()).toEqual([
      'champion@a-1.example',
      'champion@a-1.example',
      'user@a-1.example',
    ]);
    expect(account.externalId).toBe('A-1');
  });
});

forEachStore('play webhook', (current) => {
  it('posts Slack Block Kit with filled-in values escaped by Slack rules, so a name cannot ping a channel', async () => {
    const t = current();
    await buildTinyBook(t, { cases: false });
    await allowLocalSinks(t.services);
    const hostile = await t.services.accounts.create(SYSTEM_ACTOR, {
      externalId: 'X-1',
      name: 'AT&T <Labs> <!channel> <https://evil.example|click>',
      arr: 1000,
    });
    const play = await t.services.playbooks.create(SYSTEM_ACTOR, {
      name: 'Slack alert',
      definition: {
        trigger: { kind: 'case_opened' },
        steps: [
          {
            kind: 'webhook',
            url: sinks.hooks().url,
            text: 'New case: {{account.name}}',
            blocks: [
              { type: 'header', text: { type: 'plain_text', text: '{{account.name}}' } },
              { type: 'section', text: { type: 'mrkdwn', text: '*At risk:* {{account.name}} <@U024BE7LH>' } },
            ],
          },
        ],
      },
    });
    await t.services.playbooks.update(SYSTEM_ACTOR, play.id, { active: true, version: play.version });
    await t.services.riskCases.open(SYSTEM_ACTOR, { accountId: hostile.id, reasons: ['poor_engagement'] });
    await runnerFor(t).drain();
    const escaped = 'AT&amp;T &lt;Labs&gt; &lt;!channel&gt; &lt;https://evil.example|click&gt;';
    expect(sinks.hooks().received.map((hook) => hook.body)).toEqual([
      {
        text: `New case: ${escaped}`,
        blocks: [
          {
            type: 'header',
            text: { type: 'plain_text', text: 'AT&T <Labs> <!channel> <https://evil.example|click>' },
          },
          // The author's own mention stays a mention; the account's name is only text.
          { type: 'section', text: { type: 'mrkdwn', text: `*At risk:* ${escaped} <@U024BE7LH>` } },
        ],
      },
    ]);
  });
});

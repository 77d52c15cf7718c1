import { expect, it } from 'vitest';
import type { Actor } from '../../src/domain/policy';
import { generateDemoBook } from '../../src/services/demo';
import { createTestStore, forEachStore, type TestStore } from '../helpers/stores';

async function collect(chunks: AsyncIterable<string>): Promise<string> {
  let text = '';
  for await (const chunk of chunks) text += chunk;
  return text;
}

const exportBook = async (t: TestStore) =>
  [
    await collect(t.services.exports.accounts('csv')),
    await collect(t.services.exports.contacts('csv')),
    await collect(t.services.exports.cases('csv')),
  ].join('\n');

forEachStore('demo book', (current) => {
  it('is the same book for the same seed, and a realistic tech-touch book', async () => {
    const t = current();
    const summary = await generateDemoBook(t.services, {
      accounts: 1000,
      seed: 11,
      password: 'demo-password',
    });
    expect(summary).toMatchObject({ accounts: 1000, users: 17, adminEmail: 'admin@retain.demo' });

    const twin = await createTestStore(t.kind);
    try {
      // The twin skips the weeks of activity: the book itself (accounts, contacts, cases) is what must match.
      await generateDemoBook(twin.services, {
        accounts: 1000,
        seed: 11,
        password: 'demo-password',
        activityWeeks: 0,
      });
      expect(await exportBook(twin)).toBe(await exportBook(t));
    } finally {
      await twin.destroy();
    }

    // About 8% of accounts carry an open case, spread over every open stage.
    expect(summary.openCases).toBeGreaterThanOrEqual(60);
    expect(summary.openCases).toBeLessThanOrEqual(100);
    const open = await t.services.riskCases.worklist({ limit: 500 });
    expect(new Set(open.items.map((item) => item.stage.key))).toEqual(
      new Set(['at_risk', 'plan_in_place', 'saving']),
    );
    const closed = await t.services.riskCases.worklist({ status: 'closed', limit: 500 });
    expect(new Set(closed.items.map((item) => item.outcome))).toEqual(new Set(['recovered', 'lost']));
    expect(open.items.some((item) => item.updateOverdue)).toBe(true);
    expect(open.items.some((item) => !item.updateOverdue)).toBe(true);
    const oldest = Math.max(
      ...closed.items.map((item) => Date.parse(t.clock.now().toISOString()) - Date.parse(item.openedAt)),
    );
    expect(oldest / 86_400_000).toBeGreaterThan(120);

    // Lognormal ARR: a long right tail, so the mean sits well above the median.
    const accounts = (await t.services.accounts.list({}, 'arr', { limit: 1000, offset: 0 })).items;
    const arr = accounts.map((account) => account.arr).sort((a, b) => a - b);
    const median = arr[500] ?? 0;
    const mean = arr.reduce((sum, value) => sum + value, 0) / arr.length;
    expect(mean).toBeGreaterThan(median * 1.2);
    // Renewals spread over the coming year, owners across a dozen CSMs in three teams.
    const months = new Set(accounts.map((account) => account.renewalDate?.slice(0, 7)));
    expect(months.size).toBeGreaterThanOrEqual(12);
    expect(new Set(accounts.map((account) => account.ownerEmail)).size).toBe(12);
    expect(new Set(accounts.map((account) => account.teamName)).size).toBe(3);

    // Twelve weeks of signals, scored week by week: every account has a 13-point history, and the
    // accounts at risk score well below those without a case.
    const average = (values: number[]) => values.reduce((sum, value) => sum + value, 0) / values.length;
    const atRisk = open.items.map((item) => item.health?.score ?? 100);
    const withCase = new Set([...open.items, ...closed.items].map((item) => item.accountId));
    const healthy = await Promise.all(
      accounts
        .filter((account) => !withCase.has(account.id))
        .slice(0, 40)
        .map((account) => t.services.health.accountHealth(account.id)),
    );
    expect(healthy.every((health) => health.history.length === 13)).toBe(true);
    expect(average(healthy.map((health) => health.current?.score ?? 0))).toBeGreaterThan(
      average(atRisk) + 20,
    );
    const signals = await t.services.signals.listForAccount(open.items[0]!.accountId, { limit: 100 });
    expect(new Set(signals.map((signal) => signal.kind))).toContain('usage');
  });

  it('reads like a real book: tasks from plays, varied LTV, reasons, updates and last activity', async () => {
    const t = current();
    await generateDemoBook(t.services, { accounts: 1000, seed: 11, password: 'demo-password' });
    const admin = (await t.services.users.listUsers()).find((user) => user.role === 'admin');
    if (!admin) throw new Error('the demo has an admin');
    const actor: Actor = { userId: admin.id, role: 'admin', teamId: null, label: admin.email };
    const open = (await t.services.riskCases.worklist({ limit: 500 })).items;

    // Plays ran over the book's history: every CSM with open cases has something open in the
    // inbox, some tasks are done and some are overdue.
    const owners = new Set(
      open.flatMap((item) => (item.account.ownerId === null ? [] : [item.account.ownerId])),
    );
    const page = { limit: 1, offset: 0 };
    for (const owner of owners) {
      const inbox = await t.services.tasks.inbox(actor, { assignee: owner, state: 'open' }, page);
      expect.soft(inbox.total, `open tasks of user ${owner}`).toBeGreaterThan(0);
    }
    const allDone = await Promise.all(
      [...owners].map((owner) => t.services.tasks.inbox(actor, { assignee: owner, state: 'done' }, page)),
    );
    expect.soft(allDone.reduce((sum, inbox) => sum + inbox.total, 0)).toBeGreaterThan(0);
    const allOverdue = await Promise.all(
      [...owners].map((owner) => t.services.tasks.inbox(actor, { assignee: owner, state: 'overdue' }, page)),
    );
    expect.soft(allOverdue.reduce((sum, inbox) => sum + inbox.total, 0)).toBeGreaterThan(0);

    // LTV follows each account's own figures, not one multiple of ARR.
    const ratios = open.map((item) => item.ltv / item.arrAtRisk);
    expect.soft(new Set(ratios.map((ratio) => ratio.toFixed(2))).size).toBeGreaterThanOrEqual(30);
    expect.soft(Math.min(...ratios)).toBeGreaterThanOrEqual(1.5);
    expect.soft(Math.max(...ratios)).toBeLessThanOrEqual(8);

    // Weekly updates differ from week to week and from case to case.
    const texts = new Set<string>();
    const sentences = new Set<string>();
    for (const item of open) {
      const detail = await t.services.riskCases.get(item.id);
      const said = detail.updates.map(
        (update) => `${update.background}|${update.doneSoFar}|${update.nextSteps}`,
      );
      for (let i = 1; i < said.length; i += 1) expect.soft(said[i], `case ${item.id}`).not.toBe(said[i - 1]);
      for (const text of said) texts.add(text);
      for (const update of detail.updates) sentences.add(update.doneSoFar).add(update.nextSteps);
    }
    expect.soft(texts.size).toBeGreaterThanOrEqual(150);
    // Dozens of distinct sentences, not the same handful everywhere.
    expect.soft(sentences.size).toBeGreaterThanOrEqual(100);

    // Days since last activity varies: mostly within a month, some longer, never all the same.
    const accounts = (await t.services.accounts.list({}, 'arr', { limit: 1000, offset: 0 })).items;
    const days: number[] = [];
    for (const account of accounts.filter((_, i) => i % 5 === 0)) {
      const health = await t.services.health.accountHealth(account.id);
      const value = health.current?.components.find((part) => part.key === 'days_since_activity')?.value;
      if (typeof value === 'number') days.push(value);
    }
    expect.soft(days.length).toBeGreaterThan(150);
    expect.soft(days.filter((value) => value >= 0 && value <= 30).length / days.length).toBeGreaterThan(0.8);
    expect.soft(days.some((value) => value > 30)).toBe(true);
    expect.soft(new Set(days).size).toBeGreaterThan(5);

    // The day's detection run (as the server does on start) leaves a mix of reasons like a real book:
    // none on more than ~40% of open cases, every reason in use, some cases with two or three.
    await t.services.detection.evaluate();
    const after = (await t.services.riskCases.worklist({ limit: 500 })).items;
    const share = new Map<string, number>();
    for (const item of after)
      for (const reason of item.reasons)
        share.set(reason.name, (share.get(reason.name) ?? 0) + 1 / after.length);
    const reasons = await t.services.config.listReasons();
    expect.soft([...share.keys()].sort()).toEqual(reasons.map((reason) => reason.name).sort());
    for (const [name, part] of share) expect.soft(part, name).toBeLessThanOrEqual(0.4);
    expect.soft(after.filter((item) => item.reasons.length >= 2).length).toBeGreaterThan(after.length * 0.15);
    expect.soft(after.some((item) => item.reasons.length === 3)).toBe(true);
  });
});

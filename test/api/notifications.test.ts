// The inbox over HTTP: your own notifications only (another's id is not found, never forbidden),
// the unread count and filter, one read and all read, tasks given by hand, and the change stream
// telling a user of their own notifications and nobody else of them.
import { afterEach, expect, it } from 'vitest';
import type { Notification } from '../../src/services/notifications';
import { forEachStore } from '../helpers/stores';
import { apiWorld, errorCode, type ApiWorld } from './helpers';

const V1 = '/api/v1';

let open: ApiWorld | null = null;
afterEach(async () => {
  await open?.app.close();
  open = null;
});

interface Inbox {
  total: number;
  unread: number;
  items: Notification[];
}

/** The change entries a caller's stream replays from the start. */
async function streamOf(w: ApiWorld, who: 'csmA' | 'csmB' | 'admin') {
  const response = await w.as(who, { method: 'GET', url: `${V1}/events?follow=false&after=0` });
  return response.body
    .split('\n')
    .filter((line) => line.startsWith('data: '))
    .map(
      (line) =>
        JSON.parse(line.slice(6)) as { entityType: string; entityId: string; accountId: number | null },
    );
}

forEachStore('notifications API', (current) => {
  it("lists only your own, with the unread count; reads one and all; 404 for anyone else's", async () => {
    const t = current();
    const w = await apiWorld(t, { cases: false });
    open = w;
    const [acme, birch, , delta] = w.book.accounts;
    if (!acme || !birch || !delta) throw new Error('tiny book is missing accounts');
    for (const account of [acme, delta]) {
      const opened = await w.as('admin', {
        method: 'POST',
        url: `${V1}/risk-cases`,
        payload: { accountId: account.id, reasons: ['product_adoption'] },
      });
      expect(opened.statusCode).toBe(201);
    }
    const task = await w.as('admin', {
      method: 'POST',
      url: `${V1}/tasks`,
      payload: {
        accountId: birch.id,
        assigneeId: w.book.users.csmA.id,
        title: 'Call the sponsor',
        dueInDays: 2,
      },
    });
    expect(task.statusCode).toBe(201);
    const taskId = task.json<{ id: number }>().id;

    const mine = (await w.as('csmA', { method: 'GET', url: `${V1}/notifications` })).json<Inbox>();
    expect(mine).toMatchObject({ total: 2, unread: 2 });
    expect(mine.items.map((item) => [item.kind, item.title, item.accountName, item.taskId])).toEqual([
      ['task_assigned', 'New task on Birch Bakery', 'Birch Bakery', taskId],
      ['case_opened', 'New risk case on Acme Analytics', 'Acme Analytics', null],
    ]);
    const theirs = (await w.as('csmB', { method: 'GET', url: `${V1}/notifications` })).json<Inbox>();
    expect(theirs.items.map((item) => item.accountName)).toEqual(['Delta Dental']);
    const [newest, oldest] = mine.items;
    const other = theirs.items[0];
    if (!newest || !oldest || !other) throw new Error('notifications missing');

    // Another's notification is not found, for every role, and stays unread.
    for (const who of ['csmA', 'leadA', 'admin', 'viewer'] as const) {
      const response = await w.as(who, { method: 'POST', url: `${V1}/notifications/${other.id}/read` });
      expect({ who, status: response.statusCode, code: errorCode(response) }).toEqual({
        who,
        status: 404,
        code: 'NOTIFICATION_NOT_FOUND',
      });
    }
    const missing = await w.as('csmA', { method: 'POST', url: `${V1}/notifications/999999/read` });
    expect(missing.statusCode).toBe(404);
    expect((await w.as('csmB', { method: 'GET', url: `${V1}/notifications` })).json<Inbox>().unread).toBe(1);

    const read = await w.as('csmA', { method: 'POST', url: `${V1}/notifications/${oldest.id}/read` });
    expect(read.statusCode).toBe(200);
    expect(read.json()).toEqual({ id: oldest.id, readAt: t.clock.now().toISOString() });
    const unread = (
      await w.as('csmA', { method: 'GET', url: `${V1}/notifications?unread=true&limit=1` })
    ).json<Inbox>();
    expect(unread).toMatchObject({ total: 1, unread: 1 });
    expect(unread.items.map((item) => item.id)).toEqual([newest.id]);
    const paged = (
      await w.as('csmA', { method: 'GET', url: `${V1}/notifications?limit=1&offset=1` })
    ).json<Inbox>();
    expect(paged).toMatchObject({ total: 2, unread: 1 });
    expect(paged.items.map((item) => [item.id, item.readAt !== null])).toEqual([[oldest.id, true]]);

    const all = await w.as('csmA', { method: 'POST', url: `${V1}/notifications/read-all` });
    expect(all.json()).toEqual({ marked: 1 });
    expect((await w.as('csmA', { method: 'GET', url: `${V1}/notifications` })).json<Inbox>().unread).toBe(0);
    expect((await w.as('csmB', { method: 'GET', url: `${V1}/notifications` })).json<Inbox>().unread).toBe(1);
    // The viewer has an inbox too, empty here.
    expect((await w.as('viewer', { method: 'GET', url: `${V1}/notifications` })).json<Inbox>()).toEqual({
      total: 0,
      unread: 0,
      items: [],
    });
    const bad = await w.as('csmA', { method: 'GET', url: `${V1}/notifications?unread=yes` });
    expect(bad.statusCode).toBe(400);
  });

  it('a task by hand: only on accounts you may work on, for an active user, with a title', async () => {
    const t = current();
    const w = await apiWorld(t, { cases: false });
    open = w;
    const delta = w.book.accounts[3]?.id ?? 0;
    const give = (who: 'csmA' | 'csmB' | 'leadA', payload: Record<string, unknown>) =>
      w.as(who, { method: 'POST', url: `${V1}/tasks`, payload });
    expect(
      (await give('csmA', { accountId: delta, assigneeId: w.book.users.csmA.id, title: 'x' })).statusCode,
    ).toBe(403);
    const blank = await give('csmB', { accountId: delta, assigneeId: w.book.users.csmB.id, title: '  ' });
    expect(blank.statusCode).toBe(400);
    const nobody = await give('csmB', { accountId: delta, assigneeId: 999999, title: 'Call' });
    expect({ status: nobody.statusCode, code: errorCode(nobody) }).toEqual({
      status: 400,
      code: 'VALIDATION_FAILED',
    });
    const noAccount = await give('csmB', {
      accountId: 999999,
      assigneeId: w.book.users.csmB.id,
      title: 'Call',
    });
    expect(noAccount.statusCode).toBe(404);
    const given = await give('csmB', {
      accountId: delta,
      assigneeId: w.book.users.leadA.id,
      title: 'Look at Delta',
    });
    expect(given.statusCode).toBe(201);
    expect(given.json()).toMatchObject({
      title: 'Look at Delta',
      assigneeEmail: 'lead.a@example.com',
      dueAt: '2026-03-09T09:00:00.000Z',
    });
    const lead = (await w.as('leadA', { method: 'GET', url: `${V1}/notifications` })).json<Inbox>();
    expect(lead.items.map((item) => [item.kind, item.summary])).toEqual([
      ['task_assigned', 'Look at Delta.'],
    ]);
  });

  it('the change stream tells a user of their own notifications and nobody else of them', async () => {
    const t = current();
    const w = await apiWorld(t, { cases: false });
    open = w;
    const acme = w.book.accounts[0]?.id ?? 0;
    await w.as('admin', {
      method: 'POST',
      url: `${V1}/risk-cases`,
      payload: { accountId: acme, reasons: ['product_adoption'] },
    });
    const csmA = String(w.book.users.csmA.id);
    const ownEntries = (await streamOf(w, 'csmA')).filter((change) => change.entityType === 'notification');
    expect(ownEntries).toEqual([expect.objectContaining({ entityId: csmA, accountId: null })]);
    for (const who of ['csmB', 'admin'] as const)
      expect((await streamOf(w, who)).filter((change) => change.entityType === 'notification')).toEqual([]);
    // What the stream carries names no notification's content.
    const raw = await w.as('csmA', { method: 'GET', url: `${V1}/events?follow=false&after=0` });
    expect(raw.body).not.toContain('New risk case');
  });
});

// Saved segments on a real store: filters compiled to SQL give the members a reader expects, the
// same on SQLite and PostgreSQL, and membership changes are recorded as entries and exits.
import { expect, it } from 'vitest';
import { SYSTEM_ACTOR } from '../../src/domain/policy';
import type { MembershipChange } from '../../src/services/saved-segments';
import { createServices } from '../../src/services';
import { openStore } from '../../src/store/db';
import { buildTinyBook, type TinyBook } from '../helpers/book';
import { forEachStore, type TestStore } from '../helpers/stores';

/**
 * The tiny book (cases: A-1 at risk since 03-02, A-2 opened 03-02 and in plan since 03-04, A-3 saving since
 * 03-08, B-1 recovered, B-2 lost; now 03-16) plus: A-1 renews in April and has 25 seats, A-2 has
 * "many" seats, B-3 answered NPS 8 and opened six tickets this month.
 */
async function book(t: TestStore): Promise<TinyBook & { ids: Record<string, number> }> {
  const tiny = await buildTinyBook(t);
  const ids = Object.fromEntries(tiny.accounts.map((a) => [a.externalId, a.id]));
  const a1 = tiny.accounts[0];
  const a2 = tiny.accounts[1];
  if (!a1 || !a2) throw new Error('tiny book changed');
  await t.services.accounts.update(SYSTEM_ACTOR, a1.id, {
    renewalDate: '2026-04-15',
    attributes: { ...a1.attributes, seats: '25' },
  });
  await t.services.accounts.update(SYSTEM_ACTOR, a2.id, { attributes: { ...a2.attributes, seats: 'many' } });
  await t.services.signals.ingest(SYSTEM_ACTOR, [
    { kind: 'nps', account: 'B-3', occurredAt: '2026-03-10T10:00:00Z', data: { score: 8 } },
    ...Array.from({ length: 6 }, (_, i) => ({
      kind: 'ticket',
      account: 'B-3',
      occurredAt: `2026-03-${String(i + 3).padStart(2, '0')}T10:00:00Z`,
      data: { ticketId: `T-${i}`, action: 'opened', priority: 'normal' },
    })),
  ]);
  return { ...tiny, ids };
}

forEachStore('saved segments', (current) => {
  it('selects the accounts each filter describes', async () => {
    const t = current();
    const { ids } = await book(t);
    expect(t.clock.now().toISOString()).toBe('2026-03-16T09:00:00.000Z');
    const members = async (filter: string) => {
      const names = new Map(Object.entries(ids).map(([external, id]) => [id, external]));
      const preview = await t.services.segments.preview(filter, { limit: 100, offset: 0 });
      const found = preview.items.map((a) => names.get(a.id)).sort();
      expect(preview.count).toBe(found.length);
      return found;
    };
    expect(await members('tier = "enterprise"')).toEqual(['A-3', 'B-3']);
    expect(await members('arr >= 15000 and attributes.region = "NA"')).toEqual(['B-1', 'B-3']);
    expect(await members('risk.stage is not empty')).toEqual(['A-1', 'A-2', 'A-3']);
    expect(await members('risk.stage in ("saving", "plan_in_place")')).toEqual(['A-2', 'A-3']);
    expect(await members('not (risk.stage is not empty)')).toEqual(['B-1', 'B-2', 'B-3']);
    expect(await members('risk.reason = "product_adoption" and not risk.stage = "at_risk"')).toEqual([
      'A-2',
      'A-3',
    ]);
    expect(await members('owner = "CSM.B@example.com"')).toEqual(['B-1', 'B-2', 'B-3']);
    expect(await members('team = "Team A" or arr > 50000')).toEqual(['A-1', 'A-2', 'A-3', 'B-3']);
    expect(await members('renewal within 60 days')).toEqual(['A-1']);
    expect(await members('renewal > "2026-05-01"')).toEqual(['A-2', 'A-3', 'B-1', 'B-2', 'B-3']);
    expect(await members('tickets.opened(30d) > 5')).toEqual(['B-3']);
    expect(await members('tickets.opened(7d) > 5')).toEqual([]);
    expect(await members('tickets.opened(30d) = 0')).toEqual(['A-1', 'A-2', 'A-3', 'B-1', 'B-2']);
    // Days in stage count whole days: A-1 14, A-2 12, A-3 8.
    expect(await members('risk.days_in_stage > 12')).toEqual(['A-1']);
    expect(await members('risk.days_in_stage = 12')).toEqual(['A-2']);
    expect(await members('risk.days_in_stage <= 8')).toEqual(['A-3']);
    expect(await members('risk.days_open >= 14')).toEqual(['A-1', 'A-2']);
    expect(await members('risk.days_open < 14')).toEqual(['A-3']);
    // An attribute compares as a number only where it is one.
    expect(await members('attributes.seats > 10')).toEqual(['A-1']);
    expect(await members('attributes.seats = "many"')).toEqual(['A-2']);
    expect(await members('attributes.seats is empty')).toEqual(['A-3', 'B-1', 'B-2', 'B-3']);
    // Missing data never matches a comparison, and "not" is its exact complement.
    expect(await members('health.score >= 0')).toEqual(['B-3']);
    expect(await members('not (health.score >= 0)')).toEqual(['A-1', 'A-2', 'A-3', 'B-1', 'B-2']);
    expect(await members('risk.quadrant = "unplaced"')).toEqual(['A-1', 'A-2', 'A-3']);
    await expect(t.services.segments.preview('arr > "x"')).rejects.toMatchObject({ code: 'INVALID_FILTER' });
  });

  it('records who enters and leaves, on refresh and after an ingest, and tells listeners', async () => {
    const t = current();
    const { ids, cases, actors } = await book(t);
    const heard: MembershipChange[] = [];
    t.services.segments.onMembershipChanged((changes) => {
      heard.push(...changes);
      return Promise.resolve();
    });
    const segment = await t.services.segments.create(actors.leadA, {
      name: 'Team A at risk',
      filter: 'team = "Team A" and risk.stage is not empty',
    });
    // Saving it counts its members at once.
    expect(segment).toMatchObject({ key: 'team_a_at_risk', liveCount: 3, memberCount: 3 });
    await expect(
      t.services.segments.create(actors.csmA, { name: 'Mine', filter: 'arr > 1' }),
    ).rejects.toMatchObject({ code: 'FORBIDDEN' });
    await expect(
      t.services.segments.create(actors.leadA, { name: 'Broken', filter: 'arr > ' }),
    ).rejects.toMatchObject({ code: 'INVALID_FILTER' });

    expect(await t.services.segments.refresh({ segmentIds: [segment.id] })).toEqual([
      { segmentId: segment.id, key: 'team_a_at_risk', entered: 0, left: 0, members: 3 },
    ]);

    t.clock.advanceDays(1);
    await t.services.riskCases.moveStage(actors.leadA, cases.at_risk ?? 0, { stage: 'closed_recovered' });
    const second = await t.services.segments.refresh({ segmentIds: [segment.id] });
    expect(second[0]).toMatchObject({ entered: 0, left: 1, members: 2 });
    const history = await t.services.segments.history(segment.id, { limit: 10, offset: 0 });
    expect(history.map((e) => [e.kind, e.externalId])).toEqual([
      ['left', 'A-1'],
      ['entered', 'A-3'],
      ['entered', 'A-2'],
      ['entered', 'A-1'],
    ]);
    expect(heard.filter((c) => c.segmentId === segment.id).map((c) => [c.entered.length, c.left])).toEqual([
      [3, []],
      [0, [ids['A-1']]],
    ]);

    // A signal that pushes an account into a seeded segment enters it at once.
    const spike = (await t.services.segments.list()).find((s) => s.key === 'ticket_spike');
    if (!spike) throw new Error('ticket_spike is seeded');
    await t.services.segments.refresh({ segmentIds: [spike.id] });
    await t.services.signals.ingest(SYSTEM_ACTOR, [
      {
        kind: 'ticket',
        account: 'A-2',
        occurredAt: '2026-03-16T10:00:00Z',
        data: { ticketId: 'X-1', action: 'opened', priority: 'high' },
      },
      ...Array.from({ length: 5 }, (_, i) => ({
        kind: 'ticket',
        account: 'A-2',
        occurredAt: '2026-03-16T11:00:00Z',
        data: { ticketId: `X-${i + 2}`, action: 'opened', priority: 'normal' },
      })),
    ]);
    const spikeHistory = await t.services.segments.history(spike.id, { limit: 10, offset: 0 });
    expect(spikeHistory.map((e) => [e.kind, e.externalId])).toEqual([
      ['entered', 'A-2'],
      ['entered', 'B-3'],
    ]);
    expect(
      (await t.services.segments.accountHistory(ids['A-2'] ?? 0, { limit: 10, offset: 0 })).map(
        (e) => e.kind,
      ),
    ).toContain('entered');

    // Editing needs the current version.
    await expect(
      t.services.segments.update(actors.leadA, segment.id, { name: 'Renamed', version: 99 }),
    ).rejects.toMatchObject({ code: 'VERSION_CONFLICT' });
    const renamed = await t.services.segments.update(actors.leadA, segment.id, {
      name: 'Renamed',
      version: 1,
    });
    expect(renamed).toMatchObject({ name: 'Renamed', version: 2 });
  });

  it('seeds the segments a CS team starts from, with live counts', async () => {
    const t = current();
    await book(t);
    const seeded = await t.services.segments.list({ live: true });
    expect(seeded.map((s) => s.key).sort()).toEqual([
      'accounts_at_risk',
      'at_risk_renewing',
      'gone_quiet',
      'health_dropping',
      'high_value_at_risk',
      'poor_health',
      'renewing_90_days',
      'ticket_spike',
    ]);
    const count = (key: string) => seeded.find((s) => s.key === key)?.liveCount;
    expect(count('accounts_at_risk')).toBe(3);
    expect(count('high_value_at_risk')).toBe(1);
    expect(count('at_risk_renewing')).toBe(1);
    expect(count('ticket_spike')).toBe(1);
    // Each live count in the list agrees with the segment counted alone.
    for (const segment of seeded)
      expect((await t.services.segments.get(segment.id, { live: true })).liveCount, segment.key).toBe(
        segment.liveCount,
      );
    // Once refreshed, the list's member counts are the live ones.
    await t.services.segments.refresh();
    for (const segment of await t.services.segments.list())
      expect(segment.memberCount, segment.key).toBe(count(segment.key));
  });
});

forEachStore('saved segments refreshed by two processes at once', (current) => {
  it('records each entry once when two refreshes of the same accounts race', async () => {
    const t = current();
    // Saved before the accounts exist, so that the racing refreshes are the ones to let them in.
    const segment = await t.services.segments.create(SYSTEM_ACTOR, {
      name: 'Mid-size',
      filter: 'arr >= 10000 and tickets.opened(30d) < 1', // reads activity, so an ingest refreshes it
    });
    expect(segment.memberCount).toBe(0);
    const book = await buildTinyBook(t, { cases: false });
    // On PostgreSQL a second pool races for real. SQLite serialises writers: one process has one
    // connection, and separate processes take the write lock in turn (BEGIN IMMEDIATE).
    const otherStore = await openStore(t.target);
    const other = t.kind === 'postgres' ? createServices(otherStore, t.clock) : t.services;
    try {
      const ids = book.accounts.map((account) => account.id);
      for (let round = 0; round < 5; round += 1) {
        await Promise.all([
          t.services.segments.refresh({ accountIds: ids }),
          other.segments.refresh({ accountIds: ids }),
          other.segments.refresh({ accountIds: ids }),
        ]);
      }
    } finally {
      await otherStore.close();
    }
    // A-1 48k, A-3 120k, B-1 15k, B-3 60k.
    const history = await t.services.segments.history(segment.id, { limit: 100, offset: 0 });
    expect(history.map((event) => `${event.kind} ${event.externalId}`).sort()).toEqual([
      'entered A-1',
      'entered A-3',
      'entered B-1',
      'entered B-3',
    ]);
    expect((await t.services.segments.get(segment.id)).memberCount).toBe(4);
  });
});

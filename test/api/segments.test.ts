// What the Segments screens rely on: a preview that says where a filter goes wrong and shows the
// first matching accounts with their health, one segment's membership refreshed on demand (its
// entries then in its history), and a change refused when someone else changed the segment first.
import { expect, it } from 'vitest';
import { SYSTEM_ACTOR } from '../../src/domain/policy';
import { apiWorld, errorCode } from './helpers';
import { forEachStore } from '../helpers/stores';

const V1 = '/api/v1';

interface Member {
  externalId: string;
  arr: number;
  health: { score: number; band: string } | null;
}

forEachStore('segments screens over HTTP', (current) => {
  it('previews a filter with each account’s health, or says where the filter goes wrong', async () => {
    const t = current();
    const w = await apiWorld(t);
    const bad = await w.as('viewer', {
      method: 'POST',
      url: `${V1}/segments/preview`,
      payload: { filter: 'arr > 10000 and tier = ' },
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.json()).toMatchObject({ error: { code: 'INVALID_FILTER', details: { position: 24 } } });

    const before = await w.as('viewer', {
      method: 'POST',
      url: `${V1}/segments/preview?limit=2`,
      payload: { filter: 'arr >= 48000' },
    });
    expect(before.json()).toEqual({
      count: 3,
      items: [
        expect.objectContaining({ externalId: 'A-1', arr: 48_000, health: null }),
        expect.objectContaining({ externalId: 'A-3', arr: 120_000, health: null }),
      ],
    });

    // An NPS answer scores the two accounts (scoring follows every ingest).
    const at = new Date(t.clock.now().getTime() - 86_400_000).toISOString();
    await t.services.signals.ingest(
      SYSTEM_ACTOR,
      ['A-1', 'A-3'].map((account) => ({ kind: 'nps', account, occurredAt: at, data: { score: 9 } })),
    );
    const scored = await w.as('viewer', {
      method: 'POST',
      url: `${V1}/segments/preview?limit=2`,
      payload: { filter: 'arr >= 48000' },
    });
    const items = scored.json<{ items: Member[] }>().items;
    expect(items).toHaveLength(2);
    for (const item of items) {
      expect(item.health).not.toBeNull();
      expect(typeof item.health?.score).toBe('number');
      expect(typeof item.health?.band).toBe('string');
    }
    const segment = await t.services.segments.create(SYSTEM_ACTOR, { name: 'Big', filter: 'arr >= 48000' });
    const members = await w.as('csmA', { method: 'GET', url: `${V1}/segments/${segment.id}/members` });
    expect(
      members.json<{ items: Member[] }>().items.map((item) => [item.externalId, item.health !== null]),
    ).toEqual([
      ['A-1', true],
      ['A-3', true],
      ['B-3', false],
    ]);
  });

  it('counts a segment when it is saved, and refreshes one on demand: entries show in its history, other segments wait', async () => {
    const t = current();
    const w = await apiWorld(t);
    const created = await w.as('leadA', {
      method: 'POST',
      url: `${V1}/segments`,
      payload: { name: 'Team A big', filter: 'team = "Team A" and arr >= 10000' },
    });
    // Saving the filter brings its membership up to date at once.
    expect(created.json()).toMatchObject({
      memberCount: 2,
      liveCount: 2,
      refreshedAt: t.clock.now().toISOString(),
    });
    const { id } = created.json<{ id: number }>();
    const entries = async () =>
      (await w.as('viewer', { method: 'GET', url: `${V1}/segments/${id}/history` }))
        .json<{ items: { kind: string; externalId: string }[] }>()
        .items.map((event) => `${event.kind} ${event.externalId}`)
        .sort();
    expect(await entries()).toEqual(['entered A-1', 'entered A-3']);

    // A change that no ingest reports waits for a refresh: the list says what was counted, and when.
    t.clock.advanceDays(1);
    const birch = await t.services.accounts.getByExternalId('A-2');
    await t.services.accounts.update(SYSTEM_ACTOR, birch.id, { arr: 12_000 });
    const listed = await w.as('viewer', { method: 'GET', url: `${V1}/segments` });
    const item = listed.json<{ items: Record<string, unknown>[] }>().items.find((s) => s.id === id);
    expect(item).toMatchObject({ memberCount: 2 });
    expect(item).not.toHaveProperty('liveCount');
    const live = await w.as('viewer', { method: 'GET', url: `${V1}/segments?live=true` });
    expect(live.json<{ items: Record<string, unknown>[] }>().items.find((s) => s.id === id)).toMatchObject({
      memberCount: 2,
      liveCount: 3,
    });

    const names = async (url: string) => {
      const answer = (await w.as('viewer', { method: 'GET', url })).json<{
        total: number;
        items: { externalId: string }[];
      }>();
      return { total: answer.total, ids: answer.items.map((item) => item.externalId).sort() };
    };
    expect(await names(`${V1}/segments/${id}/members`)).toEqual({ total: 2, ids: ['A-1', 'A-3'] });
    expect(await names(`${V1}/segments/${id}/members?live=true`)).toEqual({
      total: 3,
      ids: ['A-1', 'A-2', 'A-3'],
    });

    const denied = await w.as('csmA', { method: 'POST', url: `${V1}/segments/${id}/refresh` });
    expect(denied.statusCode).toBe(403);
    const refreshed = await w.as('leadA', { method: 'POST', url: `${V1}/segments/${id}/refresh` });
    expect(refreshed.statusCode).toBe(200);
    expect(refreshed.json()).toEqual({ segmentId: id, key: 'team_a_big', entered: 1, left: 0, members: 3 });
    expect(await entries()).toEqual(['entered A-1', 'entered A-2', 'entered A-3']);
    const segment = await w.as('viewer', { method: 'GET', url: `${V1}/segments/${id}?live=true` });
    expect(segment.json()).toMatchObject({
      memberCount: 3,
      liveCount: 3,
      refreshedAt: t.clock.now().toISOString(),
    });
    // Only this segment was refreshed.
    const others = (await t.services.segments.list()).filter((s) => s.id !== id);
    expect(others.every((s) => s.refreshedAt === null)).toBe(true);

    const again = await w.as('leadA', { method: 'POST', url: `${V1}/segments/${id}/refresh` });
    expect(again.json()).toMatchObject({ entered: 0, left: 0, members: 3 });
    const missing = await w.as('leadA', { method: 'POST', url: `${V1}/segments/999999/refresh` });
    expect(missing.statusCode).toBe(404);
    expect(errorCode(missing)).toBe('SEGMENT_NOT_FOUND');
  });

  it('refuses a change made against an old version and says what the segment is now', async () => {
    const t = current();
    const w = await apiWorld(t, { cases: false });
    const created = await w.as('leadA', {
      method: 'POST',
      url: `${V1}/segments`,
      payload: { name: 'Growth tier', description: 'Smaller accounts', filter: 'tier = "Growth"' },
    });
    const { id, version } = created.json<{ id: number; version: number }>();
    const theirs = await w.as('admin', {
      method: 'PATCH',
      url: `${V1}/segments/${id}`,
      payload: { filter: 'tier = "Growth" and arr < 10000', version },
    });
    expect(theirs.json()).toMatchObject({ version: version + 1, liveCount: 2 });

    const mine = await w.as('leadA', {
      method: 'PATCH',
      url: `${V1}/segments/${id}`,
      payload: { name: 'Growth accounts', version },
    });
    expect(mine.statusCode).toBe(409);
    expect(mine.json()).toMatchObject({
      error: {
        code: 'VERSION_CONFLICT',
        details: { current: { id, version: version + 1, filter: 'tier = "Growth" and arr < 10000' } },
      },
    });
    // Unchanged by the refused save.
    const now = await w.as('viewer', { method: 'GET', url: `${V1}/segments/${id}` });
    expect(now.json()).toMatchObject({ name: 'Growth tier', version: version + 1 });

    const withoutVersion = await w.as('leadA', {
      method: 'PATCH',
      url: `${V1}/segments/${id}`,
      payload: { name: 'Growth accounts' },
    });
    expect(withoutVersion.statusCode).toBe(400);
    const retried = await w.as('leadA', {
      method: 'PATCH',
      url: `${V1}/segments/${id}`,
      payload: { name: 'Growth accounts', version: version + 1 },
    });
    expect(retried.json()).toMatchObject({
      name: 'Growth accounts',
      filter: 'tier = "Growth" and arr < 10000',
      version: version + 2,
    });
  });
});

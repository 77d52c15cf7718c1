// The whole book through the API: the account list filtered in the segment language and sorted by
// any of its columns, the CSV of exactly that selection, and touchpoints CSMs log by hand.
import { afterEach, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { SYSTEM_ACTOR } from '../../src/domain/policy';
import { forEachStore } from '../helpers/stores';
import { apiWorld, errorCode } from './helpers';

const V1 = '/api/v1';

interface ListItem {
  name: string;
  externalId: string;
  arr: number;
  health: { score: number; band: string } | null;
  lastActivityAt: string | null;
}
interface ListPage {
  total: number;
  items: ListItem[];
}

let app: FastifyInstance | null = null;
afterEach(async () => {
  await app?.close();
  app = null;
});

const world = async (t: Parameters<typeof apiWorld>[0]) => {
  const w = await apiWorld(t);
  app = w.app;
  return w;
};

const list = (query: Record<string, string>) => `${V1}/accounts?${new URLSearchParams(query).toString()}`;

/** The rows of a CSV answer without its header, each split into cells. */
const csvRows = (body: string) =>
  body
    .trim()
    .split('\n')
    .slice(1)
    .map((line) => line.split(','));

forEachStore('account list', (current) => {
  it('filters in the segment language, sorts by every column either way, and says where a filter breaks', async () => {
    const t = current();
    const w = await world(t);
    const hourAgo = new Date(t.clock.now().getTime() - 3_600_000).toISOString();
    const dayAgo = new Date(t.clock.now().getTime() - 86_400_000).toISOString();
    // Two accounts send signals (and so get scores): Echo low, Acme higher and more recently.
    await t.services.signals.ingest(SYSTEM_ACTOR, [
      { kind: 'nps', account: 'B-2', occurredAt: dayAgo, data: { score: 1 } },
      { kind: 'nps', account: 'A-1', occurredAt: hourAgo, data: { score: 10 } },
    ]);
    await t.services.health.score();

    const enterprise = (
      await w.as('viewer', { method: 'GET', url: list({ filter: 'tier = "Enterprise"' }) })
    ).json<ListPage>();
    expect(enterprise.total).toBe(2);
    expect(enterprise.items.map((item) => item.name)).toEqual(['Cobalt Clinics', 'Fjord Freight']);

    // A segment filter and the list's own search narrow together.
    const both = (
      await w.as('viewer', { method: 'GET', url: list({ filter: 'arr >= 15000', q: 'd' }) })
    ).json<ListPage>();
    expect(both.items.map((item) => item.name)).toEqual(['Delta Dental', 'Fjord Freight']);

    const names = async (query: Record<string, string>) =>
      (await w.as('viewer', { method: 'GET', url: list(query) }))
        .json<ListPage>()
        .items.map((item) => item.name);
    expect(await names({ sort: 'arr' })).toEqual([
      'Cobalt Clinics',
      'Fjord Freight',
      'Acme Analytics',
      'Delta Dental',
      'Echo Education',
      'Birch Bakery',
    ]);
    expect((await names({ sort: 'arr', dir: 'asc' }))[0]).toBe('Birch Bakery');
    expect((await names({ sort: 'name', dir: 'desc' }))[0]).toBe('Fjord Freight');
    // Owners by name: csm.a (Acme, Birch), csm.a2 (Cobalt), csm.b (the rest).
    expect(await names({ sort: 'owner' })).toEqual([
      'Acme Analytics',
      'Birch Bakery',
      'Cobalt Clinics',
      'Delta Dental',
      'Echo Education',
      'Fjord Freight',
    ]);
    // Accounts without a score or a signal come last, whichever way the column sorts.
    const byHealth = await names({ sort: 'health_score' });
    expect(byHealth.slice(0, 2)).toEqual(['Echo Education', 'Acme Analytics']);
    expect((await names({ sort: 'health_score', dir: 'desc' })).slice(0, 2)).toEqual([
      'Acme Analytics',
      'Echo Education',
    ]);
    expect((await names({ sort: 'last_activity' })).slice(0, 2)).toEqual([
      'Acme Analytics',
      'Echo Education',
    ]);
    expect((await names({ sort: 'last_activity', dir: 'asc' })).slice(0, 2)).toEqual([
      'Echo Education',
      'Acme Analytics',
    ]);
    expect((await names({ sort: 'renewal_date' })).length).toBe(6);

    // Each row carries its latest score and last activity.
    const acme = (await w.as('viewer', { method: 'GET', url: list({ q: 'A-1' }) })).json<ListPage>().items[0];
    expect(acme?.health?.score).toEqual(expect.any(Number));
    expect(acme?.lastActivityAt).toBe(hourAgo);
    const birch = (await w.as('viewer', { method: 'GET', url: list({ q: 'Birch' }) })).json<ListPage>()
      .items[0];
    expect(birch).toMatchObject({ health: null, lastActivityAt: null });

    // Health and risk fields read as in saved segments.
    expect(await names({ filter: 'risk.stage = "at_risk"' })).toEqual(['Acme Analytics']);
    expect(
      await names({
        filter: 'health.score is empty and attributes.region = "NA"',
        sort: 'name',
      }),
    ).toEqual(['Delta Dental', 'Fjord Freight']);

    const typo = await w.as('viewer', {
      method: 'GET',
      url: list({ filter: 'tier = "Enterprise" and helth.score < 50' }),
    });
    expect(typo.statusCode).toBe(400);
    expect(errorCode(typo)).toBe('INVALID_FILTER');
    const details = typo.json<{ error: { message: string; details: { position: number; token?: string } } }>()
      .error;
    expect(details.details.position).toBe(25);
    expect(details.message).toContain('position 25');
  });

  it('exports exactly the selected accounts as CSV, in the list order, with formulas neutralised', async () => {
    const t = current();
    const w = await world(t);
    const csv = await w.as('viewer', {
      method: 'GET',
      url: `${V1}/exports/accounts?${new URLSearchParams({ filter: 'tier = "Enterprise"', sort: 'arr', dir: 'asc' }).toString()}`,
    });
    expect(csv.statusCode).toBe(200);
    expect(csv.headers['content-type']).toContain('text/csv');
    expect(csvRows(csv.body).map((row) => row[0])).toEqual(['B-3', 'A-3']);

    // Search and sort alone select too; the rows are every match, not one page of them.
    const all = await w.as('viewer', { method: 'GET', url: `${V1}/exports/accounts?sort=name&dir=desc` });
    expect(csvRows(all.body).map((row) => row[0])).toEqual(['B-3', 'B-2', 'B-1', 'A-3', 'A-2', 'A-1']);

    await t.services.accounts.create(SYSTEM_ACTOR, {
      externalId: '=1+1',
      name: '=HYPERLINK("http://evil.example","Click")',
      teamId: w.book.teams.a,
    });
    const evil = await w.as('viewer', {
      method: 'GET',
      url: `${V1}/exports/accounts?q=${encodeURIComponent('hyperlink')}`,
    });
    const [header, row] = evil.body.trim().split('\n');
    expect(header?.startsWith('external_id,name,')).toBe(true);
    expect(row?.startsWith(`"'=1+1","'=HYPERLINK(""http://evil.example"",""Click"")"`)).toBe(true);

    const bad = await w.as('viewer', {
      method: 'GET',
      url: `${V1}/exports/accounts?filter=${encodeURIComponent('tier ==')}`,
    });
    expect(bad.statusCode).toBe(400);
    expect(errorCode(bad)).toBe('INVALID_FILTER');
    expect(bad.json<{ error: { details: { position: number } } }>().error.details.position).toEqual(
      expect.any(Number),
    );

    const contacts = await w.as('viewer', { method: 'GET', url: `${V1}/exports/contacts?sort=name` });
    expect(contacts.statusCode).toBe(400);
    expect(errorCode(contacts)).toBe('VALIDATION_FAILED');
  });
});

forEachStore('touchpoints', (current) => {
  it('lets the CSM log a touchpoint on their own account, shows it at once, and refuses anyone else', async () => {
    const t = current();
    const w = await world(t);
    const [acme, , , delta] = w.book.accounts;
    if (!acme || !delta) throw new Error('tiny book changed');
    const logged = await w.as('csmA', {
      method: 'POST',
      url: `${V1}/accounts/${acme.id}/touchpoints`,
      payload: { channel: 'call', reason: 'Risk', outcome: 'negative', note: 'Budget is frozen' },
    });
    expect(logged.statusCode).toBe(201);
    expect(logged.json()).toMatchObject({
      accountId: acme.id,
      kind: 'touchpoint',
      occurredAt: t.clock.now().toISOString(),
      data: { channel: 'call', reason: 'Risk', outcome: 'negative', note: 'Budget is frozen' },
    });
    const signals = await w.as('viewer', { method: 'GET', url: `${V1}/accounts/${acme.id}/signals?limit=1` });
    expect(signals.json<{ items: { kind: string }[] }>().items[0]?.kind).toBe('touchpoint');
    const timeline = await w.as('viewer', {
      method: 'GET',
      url: `${V1}/accounts/${acme.id}/timeline?limit=1`,
    });
    expect(timeline.json<{ items: unknown[] }>().items[0]).toMatchObject({
      action: 'touchpoint_logged',
      actorId: w.book.users.csmA.id,
      changes: { reason: 'Risk', channel: 'call' },
    });
    // A risk touchpoint counts as one in the rollups scoring and detection read.
    const rollups = await w.as('viewer', {
      method: 'GET',
      url: `${V1}/accounts/${acme.id}/rollups?metric=touchpoints.risk`,
    });
    expect(rollups.json<{ items: { value: number }[] }>().items[0]?.value).toBe(1);

    // Dated in the past is fine, in the future is not.
    const earlier = await w.as('leadA', {
      method: 'POST',
      url: `${V1}/accounts/${acme.id}/touchpoints`,
      payload: { channel: 'meeting', reason: 'Check-in', occurredAt: '2026-02-20T10:00:00Z' },
    });
    expect(earlier.statusCode).toBe(201);
    const future = await w.as('csmA', {
      method: 'POST',
      url: `${V1}/accounts/${acme.id}/touchpoints`,
      payload: { channel: 'call', reason: 'Risk', occurredAt: '2030-01-01T00:00:00Z' },
    });
    expect(future.statusCode).toBe(400);
    expect(errorCode(future)).toBe('VALIDATION_FAILED');
    // Nor more than a year back: a typed 1900 is a slip, not a meeting.
    const ancient = await w.as('csmA', {
      method: 'POST',
      url: `${V1}/accounts/${acme.id}/touchpoints`,
      payload: { channel: 'call', reason: 'Risk', occurredAt: '1900-01-01T00:00:00Z' },
    });
    expect(ancient.statusCode).toBe(400);
    expect(ancient.json<{ error: { message: string } }>().error.message).toContain('at most a year old');
    const unknownReason = await w.as('csmA', {
      method: 'POST',
      url: `${V1}/accounts/${acme.id}/touchpoints`,
      payload: { channel: 'call', reason: 'Gossip' },
    });
    expect(unknownReason.statusCode).toBe(400);

    // Another CSM's account, another team's, a viewer: refused, and nothing is written.
    for (const [who, accountId] of [
      ['csmA', delta.id],
      ['csmA2', acme.id],
      ['csmB', acme.id],
      ['viewer', acme.id],
    ] as const) {
      const refused = await w.as(who, {
        method: 'POST',
        url: `${V1}/accounts/${accountId}/touchpoints`,
        payload: { channel: 'email', reason: 'Risk' },
      });
      expect({ who, status: refused.statusCode, code: errorCode(refused) }).toEqual({
        who,
        status: 403,
        code: 'FORBIDDEN',
      });
    }
    const deltaSignals = await w.as('viewer', { method: 'GET', url: `${V1}/accounts/${delta.id}/signals` });
    expect(deltaSignals.json<{ items: unknown[] }>().items).toEqual([]);
    const missing = await w.as('admin', {
      method: 'POST',
      url: `${V1}/accounts/999999/touchpoints`,
      payload: { channel: 'email', reason: 'Risk' },
    });
    expect(errorCode(missing)).toBe('ACCOUNT_NOT_FOUND');
  });
});

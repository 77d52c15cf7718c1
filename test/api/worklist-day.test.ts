// The worklist shaped for the day: scope by role, saved views (own, team-shared, foreign), bulk
// actions answered row by row, and the CSV of what the worklist shows.
import { afterEach, describe, expect, it } from 'vitest';
import { SYSTEM_ACTOR } from '../../src/domain/policy';
import { forEachStore } from '../helpers/stores';
import { apiWorld, errorCode, type ApiWorld, type Who } from './helpers';

const V1 = '/api/v1';

let open: ApiWorld | null = null;
afterEach(async () => {
  await open?.app.close();
  open = null;
});

interface Row {
  id: number;
  version: number;
  stage: { key: string };
  account: { name: string; ownerId: number | null };
  reasons: { key: string }[];
}

const worklist = async (w: ApiWorld, who: Who, query = '') => {
  const response = await w.as(who, { method: 'GET', url: `${V1}/risk-cases${query}` });
  expect(response.statusCode).toBe(200);
  return response.json<{ total: number; items: Row[] }>();
};

const caseRow = async (w: ApiWorld, id: number) =>
  (await w.as('admin', { method: 'GET', url: `${V1}/risk-cases/${id}` })).json<Row>();

describe('the worklist of the day', () => {
  forEachStore('worklist scope', (current) => {
    it('lists my cases, my team or all, and refuses a filter that contradicts the scope', async () => {
      const w = (open = await apiWorld(current()));
      const mine = await worklist(w, 'csmA', '?scope=mine');
      expect(mine.items.map((row) => row.account.name).sort()).toEqual(['Acme Analytics', 'Birch Bakery']);
      const team = await worklist(w, 'leadA', '?scope=team');
      expect(team.total).toBe(3);
      const all = await worklist(w, 'viewer', '?scope=all');
      expect(all.total).toBe(3);
      const noTeam = await w.as('admin', { method: 'GET', url: `${V1}/risk-cases?scope=team` });
      expect(noTeam.statusCode).toBe(400);
      const contradicting = await w.as('csmA', {
        method: 'GET',
        url: `${V1}/risk-cases?scope=mine&ownerId=${w.book.users.csmA2.id}`,
      });
      expect(errorCode(contradicting)).toBe('VALIDATION_FAILED');
    });
  });

  forEachStore('saved worklist views', (current) => {
    it('keeps views per user, shows team-shared ones read only, and hides foreign ones', async () => {
      const w = (open = await apiWorld(current()));
      const save = (who: Who, payload: Record<string, unknown>) =>
        w.as(who, { method: 'POST', url: `${V1}/worklist-views`, payload });
      const own = await save('csmA', {
        name: 'My renewals',
        scope: 'mine',
        filters: { stage: ['at_risk'], overdue: true },
        sort: 'arr_at_risk',
      });
      expect(own.statusCode).toBe(201);
      expect(own.json()).toMatchObject({
        name: 'My renewals',
        scope: 'mine',
        filters: { stage: ['at_risk'], overdue: true },
        sort: 'arr_at_risk',
        order: null,
        shared: false,
        mine: true,
      });
      const shared = await save('leadA', {
        name: 'Renewals this quarter',
        scope: 'team',
        filters: { reason: 'product_adoption' },
        shared: true,
      });
      expect(shared.statusCode).toBe(201);
      const sharedId = shared.json<{ id: number }>().id;
      const privateLead = await save('leadA', { name: 'Lead only', scope: 'all' });
      const privateId = privateLead.json<{ id: number }>().id;

      const listed = (who: Who) =>
        w
          .as(who, { method: 'GET', url: `${V1}/worklist-views` })
          .then((response) =>
            response.json<{ items: { name: string; mine: boolean; ownerName: string }[] }>(),
          );
      expect((await listed('csmA')).items).toEqual([
        expect.objectContaining({ name: 'My renewals', mine: true }),
        expect.objectContaining({ name: 'Renewals this quarter', mine: false, ownerName: 'lead.a' }),
      ]);
      expect((await listed('csmB')).items).toEqual([]);
      expect((await listed('leadA')).items.map((view) => view.name)).toEqual([
        'Lead only',
        'Renewals this quarter',
      ]);

      // Someone else's view, shared or not, is not theirs to change.
      for (const [who, id] of [
        ['csmA', sharedId],
        ['csmB', sharedId],
        ['csmA', privateId],
      ] as const) {
        const patch = await w.as(who, {
          method: 'PATCH',
          url: `${V1}/worklist-views/${id}`,
          payload: { name: 'Mine now' },
        });
        expect({ who, id, code: errorCode(patch) }).toEqual({ who, id, code: 'WORKLIST_VIEW_NOT_FOUND' });
        const removed = await w.as(who, { method: 'DELETE', url: `${V1}/worklist-views/${id}` });
        expect(removed.statusCode).toBe(404);
      }

      const renamed = await w.as('leadA', {
        method: 'PATCH',
        url: `${V1}/worklist-views/${sharedId}`,
        payload: { name: 'Renewals Q3', shared: false },
      });
      expect(renamed.json()).toMatchObject({ name: 'Renewals Q3', shared: false });
      expect((await listed('csmA')).items.map((view) => view.name)).toEqual(['My renewals']);
      const taken = await w.as('leadA', {
        method: 'PATCH',
        url: `${V1}/worklist-views/${sharedId}`,
        payload: { name: 'Lead only' },
      });
      expect(errorCode(taken)).toBe('WORKLIST_VIEW_NAME_TAKEN');
      const deleted = await w.as('leadA', { method: 'DELETE', url: `${V1}/worklist-views/${privateId}` });
      expect(deleted.statusCode).toBe(204);

      // Only known filter keys are stored; a view shared by someone in no team has no team to go to.
      const unknownKey = await save('csmA', { name: 'Odd', scope: 'all', filters: { segment: 'x' } });
      expect(errorCode(unknownKey)).toBe('VALIDATION_FAILED');
      const badValue = await save('csmA', { name: 'Odd', scope: 'all', filters: { track: 'robot' } });
      expect(errorCode(badValue)).toBe('VALIDATION_FAILED');
      const noTeam = await save('admin', { name: 'Everyone', scope: 'all', shared: true });
      expect(errorCode(noTeam)).toBe('VALIDATION_FAILED');
      const again = await save('csmA', { name: ' My renewals ', scope: 'all' });
      expect(errorCode(again)).toBe('WORKLIST_VIEW_NAME_TAKEN');
    });
  });

  forEachStore('bulk case actions', (current) => {
    it('moves the permitted, current rows and refuses the others row by row', async () => {
      const t = current();
      const w = (open = await apiWorld(t));
      const { cases } = w.book;
      const atRisk = cases.at_risk ?? 0; // csmA's
      const plan = cases.plan_in_place ?? 0; // csmA's, changed meanwhile
      const saving = cases.saving ?? 0; // csmA2's
      const rows = (await worklist(w, 'csmA', '?scope=all')).items;
      const versionOf = (id: number) => rows.find((row) => row.id === id)?.version ?? 0;
      // Someone else changes Birch's case after csmA loaded the list.
      await t.services.riskCases.setReasons(
        SYSTEM_ACTOR,
        plan,
        ['product_adoption', 'poor_engagement'],
        versionOf(plan),
      );
      const response = await w.as('csmA', {
        method: 'POST',
        url: `${V1}/risk-cases/bulk`,
        payload: {
          action: 'move_stage',
          stage: 'saving',
          cases: [atRisk, plan, saving].map((id) => ({ id, version: versionOf(id) })),
        },
      });
      expect(response.statusCode).toBe(200);
      expect(response.json()).toEqual({
        results: [
          { caseId: atRisk, ok: true },
          {
            caseId: plan,
            ok: false,
            error: {
              code: 'VERSION_CONFLICT',
              message: 'Changed by someone else since you loaded the list.',
            },
          },
          {
            caseId: saving,
            ok: false,
            error: { code: 'FORBIDDEN', message: "You may not change a colleague's case." },
          },
        ],
      });
      expect((await caseRow(w, atRisk)).stage.key).toBe('saving');
      expect((await caseRow(w, plan)).stage.key).toBe('plan_in_place');
    });

    it('adds a reason and assigns owners within the lead’s team only', async () => {
      const t = current();
      const w = (open = await apiWorld(t));
      const { cases, accounts, users } = w.book;
      const fjord = await t.services.riskCases.open(SYSTEM_ACTOR, {
        accountId: accounts[5]?.id ?? 0,
        reasons: ['support_issues'],
      });
      const rows = (await worklist(w, 'leadA')).items;
      const pick = (ids: number[]) =>
        ids.map((id) => ({ id, version: rows.find((row) => row.id === id)?.version ?? 0 }));
      const atRisk = cases.at_risk ?? 0;
      const saving = cases.saving ?? 0;

      const reason = await w.as('leadA', {
        method: 'POST',
        url: `${V1}/risk-cases/bulk`,
        payload: { action: 'add_reason', reason: 'poor_engagement', cases: pick([atRisk, fjord.id]) },
      });
      expect(reason.json<{ results: { ok: boolean; error?: { code: string } }[] }>().results).toEqual([
        { caseId: atRisk, ok: true },
        {
          caseId: fjord.id,
          ok: false,
          error: { code: 'FORBIDDEN', message: "This case is in another team's book." },
        },
      ]);
      expect((await caseRow(w, atRisk)).reasons.map((r) => r.key).sort()).toEqual([
        'poor_engagement',
        'product_adoption',
      ]);
      expect((await caseRow(w, fjord.id)).reasons.map((r) => r.key)).toEqual(['support_issues']);

      // A lead may not give an account to another team's CSM.
      const fresh = (await worklist(w, 'leadA')).items;
      const current2 = (id: number) => ({ id, version: fresh.find((row) => row.id === id)?.version ?? 0 });
      const foreignOwner = await w.as('leadA', {
        method: 'POST',
        url: `${V1}/risk-cases/bulk`,
        payload: { action: 'assign_owner', ownerId: users.csmB.id, cases: [current2(saving)] },
      });
      expect(foreignOwner.json()).toMatchObject({
        results: [{ caseId: saving, ok: false, error: { code: 'FORBIDDEN' } }],
      });
      const assigned = await w.as('leadA', {
        method: 'POST',
        url: `${V1}/risk-cases/bulk`,
        payload: {
          action: 'assign_owner',
          ownerId: users.csmA2.id,
          cases: [current2(atRisk), current2(fjord.id)],
        },
      });
      expect(assigned.json()).toMatchObject({
        results: [
          { caseId: atRisk, ok: true },
          { caseId: fjord.id, ok: false, error: { code: 'FORBIDDEN' } },
        ],
      });
      expect((await t.services.accounts.get(accounts[0]?.id ?? 0)).ownerId).toBe(users.csmA2.id);
      // The case's own trail says so, by name, and the case's version moved on with it.
      const trail = await w.as('leadA', { method: 'GET', url: `${V1}/risk-cases/${atRisk}/audit` });
      expect(trail.json<{ items: { title: string; summary: string }[] }>().items.at(-1)).toMatchObject({
        title: 'Owner changed',
        summary: `Owner: ${users.csmA.name} → ${users.csmA2.name}.`,
      });
      expect((await caseRow(w, atRisk)).version).toBeGreaterThan(current2(atRisk).version);
      expect((await t.services.accounts.get(accounts[5]?.id ?? 0)).ownerId).toBe(users.csmB.id);
      const csmAssigns = await w.as('csmA', {
        method: 'POST',
        url: `${V1}/risk-cases/bulk`,
        payload: {
          action: 'assign_owner',
          ownerId: users.csmA.id,
          cases: [current2(cases.plan_in_place ?? 0)],
        },
      });
      expect(csmAssigns.json()).toMatchObject({ results: [{ ok: false, error: { code: 'FORBIDDEN' } }] });
    });

    it('refuses closing stages, too many rows and a case twice as a whole', async () => {
      const w = (open = await apiWorld(current()));
      const atRisk = w.book.cases.at_risk ?? 0;
      const send = (payload: Record<string, unknown>) =>
        w.as('admin', { method: 'POST', url: `${V1}/risk-cases/bulk`, payload });
      const closing = await send({
        action: 'move_stage',
        stage: 'closed_lost',
        cases: [{ id: atRisk, version: 1 }],
      });
      expect(closing.statusCode).toBe(400);
      expect(closing.json<{ error: { message: string } }>().error.message).toContain('one by one');
      const many = Array.from({ length: 201 }, (_, index) => ({ id: index + 1, version: 1 }));
      expect((await send({ action: 'move_stage', stage: 'saving', cases: many })).statusCode).toBe(400);
      const twice = [
        { id: atRisk, version: 1 },
        { id: atRisk, version: 1 },
      ];
      expect((await send({ action: 'move_stage', stage: 'saving', cases: twice })).statusCode).toBe(400);
      const unknown = await send({
        action: 'add_reason',
        reason: 'no_such',
        cases: [{ id: atRisk, version: 1 }],
      });
      expect(errorCode(unknown)).toBe('RISK_REASON_NOT_FOUND');
      expect((await caseRow(w, atRisk)).stage.key).toBe('at_risk');
    });
  });

  forEachStore('worklist CSV', (current) => {
    it('writes the rows the filters select, with names, and neutralises formulas', async () => {
      const t = current();
      const w = (open = await apiWorld(t));
      await t.services.accounts.update(SYSTEM_ACTOR, w.book.accounts[0]?.id ?? 0, {
        name: '=HYPERLINK("http://evil.example","Acme")',
      });
      const query = '?scope=team&sort=arr_at_risk&order=asc';
      const listed = await worklist(w, 'leadA', query);
      const response = await w.as('leadA', { method: 'GET', url: `${V1}/risk-cases/export${query}` });
      expect(response.statusCode).toBe(200);
      expect(response.headers['content-type']).toContain('text/csv');
      expect(response.headers['content-disposition']).toContain('worklist.csv');
      const lines = response.body.trim().split('\n');
      expect(lines[0]).toBe(
        'Account,Account id,Stage,Status,Reasons,Owner,Team,ARR at risk,LTV,Priority,Days in stage,Last update,Update overdue,Health score',
      );
      expect(lines.length - 1).toBe(listed.total);
      const ids = lines.slice(1).map((line) => line.match(/,([AB]-\d),/)?.[1]);
      expect(ids).toEqual(['A-2', 'A-1', 'A-3']);
      const acme = lines.find((line) => line.includes('A-1')) ?? '';
      expect(acme.startsWith(`"'=HYPERLINK(`)).toBe(true);
      expect(acme).toContain('At Risk');
      expect(acme).toContain('Product adoption');
      expect(acme).not.toContain('product_adoption');
      expect(acme).toContain('csm.a,Team A');

      const closed = await w.as('viewer', { method: 'GET', url: `${V1}/risk-cases/export?status=closed` });
      expect(closed.body.trim().split('\n')).toHaveLength(3);
      expect(closed.body).toContain('Closed - Lost');
    });
  });
});

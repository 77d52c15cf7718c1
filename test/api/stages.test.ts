// Risk stages over HTTP: an admin adds a stage and puts the stages in order; the closed stages stay
// last, keys are unique and names are required.
import { afterEach, expect, it } from 'vitest';
import { forEachStore } from '../helpers/stores';
import { apiWorld, errorCode, type ApiWorld } from './helpers';

const V1 = '/api/v1';

let open: ApiWorld | null = null;
afterEach(async () => {
  await open?.app.close();
  open = null;
});

const keys = async (w: ApiWorld) =>
  (await w.as('viewer', { method: 'GET', url: `${V1}/risk-stages` }))
    .json<{ items: { key: string }[] }>()
    .items.map((stage) => stage.key);

forEachStore('stage creation and order', (current) => {
  it('adds an open stage after the open stages, and a closed one last, when no position is given', async () => {
    const w = (open = await apiWorld(current()));
    const created = await w.as('admin', {
      method: 'POST',
      url: `${V1}/risk-stages`,
      payload: { key: 'exec_escalation', name: 'Executive escalation' },
    });
    expect(created.statusCode).toBe(201);
    expect(created.json()).toMatchObject({ key: 'exec_escalation', isEnd: false, active: true });
    const closed = await w.as('admin', {
      method: 'POST',
      url: `${V1}/risk-stages`,
      payload: { key: 'closed_merged', name: 'Closed - Merged', isEnd: true, outcome: 'lost' },
    });
    expect(closed.statusCode).toBe(201);
    expect(await keys(w)).toEqual([
      'at_risk',
      'plan_in_place',
      'saving',
      'exec_escalation',
      'closed_recovered',
      'closed_lost',
      'closed_merged',
    ]);
  });

  it('refuses a taken key, a blank name, and an open stage placed after the closed ones', async () => {
    const w = (open = await apiWorld(current()));
    const post = (payload: Record<string, unknown>) =>
      w.as('admin', { method: 'POST', url: `${V1}/risk-stages`, payload });
    expect(errorCode(await post({ key: 'saving', name: 'Saving again' }))).toBe('RISK_STAGE_KEY_TAKEN');
    expect(errorCode(await post({ key: 'blank', name: '   ' }))).toBe('VALIDATION_FAILED');
    expect(errorCode(await post({ key: 'late', name: 'Late', position: 99 }))).toBe(
      'RISK_STAGE_ORDER_INVALID',
    );
    expect(
      errorCode(
        await post({ key: 'early_end', name: 'Early end', position: 0, isEnd: true, outcome: 'lost' }),
      ),
    ).toBe('RISK_STAGE_ORDER_INVALID');
    expect(await keys(w)).toEqual(['at_risk', 'plan_in_place', 'saving', 'closed_recovered', 'closed_lost']);
  });

  it('puts the stages in a new order, keeping the closed stages last', async () => {
    const t = current();
    const w = (open = await apiWorld(t, { cases: true }));
    const order = (keys: string[]) =>
      w.as('admin', { method: 'PUT', url: `${V1}/risk-stages/order`, payload: { keys } });
    const moved = await order(['saving', 'at_risk', 'plan_in_place', 'closed_lost', 'closed_recovered']);
    expect(moved.statusCode).toBe(200);
    expect(moved.json<{ items: { key: string }[] }>().items.map((stage) => stage.key)).toEqual([
      'saving',
      'at_risk',
      'plan_in_place',
      'closed_lost',
      'closed_recovered',
    ]);
    expect(await keys(w)).toEqual(['saving', 'at_risk', 'plan_in_place', 'closed_lost', 'closed_recovered']);
    // New cases start in the first open stage.
    const stages = await t.services.config.listStages();
    expect(stages.find((stage) => !stage.isEnd)?.key).toBe('saving');

    const refused = [
      await order(['at_risk', 'closed_lost', 'plan_in_place', 'saving', 'closed_recovered']),
      await order(['at_risk', 'plan_in_place', 'saving', 'closed_lost']),
      await order(['at_risk', 'at_risk', 'plan_in_place', 'saving', 'closed_lost', 'closed_recovered']),
    ];
    expect(refused.map(errorCode)).toEqual([
      'RISK_STAGE_ORDER_INVALID',
      'RISK_STAGE_ORDER_INVALID',
      'RISK_STAGE_ORDER_INVALID',
    ]);
    expect(errorCode(await order(['nope', 'at_risk']))).toBe('RISK_STAGE_NOT_FOUND');
    // A move through PATCH is held to the same rule.
    const patched = await w.as('admin', {
      method: 'PATCH',
      url: `${V1}/risk-stages/at_risk`,
      payload: { position: 1000 },
    });
    expect(errorCode(patched)).toBe('RISK_STAGE_ORDER_INVALID');
    expect(await keys(w)).toEqual(['saving', 'at_risk', 'plan_in_place', 'closed_lost', 'closed_recovered']);
  });

  it('keeps a retired stage on the cases in it, and puts no more cases in it, one by one or in bulk', async () => {
    const t = current();
    const w = (open = await apiWorld(t));
    const retired = await w.as('admin', {
      method: 'PATCH',
      url: `${V1}/risk-stages/saving`,
      payload: { active: false },
    });
    expect(retired.statusCode).toBe(200);
    const inSaving = await t.services.riskCases.get(w.book.cases.saving ?? 0);
    expect(inSaving.stage.key).toBe('saving');
    const fresh = await t.services.riskCases.get(w.book.cases.at_risk ?? 0);
    const moved = await w.as('admin', {
      method: 'POST',
      url: `${V1}/risk-cases/${fresh.id}/stage`,
      payload: { stage: 'saving', version: fresh.version },
    });
    expect(moved.statusCode).toBe(409);
    expect(errorCode(moved)).toBe('RISK_STAGE_RETIRED');
    const bulk = await w.as('admin', {
      method: 'POST',
      url: `${V1}/risk-cases/bulk`,
      payload: { action: 'move_stage', stage: 'saving', cases: [{ id: fresh.id, version: fresh.version }] },
    });
    expect(errorCode(bulk)).toBe('RISK_STAGE_RETIRED');
    expect((await t.services.riskCases.get(fresh.id)).stage.key).toBe('at_risk');
  });

  it('keeps at least one open stage and one end stage in use', async () => {
    const w = (open = await apiWorld(current()));
    const retire = (key: string) =>
      w.as('admin', { method: 'PATCH', url: `${V1}/risk-stages/${key}`, payload: { active: false } });
    expect((await retire('plan_in_place')).statusCode).toBe(200);
    expect((await retire('saving')).statusCode).toBe(200);
    const lastOpen = await retire('at_risk');
    expect(errorCode(lastOpen)).toBe('RISK_STAGE_LAST_IN_USE');
    expect(lastOpen.json<{ error: { message: string } }>().error.message).toContain('last open stage in use');
    expect((await retire('closed_recovered')).statusCode).toBe(200);
    expect(errorCode(await retire('closed_lost'))).toBe('RISK_STAGE_LAST_IN_USE');
    // A play may not move cases into a retired stage either.
    const play = await w.as('admin', {
      method: 'POST',
      url: `${V1}/plays`,
      payload: {
        key: 'into_saving',
        name: 'Into saving',
        definition: {
          trigger: { kind: 'case_opened' },
          steps: [{ kind: 'action', action: { kind: 'set_stage', stage: 'saving' } }],
        },
      },
    });
    expect(play.statusCode).toBe(400);
    expect(play.body).toContain('retired');
  });

  it('lets only admins add or order stages', async () => {
    const w = (open = await apiWorld(current()));
    for (const who of ['leadA', 'csmA', 'viewer'] as const) {
      const order = await w.as(who, {
        method: 'PUT',
        url: `${V1}/risk-stages/order`,
        payload: { keys: ['at_risk'] },
      });
      expect(order.statusCode).toBe(403);
    }
  });
});

import { expect, it } from 'vitest';
import { SYSTEM_ACTOR } from '../../src/domain/policy';
import { generateDemoBook } from '../../src/services/demo';
import type { RiskCaseView } from '../../src/services/risk-cases';
import { buildTinyBook } from '../helpers/book';
import { forEachStore } from '../helpers/stores';

forEachStore('risk cases', (current) => {
  it('opens a case with reasons, derives LTV and track, and refuses a second open case', async () => {
    const t = current();
    const book = await buildTinyBook(t, { cases: false });
    const [acme] = book.accounts;
    if (!acme) throw new Error('missing account');
    const opened = await t.services.riskCases.open(book.actors.csmA, {
      accountId: acme.id,
      reasons: ['product_adoption', 'poor_engagement'],
      note: 'usage fell off a cliff',
    });
    expect(opened.stage.key).toBe('at_risk');
    expect(opened.status).toBe('open');
    expect(opened.reasons.map((r) => r.key)).toEqual(['product_adoption', 'poor_engagement']);
    expect(opened.arrAtRisk).toBe(48_000);
    expect(opened.ltv).toBe(144_000);
    expect(opened.ltvSource).toBe('derived');
    expect(opened.track).toBe('human');
    expect(opened.stageHistory).toEqual([
      {
        from: null,
        to: 'at_risk',
        at: t.clock.now().toISOString(),
        by: 'csm.a@example.com',
        note: 'usage fell off a cliff',
      },
    ]);

    await expect(
      t.services.riskCases.open(book.actors.csmA, { accountId: acme.id, reasons: ['support_issues'] }),
    ).rejects.toMatchObject({
      code: 'RISK_CASE_ALREADY_OPEN',
      details: { caseId: opened.id, accountId: acme.id },
    });
    await expect(
      t.services.riskCases.open(book.actors.admin, {
        accountId: book.accounts[1]?.id ?? 0,
        reasons: ['no_such_reason'],
      }),
    ).rejects.toMatchObject({ code: 'RISK_REASON_NOT_FOUND' });
  });

  it('walks a case through every stage with time in stage, end-stage clock stop and reopen', async () => {
    const t = current();
    const book = await buildTinyBook(t, { cases: false });
    const account = book.accounts[0];
    if (!account) throw new Error('missing account');
    const { riskCases } = t.services;
    const actor = book.actors.csmA;
    const c = await riskCases.open(actor, { accountId: account.id, reasons: ['support_issues'] });

    t.clock.advanceDays(3);
    let view = await riskCases.get(c.id);
    expect(view.timeInStageDays).toBe(3);
    await riskCases.moveStage(actor, c.id, { stage: 'plan_in_place' });
    t.clock.advanceDays(4);
    await riskCases.moveStage(actor, c.id, { stage: 'saving' });
    t.clock.advanceDays(5);
    view = await riskCases.moveStage(actor, c.id, { stage: 'closed_recovered', note: 'renewed' });
    expect(view.status).toBe('closed');
    expect(view.outcome).toBe('recovered');
    expect(view.totalOpenDays).toBe(12);

    t.clock.advanceDays(30);
    view = await riskCases.get(c.id);
    expect(view.totalOpenDays).toBe(12);
    expect(view.timeInStageDays).toBe(30);
    expect(view.stageTimes.map((s) => [s.key, s.days])).toEqual([
      ['at_risk', 3],
      ['plan_in_place', 4],
      ['saving', 5],
      ['closed_recovered', 30],
    ]);

    // Reopen: the clock runs again from where it stopped.
    await riskCases.moveStage(actor, c.id, { stage: 'at_risk' });
    t.clock.advanceDays(2);
    view = await riskCases.get(c.id);
    expect(view.status).toBe('open');
    expect(view.closedAt).toBeNull();
    expect(view.totalOpenDays).toBe(14);
    await riskCases.moveStage(actor, c.id, { stage: 'closed_lost' });
    view = await riskCases.get(c.id);
    expect(view.outcome).toBe('lost');
    expect(view.stageHistory.map((h) => `${h.from ?? '-'}>${h.to}`)).toEqual([
      '->at_risk',
      'at_risk>plan_in_place',
      'plan_in_place>saving',
      'saving>closed_recovered',
      'closed_recovered>at_risk',
      'at_risk>closed_lost',
    ]);
    expect(view.stageHistory.every((h) => h.by === 'csm.a@example.com')).toBe(true);

    await expect(riskCases.moveStage(actor, c.id, { stage: 'closed_lost' })).rejects.toMatchObject({
      code: 'RISK_CASE_SAME_STAGE',
    });
    await expect(riskCases.moveStage(actor, c.id, { stage: 'nowhere' })).rejects.toMatchObject({
      code: 'RISK_STAGE_NOT_FOUND',
    });
  });

  it('refuses to reopen a closed case while the account has another open one', async () => {
    const t = current();
    const book = await buildTinyBook(t, { cases: false });
    const account = book.accounts[0];
    if (!account) throw new Error('missing account');
    const first = await t.services.riskCases.open(SYSTEM_ACTOR, {
      accountId: account.id,
      reasons: ['support_issues'],
    });
    await t.services.riskCases.moveStage(SYSTEM_ACTOR, first.id, { stage: 'closed_lost' });
    const second = await t.services.riskCases.open(SYSTEM_ACTOR, {
      accountId: account.id,
      reasons: ['poor_engagement'],
    });
    await expect(
      t.services.riskCases.moveStage(SYSTEM_ACTOR, first.id, { stage: 'at_risk' }),
    ).rejects.toMatchObject({
      code: 'RISK_CASE_ALREADY_OPEN',
      details: { caseId: second.id },
    });
  });

  it('replaces reasons, places the case on the matrix and moves it to the digital track', async () => {
    const t = current();
    const book = await buildTinyBook(t);
    const id = book.cases.at_risk;
    if (id === undefined) throw new Error('missing case');
    const { riskCases } = t.services;
    let view = await riskCases.setReasons(book.actors.csmA, id, ['leadership_change', 'business_change']);
    expect(view.reasons.map((r) => r.key)).toEqual(['leadership_change', 'business_change']);
    view = await riskCases.updateDetails(book.actors.csmA, id, { expected: true, avoidable: false });
    expect(view.matrix.quadrant).toBe('expected_unavoidable');
    expect(view.track).toBe('digital');
    expect(view.trackReasons).toEqual(['expected and unavoidable']);
    view = await riskCases.updateDetails(book.actors.csmA, id, {
      expected: false,
      avoidable: true,
      ltv: 2_000,
    });
    expect(view.ltvSource).toBe('given');
    expect(view.track).toBe('digital');
    view = await riskCases.updateDetails(book.actors.csmA, id, { ltv: null });
    expect(view.ltvSource).toBe('derived');
    expect(view.ltv).toBe(144_000);
    expect(view.track).toBe('human');

    const trail = await riskCases.auditTrail(id);
    const reasonsChange = trail.find((entry) => entry.action === 'reasons_changed');
    expect(reasonsChange?.changes).toEqual({
      added: ['leadership_change', 'business_change'],
      removed: ['product_adoption'],
    });
    expect(trail.filter((entry) => entry.action === 'details_changed')).toHaveLength(3);
  });

  it('keeps weekly updates and lists overdue cases', async () => {
    const t = current();
    const book = await buildTinyBook(t);
    const { riskCases } = t.services;
    const saving = book.cases.saving;
    if (saving === undefined) throw new Error('missing case');
    await riskCases.addUpdate(book.actors.csmA2, saving, {
      background: 'Clinic group acquired.',
      doneSoFar: 'Met the new COO.',
      nextSteps: 'Send a consolidated proposal.',
    });
    t.clock.advanceDays(6);
    const open = await riskCases.worklist({ status: 'open' });
    expect(open.total).toBe(3);
    let overdue = await riskCases.worklist({ overdue: true });
    // The other two open cases were never updated and opened more than 7 days of clock ago.
    expect(overdue.items.map((item) => item.id).sort()).toEqual(
      [book.cases.at_risk, book.cases.plan_in_place].sort(),
    );
    t.clock.advanceDays(2);
    overdue = await riskCases.worklist({ overdue: true });
    expect(overdue.total).toBe(3);
    const updates = await riskCases.updates(saving);
    expect(updates[0]).toMatchObject({
      background: 'Clinic group acquired.',
      authorEmail: 'csm.a2@example.com',
    });

    await t.services.config.updateSettings(SYSTEM_ACTOR, { updateOverdueDays: 30 });
    expect((await riskCases.worklist({ overdue: true })).total).toBe(0);
  });

  it('filters and sorts the worklist by priority, stage, owner, team, reason and track', async () => {
    const t = current();
    const book = await buildTinyBook(t);
    const { riskCases } = t.services;
    const all = await riskCases.worklist({});
    expect(all.items.map((item) => item.account.externalId)).toEqual(['A-3', 'A-1', 'A-2']);
    expect(all.items[0]?.priority).toBeGreaterThan(all.items[1]?.priority ?? 100);
    expect((await riskCases.worklist({ stages: ['saving'] })).items.map((i) => i.id)).toEqual([
      book.cases.saving,
    ]);
    expect((await riskCases.worklist({ ownerId: book.users.csmA.id })).total).toBe(2);
    expect((await riskCases.worklist({ teamId: book.teams.b })).total).toBe(0);
    expect((await riskCases.worklist({ status: 'closed' })).total).toBe(2);
    expect((await riskCases.worklist({ status: 'all', teamId: book.teams.b })).total).toBe(2);
    expect((await riskCases.worklist({ reason: 'product_adoption' })).total).toBe(3);
    expect((await riskCases.worklist({ track: 'digital' })).items.map((i) => i.account.externalId)).toEqual([
      'A-2',
    ]);
    expect((await riskCases.worklist({ q: 'birch' })).total).toBe(1);
    const byArr = await riskCases.worklist({ sort: 'arr_at_risk', order: 'asc' });
    expect(byArr.items.map((i) => i.arrAtRisk)).toEqual([3_000, 48_000, 120_000]);
    const page = await riskCases.worklist({ limit: 1, offset: 1 });
    expect(page).toMatchObject({ total: 3, items: [{ account: { externalId: 'A-1' } }] });
    const matrix = await riskCases.matrixSummary({});
    expect(matrix.find((cell) => cell.quadrant === 'unplaced')).toMatchObject({
      cases: 3,
      arrAtRisk: 171_000,
    });
  });

  it('enforces roles: CSMs on their own accounts, leads on their team, viewers nowhere', async () => {
    const t = current();
    const book = await buildTinyBook(t);
    const { riskCases } = t.services;
    const cobalt = book.cases.saving; // owned by csmA2, team A
    if (cobalt === undefined) throw new Error('missing case');
    const update = { background: 'b', doneSoFar: 'd', nextSteps: 'n' };
    await expect(riskCases.addUpdate(book.actors.csmA, cobalt, update)).rejects.toMatchObject({
      code: 'FORBIDDEN',
    });
    await expect(riskCases.addUpdate(book.actors.csmB, cobalt, update)).rejects.toMatchObject({
      code: 'FORBIDDEN',
    });
    await expect(riskCases.moveStage(book.actors.viewer, cobalt, { stage: 'at_risk' })).rejects.toMatchObject(
      { code: 'FORBIDDEN' },
    );
    await expect(riskCases.addUpdate(book.actors.leadA, cobalt, update)).resolves.toMatchObject({
      authorId: book.users.leadA.id,
    });
    const delta = book.accounts[3];
    if (!delta) throw new Error('missing account');
    await expect(
      riskCases.open(book.actors.leadA, { accountId: delta.id, reasons: ['support_issues'] }),
    ).rejects.toMatchObject({
      code: 'FORBIDDEN',
    });
    await expect(
      riskCases.open(book.actors.csmB, { accountId: delta.id, reasons: ['support_issues'] }),
    ).resolves.toMatchObject({
      status: 'open',
    });
  });

  it('rejects a write that carries a stale version', async () => {
    const t = current();
    const book = await buildTinyBook(t);
    const id = book.cases.at_risk;
    if (id === undefined) throw new Error('missing case');
    const before = await t.services.riskCases.get(id);
    await t.services.riskCases.moveStage(book.actors.csmA, id, {
      stage: 'plan_in_place',
      version: before.version,
    });
    await expect(
      t.services.riskCases.moveStage(book.actors.csmA, id, { stage: 'saving', version: before.version }),
    ).rejects.toMatchObject({ code: 'VERSION_CONFLICT', details: { currentVersion: before.version + 1 } });
    expect((await t.services.riskCases.get(id)).stage.key).toBe('plan_in_place');
  });

  it('lets admins configure stages and reasons', async () => {
    const t = current();
    const book = await buildTinyBook(t);
    const { config, riskCases } = t.services;
    await config.createStage(book.actors.admin, {
      key: 'exec_escalation',
      name: 'Executive escalation',
      position: 3,
      isEnd: false,
      outcome: null,
      active: true,
    });
    await expect(
      config.createStage(book.actors.leadA, {
        key: 'x',
        name: 'X',
        position: 9,
        isEnd: false,
        outcome: null,
        active: true,
      }),
    ).rejects.toMatchObject({ code: 'FORBIDDEN' });
    await expect(
      config.updateStage(book.actors.admin, 'saving', { isEnd: true, outcome: 'recovered' }),
    ).rejects.toMatchObject({
      code: 'RISK_STAGE_IN_USE',
    });
    await config.createReason(book.actors.admin, {
      key: 'pricing',
      name: 'Pricing',
      description: null,
      active: true,
    });
    const id = book.cases.at_risk;
    if (id === undefined) throw new Error('missing case');
    await riskCases.moveStage(book.actors.csmA, id, { stage: 'exec_escalation' });
    const view = await riskCases.setReasons(book.actors.csmA, id, ['pricing']);
    expect(view).toMatchObject({ stage: { key: 'exec_escalation' }, reasons: [{ key: 'pricing' }] });
    await config.updateReason(book.actors.admin, 'pricing', { active: false });
    await expect(riskCases.setReasons(book.actors.csmA, id, ['pricing'])).rejects.toMatchObject({
      code: 'RISK_REASON_NOT_FOUND',
    });
  });
});

forEachStore('worklist sorted in the database', (current) => {
  it('gives, page by page, the order sorting every case in memory gives, for every sort and direction', async () => {
    const t = current();
    await generateDemoBook(t.services, {
      accounts: 400,
      seed: 7,
      password: 'demo-password-long',
      activityWeeks: 0,
    });
    const sorts = ['priority', 'time_in_stage', 'arr_at_risk', 'ltv', 'opened_at', 'last_update'] as const;
    const keyOf: Record<(typeof sorts)[number], (v: RiskCaseView) => number | string> = {
      priority: (v) => v.priority,
      time_in_stage: (v) => v.timeInStageDays,
      arr_at_risk: (v) => v.arrAtRisk,
      ltv: (v) => v.ltv,
      opened_at: (v) => v.openedAt,
      last_update: (v) => v.lastUpdateAt ?? v.openedAt,
    };
    for (const status of ['open', 'all'] as const) {
      const all = (await t.services.riskCases.worklist({ status, limit: 5000 })).items;
      expect(all.length).toBeGreaterThan(20);
      for (const sort of sorts) {
        for (const order of ['asc', 'desc'] as const) {
          const direction = order === 'asc' ? 1 : -1;
          const expected = [...all]
            .sort((a, b) => {
              const ka = keyOf[sort](a);
              const kb = keyOf[sort](b);
              return ka < kb ? -direction : ka > kb ? direction : a.id - b.id;
            })
            .map((v) => v.id);
          const paged: number[] = [];
          for (let offset = 0; offset < all.length; offset += 25) {
            const page = await t.services.riskCases.worklist({ status, sort, order, limit: 25, offset });
            expect(page.total).toBe(all.length);
            paged.push(...page.items.map((v) => v.id));
          }
          expect({ status, sort, order, ids: paged }).toEqual({ status, sort, order, ids: expected });
        }
      }
    }
    // Filters that used to be applied after loading: quadrant and overdue.
    const open = (await t.services.riskCases.worklist({ status: 'open', limit: 5000 })).items;
    const unplaced = await t.services.riskCases.worklist({ quadrant: 'unplaced', limit: 5000 });
    expect(unplaced.items.map((v) => v.id).sort()).toEqual(
      open
        .filter((v) => v.matrix.quadrant === 'unplaced')
        .map((v) => v.id)
        .sort(),
    );
    const overdue = await t.services.riskCases.worklist({ overdue: true, limit: 5000 });
    const fresh = await t.services.riskCases.worklist({ overdue: false, limit: 5000 });
    expect(overdue.items.map((v) => v.id).sort()).toEqual(
      open
        .filter((v) => v.updateOverdue)
        .map((v) => v.id)
        .sort(),
    );
    expect(fresh.items.map((v) => v.id).sort()).toEqual(
      open
        .filter((v) => !v.updateOverdue)
        .map((v) => v.id)
        .sort(),
    );
  });
});

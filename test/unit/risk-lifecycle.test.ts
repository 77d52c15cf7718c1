import { describe, expect, it } from 'vitest';
import { isAppError } from '../../src/domain/errors';
import {
  caseClock,
  DAY_MS,
  initialStage,
  planStageMove,
  type RiskStage,
  type StageTransition,
} from '../../src/domain/risk-lifecycle';

const stage = (id: number, key: string, isEnd = false, outcome: RiskStage['outcome'] = null): RiskStage => ({
  id,
  key,
  name: key,
  position: id,
  isEnd,
  outcome,
  active: true,
});
const STAGES = [
  stage(1, 'at_risk'),
  stage(2, 'plan_in_place'),
  stage(3, 'saving'),
  stage(4, 'closed_recovered', true, 'recovered'),
  stage(5, 'closed_lost', true, 'lost'),
];
const T0 = new Date('2026-01-01T00:00:00Z');
const day = (n: number) => new Date(T0.getTime() + n * DAY_MS);
const move = (from: number | null, to: number, at: Date): StageTransition => ({
  fromStageId: from,
  toStageId: to,
  at,
  byUserId: 1,
});

describe('case clock', () => {
  it('counts time in the current stage and total open time while the case is open', () => {
    const clock = caseClock([move(null, 1, day(0)), move(1, 2, day(3))], STAGES, day(10));
    expect(clock.currentStageId).toBe(2);
    expect(clock.timeInCurrentStageMs).toBe(7 * DAY_MS);
    expect(clock.totalOpenMs).toBe(10 * DAY_MS);
    expect(clock.isOpen).toBe(true);
    expect(clock.stageTimes.map((s) => [s.key, s.totalMs / DAY_MS, s.current])).toEqual([
      ['at_risk', 3, false],
      ['plan_in_place', 7, true],
    ]);
  });

  it('stops the open clock when the case enters an end stage', () => {
    const history = [move(null, 1, day(0)), move(1, 3, day(4)), move(3, 4, day(9))];
    const atClose = caseClock(history, STAGES, day(9));
    const later = caseClock(history, STAGES, day(40));
    expect(later.isOpen).toBe(false);
    expect(later.outcome).toBe('recovered');
    expect(later.closedAt).toEqual(day(9));
    expect(later.totalOpenMs).toBe(9 * DAY_MS);
    expect(later.totalOpenMs).toBe(atClose.totalOpenMs);
  });

  it('runs the clock again after a reopen and adds up repeated visits to a stage', () => {
    const history = [move(null, 1, day(0)), move(1, 5, day(5)), move(5, 1, day(15)), move(1, 2, day(17))];
    const clock = caseClock(history, STAGES, day(20));
    expect(clock.isOpen).toBe(true);
    // 5 days open, 10 closed (not counted), then 2 + 3 open again.
    expect(clock.totalOpenMs).toBe(10 * DAY_MS);
    const atRisk = clock.stageTimes.find((s) => s.key === 'at_risk');
    expect(atRisk?.visits).toBe(2);
    expect(atRisk?.totalMs).toBe(7 * DAY_MS);
    expect(clock.stageTimes.find((s) => s.key === 'closed_lost')?.totalMs).toBe(10 * DAY_MS);
  });
});

describe('stage moves', () => {
  const [atRisk, plan, , recovered, lost] = STAGES as [RiskStage, RiskStage, RiskStage, RiskStage, RiskStage];

  it('classifies advance, close, reopen and reclose', () => {
    expect(planStageMove(atRisk, plan)).toEqual({ kind: 'advance' });
    expect(planStageMove(plan, recovered)).toEqual({ kind: 'close', outcome: 'recovered' });
    expect(planStageMove(lost, atRisk)).toEqual({ kind: 'reopen' });
    expect(planStageMove(lost, recovered)).toEqual({ kind: 'reclose', outcome: 'recovered' });
  });

  it('rejects a move to the stage the case is in', () => {
    try {
      planStageMove(plan, plan);
      expect.fail('expected an error');
    } catch (error) {
      expect(isAppError(error, 'RISK_CASE_SAME_STAGE')).toBe(true);
    }
  });

  it('opens new cases in the first active open stage', () => {
    expect(initialStage(STAGES).key).toBe('at_risk');
    expect(initialStage([{ ...atRisk, active: false }, ...STAGES.slice(1)]).key).toBe('plan_in_place');
  });
});

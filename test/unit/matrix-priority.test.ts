import { describe, expect, it } from 'vitest';
import { decideTrack, deriveLtv, quadrantOf } from '../../src/domain/matrix';
import { casePriority } from '../../src/domain/priority';
import { DAY_MS } from '../../src/domain/risk-lifecycle';
import { DEFAULT_SETTINGS, isUpdateOverdue } from '../../src/domain/settings';

describe('At-Risk Matrix', () => {
  it('places a case once both axes are known', () => {
    expect(quadrantOf(true, false)).toBe('expected_unavoidable');
    expect(quadrantOf(false, true)).toBe('unexpected_avoidable');
    expect(quadrantOf(null, true)).toBe('unplaced');
  });

  it('derives LTV from ARR and expected lifetime', () => {
    expect(deriveLtv(12_000, 3)).toBe(36_000);
  });

  it('sends expected-and-unavoidable and low-LTV risks to the digital track', () => {
    expect(decideTrack({ expected: true, avoidable: false, ltv: 1_000_000 }, 10_000)).toEqual({
      track: 'digital',
      reasons: ['expected and unavoidable'],
    });
    expect(decideTrack({ expected: false, avoidable: true, ltv: 5_000 }, 10_000).track).toBe('digital');
    expect(decideTrack({ expected: false, avoidable: true, ltv: 50_000 }, 10_000).track).toBe('human');
    expect(decideTrack({ expected: null, avoidable: null, ltv: 50_000 }, 10_000).track).toBe('human');
  });
});

describe('worklist priority', () => {
  const weights = DEFAULT_SETTINGS.priorityWeights;
  it('ranks bigger and longer-stuck risks higher, within 0-100', () => {
    const small = casePriority({ arrAtRisk: 2_000, ltv: 6_000, timeInStageMs: 2 * DAY_MS }, weights);
    const big = casePriority({ arrAtRisk: 200_000, ltv: 600_000, timeInStageMs: 2 * DAY_MS }, weights);
    const stuck = casePriority({ arrAtRisk: 2_000, ltv: 6_000, timeInStageMs: 50 * DAY_MS }, weights);
    expect(big).toBeGreaterThan(small);
    expect(stuck).toBeGreaterThan(small);
    expect(casePriority({ arrAtRisk: 1e9, ltv: 1e10, timeInStageMs: 1e12 }, weights)).toBe(100);
    expect(casePriority({ arrAtRisk: 0, ltv: 0, timeInStageMs: 0 }, weights)).toBe(0);
  });
});

describe('weekly update overdue', () => {
  const opened = new Date('2026-01-01T00:00:00Z');
  it('counts from the last update, or from opening when never updated', () => {
    const now = new Date('2026-01-09T00:00:00Z');
    expect(isUpdateOverdue(null, opened, now, 7)).toBe(true);
    expect(isUpdateOverdue(new Date('2026-01-05T00:00:00Z'), opened, now, 7)).toBe(false);
    expect(isUpdateOverdue(null, opened, new Date('2026-01-07T00:00:00Z'), 7)).toBe(false);
  });
});

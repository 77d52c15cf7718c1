import { describe, expect, it } from 'vitest';
import {
  meanDifferenceCi,
  MIN_PER_GROUP,
  playEffectiveness,
  proportionDifferenceCi,
  studentT975,
  wilson,
  type RunOutcome,
} from '../../src/domain/play-effectiveness';
import { afterStep, isHeldOut, renderTemplate, triggerMatches } from '../../src/domain/playbook';

describe('play effectiveness statistics', () => {
  it('matches published interval values', () => {
    // Newcombe (1998), example (e): 56/70 vs 48/80 -> 0.2000 (0.0524, 0.3339).
    const [low, high] = proportionDifferenceCi(56, 70, 48, 80);
    expect(low).toBeCloseTo(0.0524, 3);
    expect(high).toBeCloseTo(0.3339, 3);
    // Wilson interval for 81/263: 0.2553 to 0.3662.
    const [wl, wh] = wilson(81, 263);
    expect(wl).toBeCloseTo(0.2553, 3);
    expect(wh).toBeCloseTo(0.3662, 3);
    // t(0.975): 2.228 at 10 df, 2.042 at 30 df, 1.960 in the limit.
    expect(studentT975(10)).toBeCloseTo(2.228, 2);
    expect(studentT975(30)).toBeCloseTo(2.042, 2);
    expect(studentT975(1e9)).toBeCloseTo(1.96, 3);
    const [ml, mh] = meanDifferenceCi([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(ml).toBeLessThan(0);
    expect(mh).toBeCloseTo(-ml, 10);
  });

  it('says too small to tell under the minimum, and without a control group says to set one', () => {
    const runs = (cohort: 'treated' | 'holdout', n: number, outcome: RunOutcome['outcome']): RunOutcome[] =>
      Array.from({ length: n }, () => ({ cohort, outcome, healthChange30: null }));
    const few = playEffectiveness([
      ...runs('treated', MIN_PER_GROUP - 1, 'recovered'),
      ...runs('holdout', MIN_PER_GROUP - 1, 'lost'),
    ]);
    expect(few.verdict).toBe('too_small_to_tell');
    expect(few.summary).toMatch(/^Too early to tell: 9 treated and 9 held-out/);
    const none = playEffectiveness(runs('treated', 50, 'recovered'));
    expect(none.summary).toMatch(/holds back no control group/);
  });
});

describe('play definitions', () => {
  it('matches triggers to events', () => {
    const opened = {
      kind: 'case_opened' as const,
      accountId: 1,
      caseId: 2,
      reasons: ['budget'],
      source: 'rule',
    };
    expect(triggerMatches({ kind: 'case_opened' }, opened)).toBe(true);
    expect(triggerMatches({ kind: 'case_opened', source: 'manual' }, opened)).toBe(false);
    expect(triggerMatches({ kind: 'case_opened', reasons: ['support_issues'] }, opened)).toBe(false);
    expect(
      triggerMatches(
        { kind: 'touchpoint_logged', reason: 'Risk' },
        { kind: 'touchpoint_logged', accountId: 1, reason: ' risk ' },
      ),
    ).toBe(true);
    expect(triggerMatches({ kind: 'schedule', everyDays: 7 }, opened)).toBe(false);
  });

  it('holds back a stable share of accounts', () => {
    const held = Array.from({ length: 10_000 }, (_, id) => isHeldOut('play', id, 10)).filter(Boolean).length;
    expect(held).toBeGreaterThan(900);
    expect(held).toBeLessThan(1100);
    expect(isHeldOut('play', 42, 10)).toBe(isHeldOut('play', 42, 10));
    expect(isHeldOut('play', 42, 0)).toBe(false);
  });

  it('fills templates and leaves unknown fields visible', () => {
    expect(
      renderTemplate('Hi {{ contact.name }} at {{account.name}} {{account.nope}}', {
        'contact.name': 'Ana',
        'account.name': 'Birch',
      }),
    ).toBe('Hi Ana at Birch {{account.nope}}');
  });

  it('moves a run on after each kind of step', () => {
    const now = new Date('2026-03-01T00:00:00Z');
    const steps = [
      { kind: 'wait' as const, days: 3 },
      {
        kind: 'task' as const,
        title: 't',
        description: '',
        dueInDays: 1,
        assignee: { kind: 'account_owner' as const },
        waitForCompletion: true,
      },
      { kind: 'action' as const, action: { kind: 'close' as const, outcome: 'recovered' as const } },
    ];
    expect(afterStep(steps, 0, now)).toEqual({
      stepIndex: 1,
      status: 'waiting',
      wakeAt: '2026-03-04T00:00:00.000Z',
    });
    expect(afterStep(steps, 1, now)).toEqual({ stepIndex: 1, status: 'waiting_task', wakeAt: null });
    expect(afterStep(steps, 2, now)).toEqual({ stepIndex: 3, status: 'completed', wakeAt: null });
  });
});

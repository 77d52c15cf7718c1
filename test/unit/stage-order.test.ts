// The order of risk stages: closed stages last, and where a new stage goes.
import { describe, expect, it } from 'vitest';
import { checkStageOrder, newStageIndex } from '../../src/domain/risk-lifecycle';

const open = (key: string) => ({ key, name: key, isEnd: false });
const closed = (key: string) => ({ key, name: key, isEnd: true });

describe('stage order', () => {
  it('accepts open stages before closed ones, and lists with only one kind', () => {
    expect(() => checkStageOrder([open('a'), open('b'), closed('won'), closed('lost')])).not.toThrow();
    expect(() => checkStageOrder([open('a')])).not.toThrow();
    expect(() => checkStageOrder([closed('won')])).not.toThrow();
    expect(() => checkStageOrder([])).not.toThrow();
  });

  it('refuses an open stage after a closed one, naming both', () => {
    expect(() => checkStageOrder([open('a'), closed('won'), open('late')])).toThrow(
      expect.objectContaining({
        code: 'RISK_STAGE_ORDER_INVALID',
        message: 'The closed stages come last: "late" cannot follow "won".',
        details: { stage: 'late' },
      }),
    );
  });

  it('puts a new open stage after the open stages and a new closed one last', () => {
    const stages = [open('a'), open('b'), closed('won'), closed('lost')];
    expect(newStageIndex(stages, false)).toBe(2);
    expect(newStageIndex(stages, true)).toBe(4);
    expect(newStageIndex([open('a')], false)).toBe(1);
    expect(newStageIndex([], true)).toBe(0);
  });
});

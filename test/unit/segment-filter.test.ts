import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AppError } from '../../src/domain/errors';
import { formatFilter, parseFilter } from '../../src/domain/segment-filter';
import { filterArbitrary } from '../helpers/filters';

/** The error a filter gets, as code, message and the details a UI points with. */
function failure(source: string) {
  try {
    parseFilter(source);
  } catch (error) {
    if (error instanceof AppError)
      return { code: error.code, message: error.message, details: error.details };
    throw error;
  }
  throw new Error(`"${source}" parsed`);
}

/** Fixed seed in CI; FILTER_FUZZ_RUNS=100000 for a longer run. */
const FUZZ = { seed: 20261129, numRuns: Number(process.env.FILTER_FUZZ_RUNS ?? 2000) };

describe('segment filter language', () => {
  it('reads comparisons, lists, windows, dates and boolean structure with the usual precedence', () => {
    expect(parseFilter('tier = "Enterprise" and arr >= 50000 or not health.score < 40')).toEqual({
      kind: 'or',
      items: [
        {
          kind: 'and',
          items: [
            {
              kind: 'compare',
              field: { kind: 'account', name: 'tier', type: 'text' },
              op: '=',
              value: { kind: 'text', value: 'Enterprise' },
            },
            {
              kind: 'compare',
              field: { kind: 'account', name: 'arr', type: 'number' },
              op: '>=',
              value: { kind: 'number', value: 50000, percent: false },
            },
          ],
        },
        {
          kind: 'not',
          item: {
            kind: 'compare',
            field: { kind: 'health', name: 'score', type: 'number' },
            op: '<',
            value: { kind: 'number', value: 40, percent: false },
          },
        },
      ],
    });
    expect(parseFilter('tickets.opened(30d) > 5')).toMatchObject({
      field: { kind: 'metric', metric: 'tickets.opened', windowDays: 30 },
    });
    expect(parseFilter('health.change(14d) <= -20%')).toMatchObject({
      field: { kind: 'health', name: 'change', windowDays: 14 },
      value: { value: -20, percent: true },
    });
    expect(parseFilter('risk.reason in (\'budget\', "champion_left")')).toMatchObject({
      kind: 'in',
      values: [{ value: 'budget' }, { value: 'champion_left' }],
    });
    expect(parseFilter('renewal within 90 days')).toMatchObject({ kind: 'within', days: 90 });
    expect(parseFilter('renewal <= "2026-12-31"')).toMatchObject({
      op: '<=',
      value: { value: '2026-12-31' },
    });
    expect(parseFilter('risk.stage is not empty')).toEqual({
      kind: 'not',
      item: { kind: 'empty', field: { kind: 'risk', name: 'stage', type: 'text' } },
    });
    expect(parseFilter('attributes."Area code" = "415" AND attributes.region != "EMEA"')).toMatchObject({
      kind: 'and',
      items: [{ field: { kind: 'attribute', key: 'Area code' } }, { op: '!=' }],
    });
    expect(parseFilter('(a.b.c.d = 1)'.replace('a.b.c.d', 'attributes.seats'))).toMatchObject({
      field: { key: 'seats' },
      value: { kind: 'number', value: 1 },
    });
  });

  it('points at the offending token, with a stable code', () => {
    expect(failure('tier = "Enterprise" and seats > 5')).toMatchObject({
      code: 'INVALID_FILTER',
      message: 'Unknown field "seats" (at position 25).',
      details: { position: 25, token: 'seats' },
    });
    expect(failure('arr >= ').message).toBe(
      'Expected a value (a number or quoted text) but found the end of the filter (at position 8).',
    );
    expect(failure('tier = "Enterprise').message).toBe('Unclosed quote (at position 8).');
    expect(failure('tier = Enterprise').message).toBe('Put text in quotes: "Enterprise" (at position 8).');
    expect(failure('(arr > 5').message).toMatch(/^Expected "\)" but found the end of the filter/);
    expect(failure('arr > 5)').message).toBe(
      'Expected "and", "or" or the end of the filter but found ")" (at position 8).',
    );
    expect(failure('tier > "A"').message).toBe(
      'tier is text: compare it with = or != (or "in") (at position 6).',
    );
    expect(failure('tier = 5').message).toBe('tier is text; put the value in quotes (at position 8).');
    expect(failure('arr = "many"').message).toBe('arr is a number; "many" is text (at position 7).');
    expect(failure('arr > 5%').message).toMatch(
      /^Only a change \(health.change\) is compared with a percentage/,
    );
    expect(failure('tickets.opened > 5').message).toMatch(
      /^tickets.opened needs a window, e.g. tickets.opened\(30d\)/,
    );
    expect(failure('tickets.opened(0d) > 5').message).toMatch(/^A window runs from 1 to 730 days/);
    expect(failure('renewal = "2026-02-30"').message).toBe(
      '"2026-02-30" is not a date (YYYY-MM-DD) (at position 11).',
    );
    expect(failure('arr within 30 days').message).toMatch(/^"within" applies to dates, not arr/);
    expect(failure('risk.quadrant = "sideways"').message).toMatch(
      /^risk.quadrant is one of expected_avoidable/,
    );
    expect(failure('risk.days_in_stage > 2.5').message).toMatch(/^Days are whole numbers/);
    expect(failure('').message).toBe('The filter is empty (at position 1).');
    expect(failure('arr > 5 and').message).toMatch(/^Expected a field name but found the end of the filter/);
    expect(failure('arr ~ 5').message).toBe('Unexpected character "~" (at position 5).');
    expect(failure(`${'('.repeat(40)}arr > 1${')'.repeat(40)}`).message).toMatch(
      /nests deeper than 32 levels/,
    );
    expect(failure(`arr > ${'1'.repeat(5000)}`).code).toBe('INVALID_FILTER');
  });

  it('never crashes on arbitrary text: it parses or says INVALID_FILTER', () => {
    const pieces = fc.constantFrom(
      'tier',
      'arr',
      'health.score',
      'health.change(30d)',
      'tickets.opened(7d)',
      'risk.stage',
      'risk.reason',
      'renewal',
      'attributes.x',
      'and',
      'or',
      'not',
      'in',
      'is',
      'empty',
      'within',
      'days',
      '(',
      ')',
      ',',
      '=',
      '!=',
      '<',
      '>=',
      '"x"',
      "'y'",
      '5',
      '-3.5',
      '20%',
      '"2026-01-01"',
      '"',
      '30d',
      '.',
      '~',
    );
    const tokenSoup = fc.array(pieces, { maxLength: 14 }).map((list) => list.join(' '));
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 60 }), tokenSoup), (source) => {
        try {
          parseFilter(source);
        } catch (error) {
          if (!(error instanceof AppError) || error.code !== 'INVALID_FILTER') throw error;
        }
      }),
      FUZZ,
    );
  });

  it('writes any filter back as text that reads as the same filter', () => {
    fc.assert(
      fc.property(filterArbitrary(), (filter) => {
        const text = formatFilter(filter);
        expect(formatFilter(parseFilter(text))).toBe(text);
      }),
      FUZZ,
    );
  });
});

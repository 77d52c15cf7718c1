// Random valid segment filters, for property tests of the parser and of the SQL on both stores.
import fc from 'fast-check';
import { parseFilter, type Filter } from '../../src/domain/segment-filter';

/** Random valid filters over every kind of field and condition. */
export function filterArbitrary(): fc.Arbitrary<Filter> {
  const condition = fc.oneof(
    fc
      .tuple(
        fc.constantFrom(
          'tier',
          'name',
          'owner',
          'team',
          'lifecycle_stage',
          'health.band',
          'risk.stage',
          'risk.reason',
        ),
        fc.constantFrom('=', '!='),
        fc.constantFrom('Enterprise', 'smb', 'Poor', 'at_risk', 'budget', 'x y'),
      )
      .map(([field, op, value]) => `${field} ${op} ${JSON.stringify(value)}`),
    fc
      .tuple(fc.constantFrom('=', '!='), fc.constantFrom('human', 'digital'))
      .map(([op, value]) => `risk.track ${op} "${value}"`),
    fc
      .tuple(
        fc.constantFrom(
          'arr',
          'health.score',
          'tickets.opened(30d)',
          'usage.logins(7d)',
          'nps.score(180d)',
          'attributes.seats',
          'risk.arr_at_risk',
        ),
        fc.constantFrom('=', '!=', '<', '<=', '>', '>='),
        fc.integer({ min: -10, max: 100_000 }),
      )
      .map(([field, op, value]) => `${field} ${op} ${value}`),
    fc
      .tuple(
        fc.constantFrom('risk.days_in_stage', 'risk.days_open'),
        fc.constantFrom('=', '<', '>='),
        fc.integer({ min: 0, max: 60 }),
      )
      .map(([field, op, value]) => `${field} ${op} ${value}`),
    fc
      .tuple(fc.integer({ min: 1, max: 90 }), fc.constantFrom('<=', '>'), fc.integer({ min: -50, max: 50 }))
      .map(([days, op, value]) => `health.change(${days}d) ${op} ${value}%`),
    fc.integer({ min: 0, max: 365 }).map((days) => `renewal within ${days} days`),
    fc.constantFrom(
      'risk.stage is empty',
      'attributes.region is not empty',
      'tier is empty',
      'risk.reason is not empty',
    ),
    fc
      .subarray(['budget', 'product_adoption', 'champion_left'], { minLength: 1 })
      .map((keys) => `risk.reason in (${keys.map((k) => JSON.stringify(k)).join(', ')})`),
    fc.constantFrom(
      'risk.quadrant = "unexpected_avoidable"',
      'attributes.region in ("EMEA", "APAC")',
      'renewal < "2026-09-01"',
    ),
  );
  const tree: fc.Arbitrary<string> = fc.letrec<{ node: string }>((tie) => ({
    node: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      condition,
      fc
        .tuple(tie('node'), fc.constantFrom('and', 'or'), tie('node'))
        .map(([a, op, b]) => `(${a}) ${op} (${b})`),
      tie('node').map((inner) => `not (${inner})`),
    ),
  })).node;
  return tree.map((source) => parseFilter(source));
}

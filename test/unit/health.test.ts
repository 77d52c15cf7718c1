import { describe, expect, it } from 'vitest';
import {
  bandOf,
  computeHealth,
  DEFAULT_SCORECARD,
  explainChange,
  factsQuery,
  measureInputs,
  scorecardSchema,
  scoreValue,
  sentimentDisagrees,
  type AccountSignalFacts,
  type Scorecard,
} from '../../src/domain/health';
import { parseSignal, parseTimestamp, rollupsOf } from '../../src/domain/signals';

const card: Scorecard = {
  measures: [
    {
      key: 'logins',
      name: 'Logins',
      label: 'logins',
      unit: 'percent',
      weight: 3,
      input: { kind: 'trend', metric: 'usage.logins', windowDays: 7 },
      scoring: { kind: 'linear', from: { value: -50, score: 0 }, to: { value: 0, score: 100 } },
    },
    {
      key: 'dpd',
      name: 'Days past due',
      label: 'days past due',
      unit: 'days',
      weight: 1,
      input: { kind: 'days_past_due' },
      scoring: {
        kind: 'bands',
        bands: [
          { upTo: 0, score: 100 },
          { upTo: 45, score: 50 },
          { upTo: null, score: 0 },
        ],
      },
    },
  ],
  bands: [
    { name: 'Poor', min: 0 },
    { name: 'Average', min: 51 },
    { name: 'Good', min: 76 },
  ],
};

function facts(
  logins: Record<string, number>,
  invoices: AccountSignalFacts['dueItems'] = [],
): AccountSignalFacts {
  return {
    daily: new Map([['usage.logins', new Map(Object.entries(logins))]]),
    totals: new Map(),
    lastPositiveDay: new Map(),
    dueItems: invoices,
  };
}

describe('health scoring', () => {
  it('scores values by bands and by a clamped straight line', () => {
    const bands = card.measures[1]?.scoring;
    const line = card.measures[0]?.scoring;
    if (!bands || !line) throw new Error('scorecard');
    expect([0, 1, 45, 46, 400].map((v) => scoreValue(bands, v))).toEqual([100, 50, 50, 0, 0]);
    expect([-80, -50, -25, 0, 30].map((v) => scoreValue(line, v))).toEqual([0, 0, 50, 100, 100]);
  });

  it('weights measures, and hands a missing measure weight to the present ones', () => {
    const full = computeHealth(card, { logins: -25, dpd: 0 });
    expect(full).toMatchObject({ score: 63, band: 'Average', missing: [] });
    expect(full?.components.map((c) => c.points)).toEqual([37.5, 25]);
    const partial = computeHealth(card, { logins: -25, dpd: null });
    expect(partial).toMatchObject({ score: 50, band: 'Poor', missing: ['dpd'] });
    expect(partial?.components[1]).toMatchObject({ value: null, score: null, effectiveWeight: 0 });
    expect(computeHealth(card, { logins: null, dpd: null })).toBeNull();
  });

  it('reads trends, lateness and missing inputs from the account facts', () => {
    const week = (start: number, value: number) =>
      Object.fromEntries(
        Array.from({ length: 7 }, (_, i) => [`2026-03-${String(start + i).padStart(2, '0')}`, value]),
      );
    const declining = facts({ ...week(1, 10), ...week(8, 4) }, [
      { kind: 'invoice', dueDate: '2026-02-01', doneDate: null },
      { kind: 'invoice', dueDate: '2026-01-01', doneDate: '2026-01-03' },
    ]);
    expect(measureInputs(card.measures, declining, '2026-03-14')).toEqual({ logins: -60, dpd: 41 });
    // Data that stopped arriving has no trend (rather than -100%): "days silent" names it.
    expect(measureInputs(card.measures, facts(week(1, 10)), '2026-03-14')).toEqual({
      logins: null,
      dpd: null,
    });
    expect(measureInputs(card.measures, facts(week(8, 10)), '2026-03-14')).toEqual({
      logins: null,
      dpd: null,
    });
    // History that begins inside the earlier window's second half is too short for a trend.
    const lateStart = facts({ ...week(5, 10), ...week(8, 4) });
    expect(measureInputs(card.measures, lateStart, '2026-03-14')).toEqual({ logins: null, dpd: null });
    const silent = { ...facts(week(1, 10)), lastDay: new Map([['usage.logins', '2026-03-07']]) };
    expect(
      measureInputs(
        [{ key: 'quiet', input: { kind: 'days_silent', metric: 'usage.logins' } }],
        silent,
        '2026-03-14',
      ),
    ).toEqual({ quiet: 7 });
  });

  it('reads zero open high-priority tickets, not "no data", for an account that sends tickets', () => {
    const open = DEFAULT_SCORECARD.measures.find(
      (measure) =>
        measure.input.kind === 'running_total' && measure.input.metric === 'tickets.open_high_delta',
    );
    if (!open) throw new Error('the default scorecard counts open high-priority tickets');
    const sends = (totals: Record<string, number>): AccountSignalFacts => ({
      daily: new Map(),
      totals: new Map(Object.entries(totals)),
      lastPositiveDay: new Map(),
      dueItems: [],
    });
    // Normal-priority tickets only: no high-priority delta was ever written, and none is open.
    expect(measureInputs([open], sends({ 'tickets.opened': 4, 'tickets.closed': 3 }), '2026-03-14')).toEqual({
      [open.key]: 0,
    });
    expect(measureInputs([open], sends({}), '2026-03-14')).toEqual({ [open.key]: null });
    expect(factsQuery([open.input], '2026-03-14').totalMetrics).toEqual(
      expect.arrayContaining(['tickets.open_high_delta', 'tickets.opened']),
    );
    // An event never sent by an account that sends other events happened zero times.
    const exports = { kind: 'window_total', metric: 'events.report_exported', windowDays: 30 } as const;
    const measure = { key: 'exports', input: exports };
    expect(measureInputs([measure], sends({ 'usage.events': 12 }), '2026-03-14')).toEqual({ exports: 0 });
    expect(measureInputs([measure], sends({}), '2026-03-14')).toEqual({ exports: null });
  });

  it('explains which measures moved the score and by how much', () => {
    const before = computeHealth(card, { logins: 0, dpd: 0 });
    const after = computeHealth(card, { logins: -42, dpd: 50 });
    if (!before || !after) throw new Error('scores');
    expect(after.score - before.score).toBe(-88);
    expect(explainChange(card, before, after).map((d) => d.text)).toEqual([
      '-63: logins down 42% over 7 days',
      '-25: days past due 0 days → 50 days',
    ]);
  });

  it('validates scorecards and bands, and flags sentiment that disagrees', () => {
    expect(scorecardSchema.safeParse(DEFAULT_SCORECARD).success).toBe(true);
    const duplicate = { ...card, measures: [card.measures[0], card.measures[0]] };
    expect(scorecardSchema.safeParse(duplicate).success).toBe(false);
    const noZero = { ...card, bands: [{ name: 'Good', min: 50 }] };
    expect(scorecardSchema.safeParse(noZero).success).toBe(false);
    expect([0, 50, 51, 75, 76, 100].map((s) => bandOf(card.bands, s))).toEqual([
      'Poor',
      'Poor',
      'Average',
      'Average',
      'Good',
      'Good',
    ]);
    expect(sentimentDisagrees('green', 30)).toBe(true);
    expect(sentimentDisagrees('red', 90)).toBe(true);
    expect(sentimentDisagrees('yellow', 10)).toBe(false);
  });
});

describe('signals', () => {
  it('parses timestamps with zones and bare dates, and rejects impossible ones', () => {
    expect(parseTimestamp('2026-03-01T10:00:00+02:00')).toBe('2026-03-01T08:00:00.000Z');
    expect(parseTimestamp('2026-03-01')).toBe('2026-03-01T00:00:00.000Z');
    expect(parseTimestamp('2026-02-30T10:00:00Z')).toBeNull();
    expect(parseTimestamp('2026-03-01T10:00:00')).toBeNull();
    expect(parseTimestamp('yesterday')).toBeNull();
  });

  it('turns tickets into open high-priority deltas and licences into utilisation', () => {
    const signal = (raw: unknown) => {
      const parsed = parseSignal(raw);
      if (!parsed.ok) throw new Error(JSON.stringify(parsed.issues));
      return parsed.signal;
    };
    const base = { account: 'A', occurredAt: '2026-03-01T00:00:00Z' };
    expect(
      rollupsOf(
        signal({ ...base, kind: 'ticket', data: { ticketId: 'T', action: 'closed', priority: 'urgent' } }),
      ),
    ).toEqual([
      { metric: 'tickets.closed', op: 'sum', value: 1 },
      { metric: 'tickets.open_high_delta', op: 'sum', value: -1 },
    ]);
    expect(
      rollupsOf(signal({ ...base, kind: 'licence', data: { seatsUsed: 1, seatsPurchased: 3 } })),
    ).toEqual([{ metric: 'licence.utilisation', op: 'last', value: 33.33 }]);
    // Licence use as a ratio; a percent (85) could be a misplaced ratio, so it is refused, not guessed.
    expect(rollupsOf(signal({ ...base, kind: 'licence', data: { utilisation: 0.85 } }))).toEqual([
      { metric: 'licence.utilisation', op: 'last', value: 85 },
    ]);
    expect(parseSignal({ ...base, kind: 'licence', data: { utilisation: 85 } })).toEqual({
      ok: false,
      issues: [{ field: 'data.utilisation', message: 'a ratio from 0 to 1: 85% in use is 0.85' }],
    });
    expect(parseSignal({ ...base, kind: 'licence', data: { utilisation: 0.5, seatsUsed: 3 } })).toMatchObject(
      {
        ok: false,
        issues: [
          {
            field: 'data.utilisation',
            message: 'send either utilisation or seatsUsed and seatsPurchased, not both',
          },
        ],
      },
    );
    expect(parseSignal({ ...base, kind: 'licence', data: { seatsUsed: 3 } })).toMatchObject({
      ok: false,
      issues: [{ field: 'data.seatsPurchased' }],
    });
    // A ticket without an id counts as a ticket of its own.
    expect(
      rollupsOf(signal({ ...base, kind: 'ticket', data: { action: 'opened', priority: 'high' } })),
    ).toEqual([
      { metric: 'tickets.opened', op: 'sum', value: 1 },
      { metric: 'tickets.open_high_delta', op: 'sum', value: 1 },
    ]);
    // A day that reports nobody active is a zero, not a gap.
    expect(
      rollupsOf(signal({ ...base, kind: 'usage', data: { event: 'daily', count: 0, activeUsers: 0 } })),
    ).toEqual([
      { metric: 'usage.events', op: 'sum', value: 0 },
      { metric: 'events.daily', op: 'sum', value: 0 },
      { metric: 'usage.active_users', op: 'max', value: 0 },
    ]);
    const csv = parseSignal(
      { ...base, kind: 'touchpoint', data: { channel: 'call', reason: 'QBR', risk: 'yes' } },
      'csv',
    );
    expect(csv.ok && rollupsOf(csv.signal).map((d) => d.metric)).toEqual([
      'touchpoints.count',
      'touchpoints.risk',
    ]);
  });
});

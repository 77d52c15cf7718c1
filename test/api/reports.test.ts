// What the Reports screens read over HTTP: the monthly report's downloads and account links, and
// the preview of a candidate scorecard's band changes before it is applied.
import { afterEach, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import type { Scorecard } from '../../src/domain/health';
import type { MonthlyRiskReport } from '../../src/domain/monthly-report';
import { SYSTEM_ACTOR } from '../../src/domain/policy';
import type { ScorecardPreview } from '../../src/services/health';
import { forEachStore } from '../helpers/stores';
import { apiWorld, errorCode } from './helpers';

const V1 = '/api/v1';

let app: FastifyInstance | null = null;
afterEach(async () => {
  await app?.close();
  app = null;
});

/** A scorecard on ARR alone: every account of the tiny book has a score without any signal. */
function arrScorecard(fullScoreAt: number, bands: Scorecard['bands']): Scorecard {
  return {
    measures: [
      {
        key: 'arr_size',
        name: 'ARR size',
        label: 'ARR',
        unit: 'value',
        weight: 1,
        input: { kind: 'attribute', attribute: 'arr' },
        scoring: { kind: 'linear', from: { value: 0, score: 0 }, to: { value: fullScoreAt, score: 100 } },
      },
    ],
    bands,
  };
}
const POOR_GOOD = [
  { name: 'Poor', min: 0 },
  { name: 'Good', min: 50 },
];

forEachStore('the reports screens over HTTP', (current) => {
  it('names the files of the written report and links each case to its account', async () => {
    const w = await apiWorld(current());
    app = w.app;
    const url = `${V1}/reports/monthly?teamId=${w.book.teams.a}&month=2026-03`;
    const json = await w.as('leadA', { method: 'GET', url });
    expect(json.statusCode).toBe(200);
    const report = json.json<MonthlyRiskReport>();
    const acme = w.book.accounts[0];
    expect(report.openAtEnd.find((c) => c.externalId === 'A-1')).toMatchObject({
      accountId: acme?.id,
      account: 'Acme Analytics',
    });
    expect(json.headers['content-disposition']).toBeUndefined();

    const md = await w.as('leadA', { method: 'GET', url: `${url}&format=md` });
    expect(md.headers['content-type']).toBe('text/markdown; charset=utf-8');
    expect(md.headers['content-disposition']).toBe('attachment; filename="risk-report-team-a-2026-03.md"');
    const html = await w.as('leadA', { method: 'GET', url: `${url}&format=html` });
    expect(html.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(html.headers['content-disposition']).toBe('inline; filename="risk-report-team-a-2026-03.html"');
    const csv = await w.as('viewer', { method: 'GET', url: `${url}&format=csv&table=lost` });
    expect(csv.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(csv.headers['content-disposition']).toBe(
      'attachment; filename="risk-report-team-a-2026-03-lost.csv"',
    );

    // Accents fall away; a name with no letter or digit left falls back to the team's id.
    const t = current();
    const accented = await t.services.users.createTeam(SYSTEM_ACTOR, 'Équipe Nord & Süd');
    const symbols = await t.services.users.createTeam(SYSTEM_ACTOR, '«★»');
    for (const [team, name] of [
      [accented.id, 'equipe-nord-sud'],
      [symbols.id, `team-${symbols.id}`],
    ] as const) {
      const named = await w.as('viewer', {
        method: 'GET',
        url: `${V1}/reports/monthly?teamId=${team}&month=2026-03&format=md`,
      });
      expect(named.headers['content-disposition']).toBe(
        `attachment; filename="risk-report-${name}-2026-03.md"`,
      );
    }
    const future = await w.as('leadA', {
      method: 'GET',
      url: `${V1}/reports/monthly?teamId=${w.book.teams.a}&month=2027-01&format=csv`,
    });
    expect(future.statusCode).toBe(400);
    expect(errorCode(future)).toBe('INVALID_DATE');
  });

  it('previews how a candidate scorecard moves accounts between bands, changing nothing', async () => {
    const w = await apiWorld(current(), { cases: false });
    app = w.app;
    const live = arrScorecard(100_000, POOR_GOOD);
    expect(
      (await w.as('admin', { method: 'PUT', url: `${V1}/health/scorecard`, payload: live })).statusCode,
    ).toBe(200);
    const preview = (candidate: unknown, who: 'admin' | 'leadA' = 'admin') =>
      w.as(who, { method: 'POST', url: `${V1}/health/scorecard/preview`, payload: { scorecard: candidate } });

    // ARR 48k, 3k, 120k, 15k, 9k, 60k: full marks at 100k puts two in Good; at 50k Acme (48k) joins them.
    const stricter = await preview(arrScorecard(50_000, POOR_GOOD));
    expect(stricter.statusCode).toBe(200);
    expect(stricter.json<ScorecardPreview>()).toEqual({
      day: '2026-03-02',
      accounts: 6,
      changed: 1,
      live: [
        { band: 'Poor', accounts: 4 },
        { band: 'Good', accounts: 2 },
      ],
      candidate: [
        { band: 'Poor', accounts: 3 },
        { band: 'Good', accounts: 3 },
      ],
      moves: [{ from: 'Poor', to: 'Good', accounts: 1 }],
    });

    // Other band names: every account moves, and bands nobody falls in are still listed.
    const renamed = await preview(
      arrScorecard(100_000, [
        { name: 'Red', min: 0 },
        { name: 'Amber', min: 30 },
        { name: 'Green', min: 90 },
      ]),
    );
    expect(renamed.json<ScorecardPreview>()).toMatchObject({
      changed: 6,
      candidate: [
        { band: 'Red', accounts: 3 },
        { band: 'Amber', accounts: 2 },
        { band: 'Green', accounts: 1 },
      ],
      moves: [
        { from: 'Poor', to: 'Red', accounts: 3 },
        { from: 'Good', to: 'Amber', accounts: 1 },
        { from: 'Good', to: 'Green', accounts: 1 },
        { from: 'Poor', to: 'Amber', accounts: 1 },
      ],
    });

    // A scorecard reading what no account has leaves every account without a score.
    const blind = await preview({
      ...live,
      measures: [{ ...live.measures[0], input: { kind: 'attribute', attribute: 'seats' } }],
    });
    expect(blind.json<ScorecardPreview>()).toMatchObject({
      changed: 6,
      candidate: [
        { band: 'Poor', accounts: 0 },
        { band: 'Good', accounts: 0 },
        { band: null, accounts: 6 },
      ],
      moves: [
        { from: 'Poor', to: null, accounts: 4 },
        { from: 'Good', to: null, accounts: 2 },
      ],
    });

    // Nothing was applied or stored.
    const after = await w.as('viewer', { method: 'GET', url: `${V1}/health/scorecard` });
    expect(after.json()).toEqual(live);
    const health = await w.as('viewer', {
      method: 'GET',
      url: `${V1}/accounts/${w.book.accounts[0]?.id}/health`,
    });
    expect(health.json<{ current: unknown }>().current).toBeNull();

    // Only admins preview; a candidate that is no scorecard is a validation error.
    const lead = await preview(arrScorecard(50_000, POOR_GOOD), 'leadA');
    expect(lead.statusCode).toBe(403);
    expect(errorCode(lead)).toBe('FORBIDDEN');
    const noBandAtZero = await preview(arrScorecard(50_000, [{ name: 'Good', min: 50 }]));
    expect(noBandAtZero.statusCode).toBe(400);
    expect(errorCode(noBandAtZero)).toBe('VALIDATION_FAILED');
  });
});

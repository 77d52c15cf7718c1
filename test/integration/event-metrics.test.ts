// Product events by name: what a Segment or RudderStack track call says (its event and numeric
// properties) is kept as daily measures per account, so segments, health scores and detection rules
// can read "Report Exported in the last 30 days" and "rows exported in the last 30 days".
import { expect, it } from 'vitest';
import { apiWorld, type ApiWorld } from '../api/helpers';
import { forEachStore } from '../helpers/stores';

const V1 = '/api/v1';

function track(event: string, account: string, id: string, properties: Record<string, unknown> = {}) {
  return {
    type: 'track',
    event,
    messageId: id,
    context: { groupId: account },
    properties,
    timestamp: '2026-03-01T10:00:00Z',
  };
}

async function send(w: ApiWorld, batch: Record<string, unknown>[]) {
  const basic = `Basic ${Buffer.from(`${w.tokens.ingest}:`).toString('base64')}`;
  const response = await w.app.inject({
    method: 'POST',
    url: `${V1}/segment/v1/batch`,
    headers: { authorization: basic },
    payload: { batch },
  });
  expect(response.statusCode, response.body).toBe(200);
  return response.json<{ accepted: number; rejected: number }>();
}

async function members(w: ApiWorld, filter: string): Promise<string[]> {
  const response = await w.as('viewer', {
    method: 'POST',
    url: `${V1}/segments/preview`,
    payload: { filter },
  });
  expect(response.statusCode, response.body).toBe(200);
  return response
    .json<{ items: { externalId: string }[] }>()
    .items.map((account) => account.externalId)
    .sort();
}

forEachStore('event metrics', (current) => {
  it('counts each event by name and sums its numeric properties, for segments to read', async () => {
    const w = await apiWorld(current(), { cases: false });
    const sent = await send(w, [
      track('Report Exported', 'A-1', 'e1', { rows: 12, format: 'csv' }),
      track('Report Exported', 'A-1', 'e2', { rows: 30, 'Duration (ms)': 1500 }),
      track('report exported', 'A-2', 'e3', { rows: 5 }),
      track('Dashboard Viewed', 'A-3', 'e4', { rows: '1,000' }),
      // Values past a trillion are kept with the signal but never summed (no overflow to Infinity).
      track('Dashboard Viewed', 'A-3', 'e5', { huge: 1e308 }),
      track('Dashboard Viewed', 'A-3', 'e6', { huge: 1e308 }),
    ]);
    expect(sent).toMatchObject({ accepted: 6, rejected: 0 });

    expect(await members(w, 'events.report_exported(30d) >= 2')).toEqual(['A-1']);
    expect(await members(w, 'events.report_exported(30d) >= 1')).toEqual(['A-1', 'A-2']);
    expect(await members(w, 'events.report_exported.rows(30d) > 40')).toEqual(['A-1']);
    expect(await members(w, 'events.report_exported.duration_ms(30d) = 1500')).toEqual(['A-1']);
    expect(await members(w, 'events.dashboard_viewed(30d) = 3')).toEqual(['A-3']);
    expect(await members(w, 'events.dashboard_viewed.huge(30d) is not empty')).toEqual([]);
    const a3 = await current().services.accounts.getByExternalId('A-3');
    const rollups = await w.as('admin', { method: 'GET', url: `${V1}/accounts/${a3.id}/rollups` });
    expect(rollups.statusCode).toBe(200);
    // A text property is not a measure: nothing is summed for it.
    expect(await members(w, 'events.dashboard_viewed.rows(30d) is not empty')).toEqual([]);
    // Missing data never matches, so `not` is the complement.
    expect(await members(w, 'not (events.report_exported(30d) >= 1)')).toEqual(['A-3', 'B-1', 'B-2', 'B-3']);
    // The window counts back from today (2026-03-02): one day holds nothing from 1 March.
    expect(await members(w, 'events.report_exported(1d) >= 1')).toEqual([]);

    const unknownShape = await w.as('viewer', {
      method: 'POST',
      url: `${V1}/segments/preview`,
      payload: { filter: 'events.report_exported > 1' },
    });
    expect(unknownShape.statusCode).toBe(400);
    expect(unknownShape.json()).toMatchObject({ error: { code: 'INVALID_FILTER' } });
    expect(unknownShape.json<{ error: { message: string } }>().error.message).toContain(
      'events.report_exported(30d)',
    );
  });

  it('lets a detection rule read an event, and refuses one that names it wrongly', async () => {
    const t = current();
    const w = await apiWorld(t, { cases: false });
    const rules = await w.as('admin', { method: 'GET', url: `${V1}/detection/rules` });
    const items = rules.json<{ items: Record<string, unknown>[] }>().items;
    const replaced = await w.as('admin', {
      method: 'PUT',
      url: `${V1}/detection/rules`,
      payload: {
        items: [
          ...items,
          {
            key: 'export_failures',
            name: 'Exports keep failing',
            reason: 'product_adoption',
            condition: {
              kind: 'measure',
              input: { kind: 'window_total', metric: 'events.export_failed', windowDays: 7 },
              min: 3,
            },
          },
        ],
      },
    });
    expect(replaced.statusCode, replaced.body).toBe(200);
    await send(
      w,
      [1, 2, 3].map((n) => track('Export Failed', 'B-2', `f${n}`)),
    );
    const cases = await w.as('admin', { method: 'GET', url: `${V1}/risk-cases?status=open&limit=50` });
    const opened = cases
      .json<{ items: { account: { externalId: string }; reasons: { key: string }[] }[] }>()
      .items.find((item) => item.account.externalId === 'B-2');
    expect(opened?.reasons.map((reason) => reason.key)).toContain('product_adoption');

    const badRule = await w.as('admin', {
      method: 'PUT',
      url: `${V1}/detection/rules`,
      payload: {
        items: [
          {
            key: 'bad',
            name: 'Bad',
            reason: 'product_adoption',
            condition: {
              kind: 'measure',
              input: { kind: 'window_total', metric: 'events.Export Failed', windowDays: 7 },
              min: 1,
            },
          },
        ],
      },
    });
    expect(badRule.statusCode).toBe(400);
  });
});

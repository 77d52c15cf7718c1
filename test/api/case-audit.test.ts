// A case's audit trail is read by people: each entry says who (by name) and what changed in
// words — stage and reason names, money as money — and never shows a stored key.
import { expect, it } from 'vitest';
import { apiWorld } from './helpers';
import { forEachStore } from '../helpers/stores';

const V1 = '/api/v1';

interface Entry {
  title: string;
  summary: string;
  actorName: string;
}

forEachStore('case audit trail', (current) => {
  it('says who changed what, in names', async () => {
    const w = await apiWorld(current());
    const caseId = w.book.cases.at_risk;
    const as = (payload: object, url: string, method: 'POST' | 'PUT' | 'PATCH') =>
      w.as('csmA', { method, url: `${V1}/risk-cases/${caseId}${url}`, payload });
    expect((await as({ stage: 'plan_in_place', note: 'Call booked' }, '/stage', 'POST')).statusCode).toBe(
      200,
    );
    expect((await as({ reasons: ['poor_engagement', 'support_issues'] }, '/reasons', 'PUT')).statusCode).toBe(
      200,
    );
    expect((await as({ expected: false, arrAtRisk: 12_500 }, '', 'PATCH')).statusCode).toBe(200);
    const response = await w.as('viewer', { method: 'GET', url: `${V1}/risk-cases/${caseId}/audit` });
    expect(response.statusCode).toBe(200);
    const entries = response.json<{ items: Entry[] }>().items;
    const csm = w.book.users.csmA.name;
    expect(entries.map(({ title, summary, actorName }) => ({ title, summary, actorName }))).toEqual(
      expect.arrayContaining([
        {
          title: 'Case opened',
          summary: expect.stringMatching(/^Opened at At Risk for Product adoption/) as unknown,
          actorName: 'Retain',
        },
        { title: 'Stage changed', summary: 'At Risk → Plan in Place. Note: “Call booked”', actorName: csm },
        {
          title: 'Reasons changed',
          summary: 'Added Poor engagement and Support issues; removed Product adoption.',
          actorName: csm,
        },
        {
          title: 'Matrix and value changed',
          summary: expect.stringContaining('Expected: not decided → Unexpected') as unknown,
          actorName: csm,
        },
      ]),
    );
    const details = entries.find((entry) => entry.title === 'Matrix and value changed');
    expect(details?.summary).toMatch(/ARR at risk: \$[\d,]+ → \$12,500/);
    for (const entry of entries) expect(`${entry.title} ${entry.summary}`).not.toMatch(/_/);
  });
});

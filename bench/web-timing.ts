// How fast each screen of the web app shows its data on a large book (100k accounts by default, 30
// days of rollups, open risk cases with a task each on one account in twelve, every account scored,
// owned by one of 20 CSMs in 4 teams), served by `retain serve` in its own process and opened in
// Chromium (Playwright) as an admin. For every screen: the time from navigation start to the first
// frame that shows the screen's data (a worklist row, the matrix counts, a KPI value: never just the
// heading), one cold visit then `--runs` warm ones; for the worklist and the accounts list, the time
// from a click on "Next" to the frame that shows the next page. The baseline, in the same run: the
// API calls the browser made for that screen, fetched straight from Node at once, so the ratio
// screen/API is what the browser adds (session check, code, rendering). Targets: 1 s a screen,
// 300 ms a page turn; reported, not enforced.
//
//   npm run bench:web-timing
//   npm run bench:web-timing -- --accounts 5000 --runs 5
//   npm run bench:web-timing -- --pg postgres://postgres@127.0.0.1:5432/postgres
import { execSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { loadavg } from 'node:os';
import { chromium, type Page, type Request } from '@playwright/test';
import { sql } from 'kysely';
import { claimDay, finishDay } from '../src/jobs/daily-run';
import { addOpenCases, BENCH_NOW, benchAdmin, benchBookFromArgs, percentile, seconds } from './lib/book';
import { startServer } from './lib/server';

const SCREEN_TARGET_MS = 1000;
const PAGING_TARGET_MS = 300;
const TEAMS = 4;
const CSMS = 20;
const WAIT_MS = 20_000;

if (!existsSync('dist/web/index.html')) execSync('npm run build:web', { stdio: 'inherit' });
if (!process.argv.includes('--days')) process.argv.push('--days', '30');
const setupStarted = Date.now();
const { book, options } = await benchBookFromArgs({ runs: { default: '5' } });
const runs = Math.max(1, Number(options.runs));
const db = book.store.db;

// Who works the book: 4 teams of 5 CSMs, each account owned by one of them; an open task per case.
const teamIds: number[] = [];
for (let t = 1; t <= TEAMS; t += 1) {
  const team = await db
    .insertInto('teams')
    .values({ name: `Team ${t}`, created_at: BENCH_NOW })
    .returning('id')
    .executeTakeFirstOrThrow();
  teamIds.push(team.id);
}
const csmIds: number[] = [];
for (let c = 0; c < CSMS; c += 1) {
  const user = await db
    .insertInto('users')
    .values({
      email: `csm${c + 1}@bench.local`,
      name: `CSM ${c + 1}`,
      role: 'csm',
      team_id: teamIds[c % TEAMS]!,
      active: 1,
      password_hash: null,
      created_at: BENCH_NOW,
      updated_at: BENCH_NOW,
      last_login_at: null,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  csmIds.push(user.id);
}
// CSM c (ids consecutive) is in team c % 4, so an account's team follows from its owner.
await sql`update accounts set owner_id = ${csmIds[0]!} + id % ${CSMS}, team_id = ${teamIds[0]!} + id % ${TEAMS}`.execute(
  db,
);
await addOpenCases(book);
// Each case entered its stage once, when it opened (the case page reads the stage history).
await sql`insert into risk_stage_history (case_id, from_stage_id, to_stage_id, at, by_user_id, note)
  select id, null, stage_id, stage_entered_at, null, null from risk_cases`.execute(db);
const scored = await book.services.health.score();
// History for the health backtest: the scores as they stood 60 days ago (the day the screen opens
// on), and customers lost since, more often among those scored poorly then (one in three) than
// among the rest (one in a hundred), none of them with an open case.
const ASOF = new Date(Date.parse(BENCH_NOW) - 60 * 86_400_000).toISOString().slice(0, 10);
await sql`insert into health_scores (account_id, day, score, band, components, missing, computed_at)
  select account_id, ${ASOF}, score, band, components, missing, computed_at from health_scores
  where day = ${BENCH_NOW.slice(0, 10)}`.execute(db);
const closedAt =
  book.store.kind === 'postgres'
    ? sql`to_char((${BENCH_NOW}::timestamptz - (a.id % 55) * interval '1 day') at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`
    : sql`strftime('%Y-%m-%dT%H:%M:%fZ', ${BENCH_NOW}, '-' || (a.id % 55) || ' days')`;
await sql`insert into risk_cases (account_id, stage_id, stage_entered_at, opened_at, closed_at, outcome, source,
    arr_at_risk, ltv, ltv_given, track, created_at, updated_at)
  select a.id, s.id, ${closedAt}, ${ASOF}, ${closedAt}, 'lost', 'rule', a.arr, a.arr * 3, 0,
    case when a.arr < 20000 then 'digital' else 'human' end, ${BENCH_NOW}, ${BENCH_NOW}
  from accounts a
  join health_scores h on h.account_id = a.id and h.day = ${ASOF}
  join risk_stages s on s.is_end = 1 and s.outcome = 'lost'
  where a.id % 12 <> 0 and ((h.band = 'Poor' and a.id % 3 = 0) or a.id % 100 = 1)`.execute(db);
// The nightly run is not daytime load: its scoring and segment refresh done, and the day marked
// done, as they would be by the time users arrive.
const refreshedSegments = await book.services.segments.refresh();
await claimDay(db, BENCH_NOW.slice(0, 10), new Date(BENCH_NOW));
await finishDay(db, BENCH_NOW.slice(0, 10), new Date(BENCH_NOW));
const { adminId, token } = await benchAdmin(book);
// A task per case for its account's owner, and every other one for the admin the screens are seen as.
await sql`insert into tasks (account_id, case_id, assignee_id, title, description, due_at, status, actions, created_at)
  select c.account_id, c.id, case when c.id % 2 = 0 then ${adminId} else a.owner_id end, 'Call the sponsor',
    'Agree a save plan.', ${BENCH_NOW}, 'open', '[]', ${BENCH_NOW}
  from risk_cases c join accounts a on a.id = c.account_id`.execute(db);
// The admin heard of each task given to them.
await sql`insert into notifications (user_id, kind, dedupe_key, title, summary, account_id, case_id, task_id, created_at)
  select ${adminId}, 'task_assigned', 'task:' || t.id, 'New task: Call the sponsor', 'Agree a save plan.', t.account_id,
    t.case_id, t.id, ${BENCH_NOW}
  from tasks t where t.assignee_id = ${adminId}`.execute(db);
const cases = await db
  .selectFrom('risk_cases')
  .select((eb) => eb.fn.countAll<number>().as('n'))
  .executeTakeFirstOrThrow();
console.log(
  `  ${Number(cases.n)} open cases and tasks, ${scored.scored} accounts scored, ${CSMS} CSMs in ${TEAMS} teams ` +
    `(book ready after ${seconds(Date.now() - setupStarted)})`,
);

/** The little of the page the measuring code touches (this project's server code has no DOM types). */
interface PageElement {
  querySelector(selector: string): PageElement | null;
  querySelectorAll(selector: string): ArrayLike<PageElement>;
  getAttribute(name: string): string | null;
  click(): void;
  textContent: string | null;
  disabled?: boolean;
}
interface PageWindow {
  document: PageElement;
  location: { pathname: string };
  requestAnimationFrame(callback: () => void): number;
}

interface Screen {
  name: string;
  path: string;
  /** Elements that exist only once the screen's data is rendered: all of them must be there. */
  ready: string[];
}

// An open case's account in the middle of the book (one account in twelve has one).
const accountId = Math.max(12, Math.floor(book.accounts / 24) * 12);
// The seeded segment with the most members.
const biggestSegment = [...refreshedSegments].sort((a, b) => b.members - a.members)[0];
if (!biggestSegment) throw new Error('the book has its seeded segments');
const SCREENS: Screen[] = [
  { name: 'Worklist', path: '/', ready: ['tr[data-case-id]'] },
  { name: 'Accounts', path: '/accounts', ready: ['tr[data-account-id]'] },
  { name: 'Account page', path: `/accounts/${accountId}`, ready: ['.account-head .facts', '.score-line'] },
  { name: 'Risk matrix', path: '/matrix', ready: ['.q-count'] },
  { name: 'Scorecard', path: '/scorecard', ready: ['.kpi-value'] },
  { name: 'Risk trends', path: '/trends', ready: ['table.trends td'] },
  { name: 'Huddle', path: '/huddle', ready: ['.huddle-cases li'] },
  { name: 'Tasks', path: '/tasks', ready: ['ul.tasks li'] },
  { name: 'Playbooks', path: '/playbooks', ready: ['li.play'] },
  { name: 'Segments', path: '/segments', ready: ['table.segments tbody tr'] },
  {
    name: 'Segment page',
    path: `/segments/${biggestSegment.segmentId}`,
    ready: ['.segment .facts', '.segment tbody tr'],
  },
  // The book's month: the browser's clock is today, the server's the book's day.
  {
    name: 'Monthly report',
    path: `/reports/monthly?month=${BENCH_NOW.slice(0, 7)}`,
    ready: ['.report-section table'],
  },
  { name: 'Churn analysis', path: '/reports/churn', ready: ['.report-section'] },
  // The scores of 60 days before the book's day against the losses since (the browser's today is
  // the real date).
  {
    name: 'Health backtest',
    path: `/reports/health-backtest?asOf=${ASOF}&horizonDays=60`,
    ready: ['.figure-value'],
  },
  { name: 'Settings', path: '/settings', ready: ['[role=tabpanel] form'] },
  { name: 'Notifications', path: '/notifications', ready: ['ul.notifications li'] },
];

/**
 * In the page: waits, frame by frame, until every `ready` element exists inside <main> and nothing
 * in <main> is still loading, and returns performance.now() then (milliseconds since navigation
 * start), or what the screen shows instead when it settles on an empty state or an error.
 */
async function dataShown(page: Page, ready: string[]): Promise<{ at: number; state: string }> {
  const handle = await page.waitForFunction(
    (selectors: string[]) => {
      const main = (globalThis as unknown as PageWindow).document.querySelector('main');
      if (!main || main.querySelector('.state-loading')) return false;
      const error = main.querySelector('.state-error, .action-error');
      if (error) return { at: performance.now(), state: `error: ${error.textContent ?? ''}` };
      if (selectors.every((selector) => main.querySelector(selector)))
        return { at: performance.now(), state: 'data' };
      const empty = main.querySelector('.state-empty');
      if (empty) return { at: performance.now(), state: `empty: ${empty.textContent ?? ''}` };
      return false;
    },
    ready,
    { polling: 'raf', timeout: WAIT_MS },
  );
  return (await handle.jsonValue()) as { at: number; state: string };
}

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
  args: [
    '--no-sandbox',
    '--disable-gpu',
    '--disable-quic',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
  ],
});
const server = await startServer(book.target, { env: { RETAIN_LOG: 'off' } });
const { base } = server;
let failures = 0;
let unjudged = 0;

try {
  const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
  const page = await context.newPage();
  page.on('pageerror', (error) => console.error(`  page error at ${page.url()}: ${error.message}`));
  // A build of the web app elsewhere on this machine replaces dist/web: the page then asks for code
  // that is gone, and that run is made again.
  let missingCode = false;
  page.on('response', (response) => {
    if (response.status() === 404 && new URL(response.url()).pathname.startsWith('/assets/'))
      missingCode = true;
  });
  let retried = 0;
  const again = async <T>(attempt: () => Promise<T>): Promise<T> => {
    for (let tries = 1; ; tries += 1) {
      missingCode = false;
      try {
        return await attempt();
      } catch (error) {
        if (!missingCode || tries >= 3) throw error;
        retried += 1;
      }
    }
  };
  // The API calls the page makes, as paths, from the moment `recording` is set; the live stream is
  // not a call a screen waits on.
  let recording: string[] | null = null;
  // API calls under way: each run starts once the last one's are answered, so that a screen is
  // never timed while the server still works on calls of the one before.
  const pending = new Set<Request>();
  page.on('request', (request) => {
    if (new URL(request.url()).pathname.startsWith('/api/v1/') && request.resourceType() !== 'eventsource')
      pending.add(request);
  });
  page.on('requestfinished', (request) => pending.delete(request));
  page.on('requestfailed', (request) => pending.delete(request));
  const settled = async () => {
    for (let waited = 0; pending.size > 0 && waited < 120_000; waited += 50)
      await new Promise((done) => setTimeout(done, 50));
  };
  page.on('request', (request) => {
    const url = new URL(request.url());
    if (recording && url.pathname.startsWith('/api/') && !url.pathname.startsWith('/api/v1/events'))
      recording.push(`${request.method()} ${url.pathname}${url.search}`);
  });
  // Logged in once, over the API: the server's clock is the book's day (in the past), so the
  // session cookie it sets has expired by the browser's clock; it is handed over as a cookie that
  // lasts as long as the browser, and the server still decides when the session ends.
  const login = await fetch(`${base}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: 'bench@retain.local', password: 'bench-password-2026' }),
  });
  const session = /retain_session=([^;]+)/.exec(login.headers.get('set-cookie') ?? '')?.[1];
  if (!login.ok || !session) throw new Error(`login failed: HTTP ${login.status}`);
  await context.addCookies([
    { name: 'retain_session', value: session, url: base, httpOnly: true, sameSite: 'Strict' },
  ]);
  await again(async () => {
    await page.goto(base);
    await page.locator('main tr[data-case-id]').first().waitFor({ timeout: WAIT_MS });
  });

  /** The same calls from Node, all at once as the browser sends them: wall time of the slowest. */
  const bodies = new Map<string, string>();
  const apiTime = async (calls: readonly string[]): Promise<number> => {
    const t0 = performance.now();
    await Promise.all(
      calls.map(async (call) => {
        const [method = 'GET', path = '/'] = call.split(' ');
        const response = await fetch(`${base}${path}`, {
          method,
          headers: {
            authorization: `Bearer ${token}`,
            ...(method === 'POST' ? { 'content-type': 'application/json' } : {}),
          },
          body: method === 'POST' ? (bodies.get(call) ?? '{}') : undefined,
        });
        await response.arrayBuffer();
        // A refusal the screen shows (a report with nothing to report) is timed like an answer.
        if (response.status >= 500) throw new Error(`${call}: HTTP ${response.status}`);
      }),
    );
    return performance.now() - t0;
  };
  page.on('request', (request) => {
    const url = new URL(request.url());
    const data = request.postData();
    if (data !== null) bodies.set(`${request.method()} ${url.pathname}${url.search}`, data);
  });

  interface Row {
    name: string;
    cold: number;
    warm: number[];
    api: number[];
    target: number;
    state: string;
    calls: string[];
  }
  const rows: Row[] = [];
  const measure = async (
    name: string,
    target: number,
    once: () => Promise<{ at: number; state: string }>,
  ): Promise<void> => {
    const times: number[] = [];
    let state = 'data';
    let calls: string[] = [];
    for (let run = 0; run <= runs; run += 1) {
      const shown = await again(() => {
        recording = [];
        return once();
      });
      if (shown.state !== 'data') state = shown.state;
      times.push(shown.at);
      if (run === 0) calls = [...new Set(recording)];
      recording = null;
      await settled();
    }
    const api: number[] = [];
    for (let run = 0; run <= runs; run += 1) api.push(await apiTime(calls));
    rows.push({ name, cold: times[0]!, warm: times.slice(1), api: api.slice(1), target, state, calls });
  };

  for (const screen of SCREENS)
    await measure(screen.name, SCREEN_TARGET_MS, async () => {
      await page.goto(`${base}${screen.path}`, { waitUntil: 'commit' });
      return dataShown(page, screen.ready);
    });

  // A page turn: from the click on "Next" to the frame whose first row is another case or account.
  for (const [name, path, row] of [
    ['Worklist: next page', '/', 'data-case-id'],
    ['Accounts: next page', '/accounts', 'data-account-id'],
  ] as const)
    await measure(name, PAGING_TARGET_MS, async () => {
      await page.goto(`${base}${path}`, { waitUntil: 'commit' });
      await dataShown(page, [`tr[${row}]`]);
      recording = [];
      return page.evaluate(async (attribute: string) => {
        const win = globalThis as unknown as PageWindow;
        const main = win.document.querySelector('main')!;
        // (No named functions in here: the bundler's name helper does not exist in the page.)
        const first = main.querySelector(`tr[${attribute}]`)?.getAttribute(attribute);
        const next = Array.from(main.querySelectorAll('.pager button')).find(
          (button) => button.textContent?.trim() === 'Next',
        );
        if (!next || next.disabled) return { at: 0, state: 'no next page' };
        const t0 = performance.now();
        next.click();
        for (;;) {
          await new Promise((frame) => win.requestAnimationFrame(() => frame(null)));
          const now = main.querySelector(`tr[${attribute}]`)?.getAttribute(attribute);
          if (now && now !== first && !main.querySelector('.state-loading'))
            return { at: performance.now() - t0, state: 'data' };
        }
      }, row);
    });

  const ms = (value: number) => `${Math.round(value)} ms`.padStart(8);
  console.log(
    `  ${book.store.kind}, ${book.accounts} accounts; ${runs} warm runs after 1 cold, Chromium headless, server in its own process` +
      `; load average ${loadavg()
        .map((one) => one.toFixed(1))
        .join(' ')} (1, 5, 15 min)`,
  );
  console.log(
    `  ${'screen'.padEnd(22)} ${'cold'.padStart(8)} ${'p50'.padStart(8)} ${'max'.padStart(8)} ${'target'.padStart(8)}  ` +
      `${'result'.padEnd(6)} ${'API p50'.padStart(8)} ${'ratio'.padStart(7)}`,
  );
  for (const row of rows) {
    const p50 = percentile(row.warm, 50);
    const max = Math.max(row.cold, ...row.warm);
    const apiP50 = percentile(row.api, 50);
    // A screen that settled on an empty state or an error did not show data: timed, not judged.
    const result = row.state !== 'data' ? 'n/a' : max <= row.target ? 'pass' : 'FAIL';
    if (result === 'FAIL') failures += 1;
    if (result === 'n/a') unjudged += 1;
    console.log(
      `  ${row.name.padEnd(22)} ${ms(row.cold)} ${ms(p50)} ${ms(max)} ${ms(row.target)}  ${result.padEnd(6)} ` +
        `${ms(apiP50)} ${`${(p50 / Math.max(1, apiP50)).toFixed(1)}x`.padStart(7)}` +
        (row.state === 'data' ? '' : `  (${row.state.slice(0, 80)})`),
    );
  }
  if (retried > 0) console.log(`  ${retried} run(s) made again: the web app was rebuilt meanwhile`);
  console.log('  API calls behind each screen (the baseline, fetched from Node at once):');
  for (const row of rows) console.log(`    ${row.name.padEnd(22)} ${row.calls.join(', ')}`);
  console.log(
    `  ${rows.length - failures - unjudged} of ${rows.length} within target, ${failures} over, ` +
      `${unjudged} without data to show`,
  );
} catch (error) {
  // What the screen showed when a wait ran out, to say which element never came.
  const shown = await browser
    .contexts()[0]
    ?.pages()[0]
    ?.evaluate(() => {
      const win = globalThis as unknown as PageWindow;
      return `${win.location.pathname}: ${win.document.querySelector('main')?.textContent?.slice(0, 400) ?? ''}`;
    })
    .catch(() => '');
  console.error(`  on screen: ${shown ?? ''}`);
  throw error;
} finally {
  await browser.close();
  await server.stop();
  await book.close();
}

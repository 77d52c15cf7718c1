// HTTP load: a large book (100k accounts by default, 30 days of rollups, open cases on one account in
// twelve) served by `retain serve` in its own process, driven on loopback by autocannon at a steady
// rate: the worklist, the account page (account and health, random accounts) and signal ingest, each
// for `--duration` seconds. Prints p50/p99 latency and the error count (the goal is 0), then the ingest
// throughput without a rate cap against the raw insert rate of the same signal rows.
//
//   npm run bench:load
//   npm run bench:load -- --accounts 20000 --duration 20 --rate 100
//   npm run bench:load -- --pg postgres://postgres@127.0.0.1:5432/postgres
//   npm run bench:load -- --scenarios ingest    # some of: worklist,account,ingest (uncapped ingest always runs)
import autocannon from 'autocannon';
import { SYSTEM_ACTOR } from '../src/domain/policy';
import { claimDay, finishDay } from '../src/jobs/daily-run';
import { addOpenCases, BENCH_NOW, benchAdmin, benchBookFromArgs } from './lib/book';
import { startServer } from './lib/server';

if (!process.argv.includes('--days')) process.argv.push('--days', '30');
const { book, options } = await benchBookFromArgs({
  duration: { default: '60' },
  rate: { default: '200' },
  scenarios: { default: 'worklist,account,ingest,flat' },
});
const scenarios = new Set(options.scenarios.split(','));
const duration = Number(options.duration);
const rate = Number(options.rate);
const accountId = () => 1 + Math.floor(Math.random() * book.accounts);
const externalId = (id: number) => `ACC-${String(id).padStart(7, '0')}`;

await addOpenCases(book);
// The nightly re-score of the whole book is not part of daytime load: mark today's as done, as it
// would be by the time users arrive, so the server does not start one while it is measured.
await claimDay(book.store.db, BENCH_NOW.slice(0, 10), new Date(BENCH_NOW));
await finishDay(book.store.db, BENCH_NOW.slice(0, 10), new Date(BENCH_NOW));
const { adminId, token } = await benchAdmin(book);
const ingest = await book.services.auth.createApiToken(SYSTEM_ACTOR, {
  name: 'bench ingest',
  userId: adminId,
  scope: 'ingest',
});

const server = await startServer(book.target);
const { base } = server;

try {
  const run = (title: string, opts: Partial<autocannon.Options>) =>
    autocannon({ url: base, duration, connections: 10, ...opts, title });
  const report = (result: autocannon.Result) => {
    const errors = result.errors + result.timeouts + result.non2xx;
    console.log(
      `  ${String(result.title).padEnd(28)} ${String(Math.round(result.requests.average)).padStart(6)} req/s` +
        `  p50 ${String(result.latency.p50).padStart(4)} ms  p99 ${String(result.latency.p99).padStart(5)} ms  errors ${errors}`,
    );
    return errors;
  };
  const auth = { authorization: `Bearer ${token}` };
  let sequence = 0;
  const signalBody = () => {
    sequence += 1;
    const id = accountId();
    return JSON.stringify({
      signals: [
        {
          kind: 'usage',
          account: externalId(id),
          occurredAt: BENCH_NOW,
          idempotencyKey: `load-${sequence}-${id}`,
          data: { event: 'login', count: 1 },
        },
      ],
    });
  };
  const ingestRequest = {
    method: 'POST' as const,
    path: '/api/v1/signals',
    headers: { authorization: `Bearer ${ingest.token}`, 'content-type': 'application/json' },
    setupRequest: (request: autocannon.Request) => ({ ...request, body: signalBody() }),
  };

  // Warm the server up (JIT, caches) before anything is measured.
  await autocannon({
    url: base,
    duration: Math.min(5, duration),
    connections: 4,
    requests: [
      { method: 'GET', path: '/api/v1/risk-cases?limit=50', headers: auth },
      { method: 'GET', path: `/api/v1/accounts/${accountId()}/health`, headers: auth },
    ],
  });
  console.log(`  steady ${rate} req/s for ${duration} s each, 10 connections, server in its own process`);
  let errors = 0;
  if (scenarios.has('worklist'))
    errors += report(
      await run('worklist (50 open cases)', {
        overallRate: rate,
        requests: [{ method: 'GET', path: '/api/v1/risk-cases?limit=50', headers: auth }],
      }),
    );
  if (scenarios.has('account'))
    errors += report(
      await run('account page (account+health)', {
        overallRate: rate,
        requests: [
          {
            method: 'GET',
            headers: auth,
            setupRequest: (request: autocannon.Request) => ({
              ...request,
              path: `/api/v1/accounts/${accountId()}`,
            }),
          },
          {
            method: 'GET',
            headers: auth,
            setupRequest: (request: autocannon.Request) => ({
              ...request,
              path: `/api/v1/accounts/${accountId()}/health`,
            }),
          },
        ],
      }),
    );
  if (scenarios.has('ingest'))
    errors += report(
      await run('signal ingest (1 per request)', { overallRate: rate, requests: [ingestRequest] }),
    );
  const flat = await run('signal ingest, no rate cap', { requests: [ingestRequest] });
  errors += report(flat);

  // The raw insert rate of the same rows: one signal row per insert, no rollups, scoring or detection.
  const rows = Math.max(500, Math.round(flat.requests.average * 5));
  const t0 = performance.now();
  for (let i = 0; i < rows; i += 1) {
    await book.store.db
      .insertInto('signals')
      .values({
        account_id: accountId(),
        kind: 'usage',
        occurred_at: BENCH_NOW,
        received_at: BENCH_NOW,
        idempotency_key: `raw-${i}`,
        value: 1,
        data: JSON.stringify({ event: 'login', count: 1 }),
        source: 'bench',
      })
      .execute();
  }
  const rawRate = rows / ((performance.now() - t0) / 1000);
  console.log(`  raw signal insert (same rows)       ${String(Math.round(rawRate)).padStart(6)} rows/s`);
  console.log(`  ratio ingest over HTTP / raw insert: ${(flat.requests.average / rawRate).toFixed(3)}`);
  // Reported, not enforced: a benchmark measures; the figures go to docs/benchmarks.md.
  console.log(`  errors in total: ${errors}`);
  if (errors > 0) {
    // What the server said about the failed requests, from its request log.
    const failed = server
      .log()
      .split('\n')
      .filter((line) => /"statusCode":[45]\d\d/.test(line) || /"level":50/.test(line))
      .slice(0, 5);
    for (const line of failed) console.log(`  server: ${line.slice(0, 600)}`);
  }
} finally {
  await server.stop();
  await book.close();
}

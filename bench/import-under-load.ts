// An import does not stop the server: a generated accounts CSV (1M rows by default) is sent to
// `POST /api/v1/imports/accounts` of `retain serve` running in its own process, while a probe asks
// for `GET /api/health` and `GET /api/v1/accounts` at a steady rate (open loop: each request goes out
// on its schedule, whether the previous one answered or not). Prints the probes' p50/p99/max during
// the import next to the same probes against the idle server (the baseline, same run), and the
// server's resident memory before, at its peak and after.
//
//   npm run bench:import-load                          # SQLite, 1M rows
//   npm run bench:import-load -- --rows 200000 --pg postgres://postgres@127.0.0.1:5432/postgres
//   npm run bench:import-load -- --pg postgres://postgres@127.0.0.1:5432/postgres --pg-only
import { createReadStream, mkdtempSync, readFileSync, rmSync, statSync, createWriteStream } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { parseArgs } from 'node:util';
import { benchAdmin, createBenchBook, percentile } from './lib/book';
import { startServer } from './lib/server';

const { values } = parseArgs({
  options: {
    rows: { type: 'string', default: '1000000' },
    rate: { type: 'string', default: '20' },
    idle: { type: 'string', default: '5' },
    pg: { type: 'string' },
    'pg-only': { type: 'boolean', default: false },
  },
});
const ROWS = Number(values.rows);
/** Probe requests per second, each of the two addresses. */
const RATE = Number(values.rate);
const IDLE_SECONDS = Number(values.idle);

const dir = mkdtempSync(join(tmpdir(), 'retain-import-load-'));
const file = join(dir, 'accounts.csv');
await writeCsv(file, ROWS);
const bytes = statSync(file).size;
console.log(`Generated ${ROWS} account rows (${(bytes / 1024 / 1024).toFixed(1)} MiB): ${file}`);

try {
  if (!values['pg-only']) await runOn(undefined);
  if (values.pg) await runOn(values.pg);
} finally {
  rmSync(dir, { recursive: true, force: true });
}

async function runOn(pgUrl: string | undefined): Promise<void> {
  const book = await createBenchBook({ accounts: 2000, days: 1, ...(pgUrl && { pg: pgUrl }) });
  const { token } = await benchAdmin(book);
  const auth = { authorization: `Bearer ${token}` };
  const server = await startServer(book.target, { args: ['--no-worker'], env: { RETAIN_LOG: 'off' } });
  const { base, pid } = server;
  try {
    // Warm up, then the baseline: the same probes against the idle server.
    await probe(base, auth, 1, () => false);
    const idle = await probe(base, auth, IDLE_SECONDS, () => false);
    const rssBefore = rss(pid);
    let peak = rssBefore;
    const sampler = setInterval(() => (peak = Math.max(peak, rss(pid))), 200);

    let finished = false;
    const started = performance.now();
    const importing = fetch(`${base}/api/v1/imports/accounts`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'text/csv' },
      body: Readable.toWeb(createReadStream(file, { highWaterMark: 64 * 1024 })) as ReadableStream,
      duplex: 'half',
    }).then(async (response) => {
      finished = true;
      return { status: response.status, body: (await response.json()) as Record<string, unknown> };
    });
    const during = await probe(base, auth, Infinity, () => finished);
    const result = await importing;
    const seconds = (performance.now() - started) / 1000;
    clearInterval(sampler);
    // Memory after the import settles (the collector returns what it can).
    await new Promise((done) => setTimeout(done, 2000));
    const rssAfter = rss(pid);

    console.log(
      `\n${book.store.kind}: a book of ${book.accounts} accounts; import of ${ROWS} rows over HTTP`,
    );
    console.log(
      `  import: HTTP ${result.status}, created ${String(result.body.created)}, ${seconds.toFixed(1)} s, ` +
        `${Math.round(ROWS / seconds)} rows/s`,
    );
    if (result.status !== 200) console.log(`  import answered: ${JSON.stringify(result.body).slice(0, 400)}`);
    for (const [name, key] of [
      ['GET /api/health', 'health'],
      ['GET /api/v1/accounts', 'accounts'],
    ] as const) {
      const a = idle[key];
      const b = during[key];
      console.log(
        `  ${name.padEnd(22)} idle p50 ${fmt(percentile(a.times, 50))} p99 ${fmt(percentile(a.times, 99))}` +
          ` | during import p50 ${fmt(percentile(b.times, 50))} p99 ${fmt(percentile(b.times, 99))}` +
          ` max ${fmt(Math.max(...b.times))} at ${b.slowestAt.toFixed(0)} s of ${seconds.toFixed(0)} s` +
          ` (${b.times.length} requests, ${b.errors} errors)` +
          `  ratio p99 during/idle ${(percentile(b.times, 99) / Math.max(1, percentile(a.times, 99))).toFixed(1)}x`,
      );
    }
    console.log(
      `  server RSS: before ${mib(rssBefore)}, peak during import ${mib(peak)}, 2 s after ${mib(rssAfter)}` +
        `  (file ${mib(bytes)})`,
    );
  } finally {
    await server.stop();
    await book.close();
  }
}

interface Probed {
  times: number[];
  errors: number;
  /** When the slowest request was sent, in seconds from the start of the probe. */
  slowestAt: number;
}

/**
 * Sends both probes RATE times a second each, on schedule, for `seconds` or until `done()`;
 * resolves with every latency once the last answer is in.
 */
async function probe(
  base: string,
  auth: Record<string, string>,
  seconds: number,
  done: () => boolean,
): Promise<{ health: Probed; accounts: Probed }> {
  const out: { health: Probed; accounts: Probed } = {
    health: { times: [], errors: 0, slowestAt: 0 },
    accounts: { times: [], errors: 0, slowestAt: 0 },
  };
  const pending: Promise<void>[] = [];
  const slowest = { health: 0, accounts: 0 };
  const start = performance.now();
  const shot = (key: 'health' | 'accounts', url: string, headers: Record<string, string>) => {
    const t0 = performance.now();
    pending.push(
      fetch(url, { headers })
        .then(async (response) => {
          await response.arrayBuffer();
          const took = performance.now() - t0;
          if (took > slowest[key]) {
            slowest[key] = took;
            out[key].slowestAt = (t0 - start) / 1000;
          }
          out[key].times.push(took);
          if (!response.ok) out[key].errors += 1;
        })
        .catch(() => {
          out[key].errors += 1;
        }),
    );
  };
  const interval = 1000 / RATE;
  for (let i = 0; ; i += 1) {
    if (done() || performance.now() - start >= seconds * 1000) break;
    shot('health', `${base}/api/health`, {});
    shot('accounts', `${base}/api/v1/accounts?limit=50&offset=${(i * 50) % 2000}`, auth);
    const next = start + (i + 1) * interval;
    await new Promise((resolveWait) => setTimeout(resolveWait, Math.max(0, next - performance.now())));
  }
  await Promise.all(pending);
  return out;
}

function rss(pid: number): number {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = /VmRSS:\s+(\d+) kB/.exec(status)?.[1];
    return kb ? Number(kb) * 1024 : 0;
  } catch {
    return 0;
  }
}

function fmt(ms: number): string {
  return `${ms.toFixed(0).padStart(4)} ms`;
}

function mib(value: number): string {
  return `${(value / 1024 / 1024).toFixed(0)} MiB`;
}

/** A CRM-like accounts file: id, name, tier, ARR, renewal date and two attributes. */
async function writeCsv(path: string, rows: number): Promise<void> {
  const out = createWriteStream(path);
  const tiers = ['Starter', 'Growth', 'Scale', 'Enterprise'];
  const industries = ['Retail', 'Fitness', 'Software', 'Health', 'Logistics', 'Education'];
  out.write('external_id,name,tier,arr,renewal_date,industry,seats\n');
  let chunk = '';
  for (let i = 1; i <= rows; i += 1) {
    const month = String(1 + (i % 12)).padStart(2, '0');
    const day = String(1 + (i % 28)).padStart(2, '0');
    chunk +=
      `IMP-${String(i).padStart(8, '0')},"Imported Account ${i}, Ltd",${tiers[i % 4]},${1200 + (i % 250) * 100},` +
      `2027-${month}-${day},${industries[i % 6]},${1 + (i % 400)}\n`;
    if (chunk.length > 1 << 20) {
      if (!out.write(chunk)) await new Promise<void>((drained) => out.once('drain', () => drained()));
      chunk = '';
    }
  }
  out.end(chunk);
  await new Promise<void>((closed) => out.once('close', () => closed()));
}

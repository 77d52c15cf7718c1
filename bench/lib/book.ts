// A large book for the scoring and detection benchmarks: N accounts with D days of daily rollups
// (product events and active users every day, logins most days, an NPS and a licence reading),
// generated inside the store with set-based SQL so setup takes seconds, not the benchmark's time.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { sql } from 'kysely';
import pg from 'pg';
import { SYSTEM_ACTOR } from '../../src/domain/policy';
import { createServices, type Services } from '../../src/services';
import { ManualClock } from '../../src/services/clock';
import { openStore, type Store } from '../../src/store/db';

export const BENCH_DAY = '2026-03-31';
export const BENCH_NOW = `${BENCH_DAY}T12:00:00.000Z`;

export interface BenchBook {
  /** What the store was opened from: a SQLite path or a postgres:// URL. */
  target: string;
  store: Store;
  services: Services;
  clock: ManualClock;
  accounts: number;
  rollups: number;
  close: () => Promise<void>;
}

export interface BookOptions {
  accounts: number;
  days: number;
  /** A postgres:// admin URL: the book goes into a throwaway database there; SQLite otherwise. */
  pg?: string;
}

/** A throwaway store: a SQLite file in a temporary folder, or a new database beside `options.pg`. */
export async function target(
  options: Pick<BookOptions, 'pg'>,
): Promise<{ url: string; drop: () => Promise<void> }> {
  if (!options.pg) {
    const dir = mkdtempSync(join(tmpdir(), 'retain-bench-'));
    return {
      url: join(dir, 'bench.db'),
      drop: () => Promise.resolve(rmSync(dir, { recursive: true, force: true })),
    };
  }
  const name = `retain_bench_${Date.now()}`;
  const admin = new pg.Client({ connectionString: options.pg });
  await admin.connect();
  await admin.query(`create database ${name}`);
  await admin.end();
  const url = new URL(options.pg);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      const client = new pg.Client({ connectionString: options.pg });
      await client.connect();
      await client.query(`drop database if exists ${name} with (force)`);
      await client.end();
    },
  };
}

export async function createBenchBook(options: BookOptions): Promise<BenchBook> {
  const { url, drop } = await target(options);
  const store = await openStore(url);
  const clock = new ManualClock(BENCH_NOW);
  const db = store.db;
  const n = options.accounts;
  const lastDay = options.days - 1;
  // Rows go in primary-key order with the secondary index dropped, then the index is rebuilt.
  await sql`drop index daily_rollups_metric_day`.execute(db);
  if (store.kind === 'sqlite') {
    await sql`pragma synchronous = off`.execute(db);
    await sql`
      with recursive i(k) as (select 1 union all select k + 1 from i where k < ${n})
      insert into accounts (external_id, name, tier, arr, attributes, created_at, updated_at)
      select printf('ACC-%07d', k), printf('Account %d', k), 'Growth', 1000 + (k % 97) * 500, '{}', ${BENCH_NOW}, ${BENCH_NOW}
      from i`.execute(db);
    // Per account a stable level; one account in ten declines over the last week.
    await sql`
      with recursive d(k) as (select 0 union all select k + 1 from d where k < ${lastDay})
      insert into daily_rollups (account_id, metric, day, value, samples, last_at)
      select a.id, m.metric, date(${BENCH_DAY}, '-' || d.k || ' days'),
        case when a.id % 10 = 0 and d.k < 7 then 2 else 10 + (a.id % 30) end, 1, ${BENCH_NOW}
      from accounts a, d, (select 'usage.events' as metric union all select 'usage.active_users') m`.execute(
      db,
    );
    await sql`
      with recursive d(k) as (select 0 union all select k + 1 from d where k < ${lastDay})
      insert into daily_rollups (account_id, metric, day, value, samples, last_at)
      select a.id, 'usage.logins', date(${BENCH_DAY}, '-' || d.k || ' days'), 3, 1, ${BENCH_NOW}
      from accounts a, d where (a.id + d.k) % 3 <> 0
      order by a.id, d.k desc`.execute(db);
    await sql`
      insert into daily_rollups (account_id, metric, day, value, samples, last_at)
      select id, 'nps.score', date(${BENCH_DAY}, '-20 days'), id % 11, 1, ${BENCH_NOW} from accounts
      union all
      select id, 'licence.utilisation', date(${BENCH_DAY}, '-5 days'), 30 + id % 70, 1, ${BENCH_NOW} from accounts`.execute(
      db,
    );
    await sql`pragma synchronous = full`.execute(db);
    await sql`analyze`.execute(db);
  } else {
    await sql`
      insert into accounts (external_id, name, tier, arr, attributes, created_at, updated_at)
      select 'ACC-' || lpad(k::text, 7, '0'), 'Account ' || k, 'Growth', 1000 + (k % 97) * 500, '{}', ${BENCH_NOW}, ${BENCH_NOW}
      from generate_series(1, ${n}) k`.execute(db);
    await sql`
      insert into daily_rollups (account_id, metric, day, value, samples, last_at)
      select a.id, m.metric, to_char(${BENCH_DAY}::date - d.k, 'YYYY-MM-DD'),
        case when a.id % 10 = 0 and d.k < 7 then 2 else 10 + (a.id % 30) end, 1, ${BENCH_NOW}
      from accounts a, generate_series(0, ${lastDay}) d(k), (values ('usage.events'), ('usage.active_users')) m(metric)`.execute(
      db,
    );
    await sql`
      insert into daily_rollups (account_id, metric, day, value, samples, last_at)
      select a.id, 'usage.logins', to_char(${BENCH_DAY}::date - d.k, 'YYYY-MM-DD'), 3, 1, ${BENCH_NOW}
      from accounts a, generate_series(0, ${lastDay}) d(k) where (a.id + d.k) % 3 <> 0`.execute(db);
    await sql`
      insert into daily_rollups (account_id, metric, day, value, samples, last_at)
      select id, 'nps.score', to_char(${BENCH_DAY}::date - 20, 'YYYY-MM-DD'), id % 11, 1, ${BENCH_NOW} from accounts
      union all
      select id, 'licence.utilisation', to_char(${BENCH_DAY}::date - 5, 'YYYY-MM-DD'), 30 + id % 70, 1, ${BENCH_NOW} from accounts`.execute(
      db,
    );
    await sql`analyze`.execute(db);
  }
  await sql`create index daily_rollups_metric_day on daily_rollups (metric, day)`.execute(db);
  const counted = await db
    .selectFrom('daily_rollups')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow();
  return {
    target: url,
    store,
    services: createServices(store, clock),
    clock,
    accounts: n,
    rollups: Number(counted.n),
    close: async () => {
      await store.close();
      await drop();
    },
  };
}

/** Open risk cases with one reason each on one account in twelve, stages and entry days spread out. */
export async function addOpenCases(book: BenchBook): Promise<void> {
  const db = book.store.db;
  const entered =
    book.store.kind === 'postgres'
      ? sql`to_char((${BENCH_NOW}::timestamptz - (a.id % 40) * interval '1 day') at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`
      : sql`strftime('%Y-%m-%dT%H:%M:%fZ', ${BENCH_NOW}, '-' || (a.id % 40) || ' days')`;
  await sql`insert into risk_cases (account_id, stage_id, stage_entered_at, opened_at, source, arr_at_risk, ltv,
      ltv_given, track, created_at, updated_at)
    select a.id, s.id, ${entered}, ${entered}, 'rule', a.arr, a.arr * 3, 0,
      case when a.arr < 20000 then 'digital' else 'human' end, ${BENCH_NOW}, ${BENCH_NOW}
    from accounts a join risk_stages s on s.key = case a.id % 3 when 0 then 'at_risk' when 1 then 'plan_in_place' else 'saving' end
    where a.id % 12 = 0`.execute(db);
  await sql`insert into risk_case_reasons (case_id, reason_id, added_at)
    select c.id, r.id, ${BENCH_NOW} from risk_cases c
    join risk_reasons r on r.position = 1 + c.account_id % 9`.execute(db);
}

/** The admin the HTTP benchmarks act as, and a full-scope API token of theirs. */
export async function benchAdmin(book: BenchBook): Promise<{ adminId: number; token: string }> {
  const admin = await book.services.users.create(SYSTEM_ACTOR, {
    email: 'bench@retain.local',
    name: 'Bench',
    role: 'admin',
    teamId: null,
    password: 'bench-password-2026',
  });
  const { token } = await book.services.auth.createApiToken(SYSTEM_ACTOR, {
    name: 'bench',
    userId: admin.id,
  });
  return { adminId: admin.id, token };
}

export const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

export function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}

/**
 * The book named on the command line (`--accounts`, `--days`, `--pg`), generated and announced.
 * `extra` declares a script's own options; their values come back beside the book.
 */
export async function benchBookFromArgs<K extends string>(
  extra: Record<K, { default: string }> = {} as Record<K, { default: string }>,
): Promise<{ book: BenchBook; options: Record<K, string> }> {
  const { values } = parseArgs({
    options: {
      accounts: { type: 'string', default: '100000' },
      days: { type: 'string', default: '90' },
      pg: { type: 'string' },
      ...Object.fromEntries(
        Object.entries<{ default: string }>(extra).map(([key, spec]) => [
          key,
          { type: 'string', default: spec.default },
        ]),
      ),
    },
  });
  const started = Date.now();
  const book = await createBenchBook({
    accounts: Number(values.accounts),
    days: Number(values.days),
    pg: typeof values.pg === 'string' ? values.pg : undefined,
  });
  console.log(
    `${book.store.kind}: ${book.accounts} accounts, ${book.rollups} rollup rows over ${String(values.days)} days ` +
      `(generated in ${seconds(Date.now() - started)})`,
  );
  const parsed: Record<string, unknown> = values;
  const options = Object.fromEntries(Object.keys(extra).map((key) => [key, String(parsed[key])])) as Record<
    K,
    string
  >;
  return { book, options };
}

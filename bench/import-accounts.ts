// Import speed: a generated accounts CSV (100k rows by default) through `retain`'s importer, next to
// the store's own bulk loader on the same file in the same run: `sqlite3 .import` for SQLite and
// PostgreSQL `\copy` (COPY FROM STDIN) when a PostgreSQL URL is given.
//
//   npm run bench:import                       # SQLite, 100k rows
//   npm run bench:import -- --rows 250000      # more rows
//   npm run bench:import -- --pg postgres://postgres@127.0.0.1:5432/postgres
import { execFileSync, spawnSync } from 'node:child_process';
import { createReadStream, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Faker, en } from '@faker-js/faker';
import pg from 'pg';
import { SYSTEM_ACTOR } from '../src/domain/policy';
import { createServices } from '../src/services';
import { openStore } from '../src/store/db';

const { values } = parseArgs({
  options: {
    rows: { type: 'string', default: '100000' },
    pg: { type: 'string' },
    seed: { type: 'string', default: '1' },
  },
});
const ROWS = Number(values.rows);
const OWNERS = 12;
const HEADER = [
  'Account ID',
  'Account Name',
  'Account Owner Email',
  'Customer Tier',
  'ARR',
  'Renewal Date',
  'Industry',
  'Region',
  'Seats',
];

function ensureSqlite3(): void {
  if (spawnSync('sqlite3', ['-version']).status === 0) return;
  console.log('sqlite3 is missing: installing Debian package sqlite3…');
  execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit' });
  execFileSync('apt-get', ['install', '-y', '-qq', 'sqlite3'], { stdio: 'inherit' });
}

function generateCsv(path: string): void {
  const faker = new Faker({ locale: [en] });
  faker.seed(Number(values.seed));
  const lines = [HEADER.join(',')];
  const tiers = ['Starter', 'Growth', 'Pro', 'Enterprise'];
  for (let i = 1; i <= ROWS; i += 1) {
    const arr = Math.round(Math.exp(faker.number.float({ min: 7, max: 12 })));
    const renewal = new Date(Date.UTC(2027, 0, 1) + faker.number.int({ min: 0, max: 364 }) * 86_400_000);
    lines.push(
      [
        `ACC-${String(i).padStart(7, '0')}`,
        `"${faker.company.name().replace(/"/g, '""')}"`,
        `csm${faker.number.int({ min: 1, max: OWNERS })}@bench.example`,
        faker.helpers.arrayElement(tiers),
        arr,
        renewal.toISOString().slice(0, 10),
        faker.helpers.arrayElement(['Software', 'Retail', 'Healthcare', 'Education']),
        faker.helpers.arrayElement(['NA', 'EMEA', 'APAC']),
        faker.number.int({ min: 1, max: 400 }),
      ].join(','),
    );
  }
  writeFileSync(path, lines.join('\n') + '\n');
}

async function time<T>(work: () => Promise<T> | T): Promise<{ ms: number; result: T }> {
  const started = process.hrtime.bigint();
  const result = await work();
  return { ms: Number(process.hrtime.bigint() - started) / 1e6, result };
}

async function retainImport(target: string, csv: string) {
  const store = await openStore(target);
  const services = createServices(store);
  try {
    const team = await services.users.createTeam(SYSTEM_ACTOR, 'Bench');
    for (let i = 1; i <= OWNERS; i += 1) {
      await services.users.create(SYSTEM_ACTOR, {
        email: `csm${i}@bench.example`,
        name: `CSM ${i}`,
        role: 'csm',
        teamId: team.id,
        password: 'bench-password-123',
      });
    }
    const first = await time(() => services.imports.importAccounts(SYSTEM_ACTOR, createReadStream(csv)));
    if (first.result.created !== ROWS)
      throw new Error(`expected ${ROWS} created, got ${first.result.created}`);
    const again = await time(() => services.imports.importAccounts(SYSTEM_ACTOR, createReadStream(csv)));
    if (again.result.unchanged !== ROWS) throw new Error(`expected ${ROWS} unchanged on re-import`);
    return { create: first.ms, reimport: again.ms };
  } finally {
    await store.close();
  }
}

const rate = (ms: number) => Math.round(ROWS / (ms / 1000));
const fmt = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

function report(label: string, ours: { create: number; reimport: number }, baseline: number, name: string) {
  console.log(`\n${label}`);
  console.log(
    `  ${name.padEnd(34)} ${fmt(baseline).padStart(9)}  ${String(rate(baseline)).padStart(9)} rows/s`,
  );
  console.log(
    `  ${'retain import (create)'.padEnd(34)} ${fmt(ours.create).padStart(9)}  ${String(rate(ours.create)).padStart(9)} rows/s`,
  );
  console.log(
    `  ${'retain import (re-import, upsert)'.padEnd(34)} ${fmt(ours.reimport).padStart(9)}  ${String(rate(ours.reimport)).padStart(9)} rows/s`,
  );
  console.log(
    `  ratio retain/${name.split(' ')[0]} (create): ${(ours.create / baseline).toFixed(2)}x the time`,
  );
}

async function main(): Promise<void> {
  ensureSqlite3();
  const dir = mkdtempSync(join(tmpdir(), 'retain-bench-'));
  try {
    const csv = join(dir, 'accounts.csv');
    const generated = await time(() => generateCsv(csv));
    const megabytes = (statSync(csv).size / 1024 / 1024).toFixed(1);
    console.log(`Generated ${ROWS} rows (${megabytes} MiB) in ${fmt(generated.ms)}: ${csv}`);
    console.log(
      `Node ${process.version}, sqlite3 ${spawnSync('sqlite3', ['-version']).stdout.toString().split(' ')[0]}`,
    );

    // Baseline: sqlite3's own CSV loader into a plain table, with the same durability settings.
    const baselineDb = join(dir, 'baseline.db');
    const sqliteBaseline = await time(() =>
      execFileSync('sqlite3', [
        baselineDb,
        'PRAGMA journal_mode=WAL;',
        'PRAGMA synchronous=FULL;',
        '.mode csv',
        `.import ${csv} accounts`,
      ]),
    );
    const ours = await retainImport(join(dir, 'retain.db'), csv);
    report('SQLite', ours, sqliteBaseline.ms, 'sqlite3 .import');

    if (values.pg) {
      const admin = new pg.Client({ connectionString: values.pg });
      await admin.connect();
      const name = `retain_bench_${Date.now()}`;
      await admin.query(`create database ${name}`);
      const url = new URL(values.pg);
      url.pathname = `/${name}`;
      try {
        const columns = HEADER.map((_, i) => `c${i} text`).join(', ');
        execFileSync('psql', [url.toString(), '-qc', `create table baseline (${columns})`]);
        const copy = await time(() =>
          execFileSync('psql', [
            url.toString(),
            '-qc',
            `\\copy baseline from '${csv}' with (format csv, header true)`,
          ]),
        );
        const pgOurs = await retainImport(url.toString(), csv);
        report('PostgreSQL', pgOurs, copy.ms, 'psql \\copy (COPY FROM STDIN)');
      } finally {
        await admin.query(`drop database if exists ${name} with (force)`);
        await admin.end();
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();

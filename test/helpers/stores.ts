// Every store test runs on every store: SQLite and PostgreSQL. RETAIN_TEST_STORES narrows the list
// locally (e.g. `RETAIN_TEST_STORES=sqlite`); CI runs both, and a missing PostgreSQL fails the run.
import { createHash, randomBytes } from 'node:crypto';
import {
  copyFileSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { sql } from 'kysely';
import pg from 'pg';
import { afterEach, beforeEach, describe } from 'vitest';
import { createServices, type Services } from '../../src/services';
import { ManualClock } from '../../src/services/clock';
import { openStore, type Store, type StoreKind } from '../../src/store/db';

export const STORES: StoreKind[] = (process.env.RETAIN_TEST_STORES ?? 'sqlite,postgres')
  .split(',')
  .map((kind) => kind.trim())
  .filter((kind): kind is StoreKind => kind === 'sqlite' || kind === 'postgres');

export const PG_ADMIN_URL = process.env.RETAIN_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export const TEST_START = '2026-03-02T09:00:00.000Z';

export interface TestStore {
  kind: StoreKind;
  target: string;
  store: Store;
  services: Services;
  clock: ManualClock;
}

/** A throwaway target: a SQLite file in a temp folder, or a new PostgreSQL database. */
export async function createTarget(kind: StoreKind): Promise<{ target: string; drop: () => Promise<void> }> {
  if (kind === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'retain-test-'));
    return {
      target: join(dir, 'retain.db'),
      drop: () => Promise.resolve(rmSync(dir, { recursive: true, force: true })),
    };
  }
  const name = `retain_test_${randomBytes(6).toString('hex')}`;
  await adminQuery(`create database ${name}`);
  const url = new URL(PG_ADMIN_URL);
  url.pathname = `/${name}`;
  return { target: url.toString(), drop: () => adminQuery(`drop database if exists ${name} with (force)`) };
}

/**
 * Migrated, empty stores to copy for each test (a PostgreSQL template database, a SQLite file), so
 * a test starts from a copy instead of running every migration again. Named after the migrations'
 * sources, so a changed migration makes new ones. Built once, before the test files run
 * (test/global-setup.ts).
 */
function templateNames(): { postgres: string; sqlite: string } {
  const dir = resolve(import.meta.dirname, '../../src/store/migrations');
  const hash = createHash('sha256');
  for (const file of readdirSync(dir).sort()) hash.update(file).update(readFileSync(join(dir, file)));
  const id = hash.digest('hex').slice(0, 12);
  return { postgres: `retain_test_template_${id}`, sqlite: join(tmpdir(), `retain-test-template-${id}.db`) };
}

export async function prepareTemplates(): Promise<void> {
  const names = templateNames();
  if (STORES.includes('sqlite') && !existsSync(names.sqlite)) {
    const dir = mkdtempSync(join(tmpdir(), 'retain-template-'));
    const store = await openStore(join(dir, 'retain.db'));
    await store.close();
    renameSync(join(dir, 'retain.db'), names.sqlite);
    rmSync(dir, { recursive: true, force: true });
  }
  if (STORES.includes('postgres')) {
    const client = new pg.Client({ connectionString: PG_ADMIN_URL });
    await client.connect();
    try {
      const existing = await client.query<{ datname: string }>(
        "select datname from pg_database where datname like 'retain_test_template_%'",
      );
      for (const { datname } of existing.rows) {
        if (datname !== names.postgres) await client.query(`drop database if exists ${datname} with (force)`);
      }
      if (!existing.rows.some((row) => row.datname === names.postgres)) {
        // Built under a name of its own, so a run that starts at the same time builds its own.
        const building = `retain_test_building_${randomBytes(6).toString('hex')}`;
        await client.query(`create database ${building}`);
        const url = new URL(PG_ADMIN_URL);
        url.pathname = `/${building}`;
        const store = await openStore(url.toString());
        await store.close();
        try {
          await client.query(`alter database ${building} rename to ${names.postgres}`);
        } catch {
          // Another run finished its template first.
          await client.query(`drop database if exists ${building} with (force)`);
        }
      }
    } finally {
      await client.end();
    }
  }
}

/** A migrated, empty store to test on: a copy of the template when there is one. */
async function migratedTarget(kind: StoreKind): Promise<{ target: string; drop: () => Promise<void> }> {
  const names = templateNames();
  if (kind === 'sqlite' && existsSync(names.sqlite)) {
    const dir = mkdtempSync(join(tmpdir(), 'retain-test-'));
    copyFileSync(names.sqlite, join(dir, 'retain.db'));
    return {
      target: join(dir, 'retain.db'),
      drop: () => Promise.resolve(rmSync(dir, { recursive: true, force: true })),
    };
  }
  if (kind === 'postgres' && process.env.RETAIN_TEST_PG_TEMPLATE === names.postgres) {
    const name = `retain_test_${randomBytes(6).toString('hex')}`;
    await adminQuery(`create database ${name} template ${names.postgres}`);
    const url = new URL(PG_ADMIN_URL);
    url.pathname = `/${name}`;
    return { target: url.toString(), drop: () => adminQuery(`drop database if exists ${name} with (force)`) };
  }
  return createTarget(kind);
}

export const pgTemplateName = () => templateNames().postgres;

async function adminQuery(text: string): Promise<void> {
  const client = new pg.Client({ connectionString: PG_ADMIN_URL });
  try {
    await client.connect();
  } catch (error) {
    throw new Error(
      `PostgreSQL is required for the store tests (${PG_ADMIN_URL}); start it or set RETAIN_TEST_STORES=sqlite.`,
      {
        cause: error,
      },
    );
  }
  try {
    await client.query(text);
  } finally {
    await client.end();
  }
}

export async function createTestStore(
  kind: StoreKind,
): Promise<TestStore & { destroy: () => Promise<void> }> {
  const { target, drop } = await migratedTarget(kind);
  const store = await openStore(target);
  const clock = new ManualClock(TEST_START);
  return {
    kind,
    target,
    store,
    clock,
    services: createServices(store, clock),
    destroy: async () => {
      await store.close();
      await drop();
    },
  };
}

/** Declares a suite once per store; each test gets a fresh, migrated, empty store. */
export function forEachStore(name: string, body: (current: () => TestStore) => void): void {
  for (const kind of STORES) {
    describe(`${name} [${kind}]`, () => {
      let current: (TestStore & { destroy: () => Promise<void> }) | null = null;
      beforeEach(async () => {
        current = await createTestStore(kind);
      });
      afterEach(async () => {
        await current?.destroy();
        current = null;
      });
      body(() => {
        if (!current) throw new Error('the store is only available inside a test');
        return current;
      });
    });
  }
}

const SNAPSHOT_TABLES = [
  'teams',
  'users',
  'accounts',
  'contacts',
  'risk_cases',
  'risk_case_reasons',
  'risk_stage_history',
  'risk_updates',
  'audit_log',
] as const;

/** Every row of the tables a user's data lives in, for "the store is exactly as it was" checks. */
export async function snapshotStore(store: Store): Promise<Record<string, string[]>> {
  const snapshot: Record<string, string[]> = {};
  for (const table of SNAPSHOT_TABLES) {
    const { rows } = await sql<Record<string, unknown>>`select * from ${sql.table(table)}`.execute(store.db);
    snapshot[table] = rows.map((row) => JSON.stringify(row)).sort();
  }
  return snapshot;
}

// `retain backup` and `retain restore`: a consistent copy of a live SQLite store, restored exactly.
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { retain } from '../helpers/cli';
import { PG_ADMIN_URL } from '../helpers/stores';

describe('retain backup and restore', () => {
  const dir = mkdtempSync(join(tmpdir(), 'retain-backup-'));
  const store = join(dir, 'retain.db');
  const backup = join(dir, 'backup.db');
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const exportAll = async () => {
    const parts: string[] = [];
    for (const what of ['accounts', 'contacts', 'cases'])
      parts.push((await retain(['export', what, '--db', store])).stdout);
    return parts.join('\n');
  };

  it('backs up a store into one verified file and restores it exactly', async () => {
    expect(
      (await retain(['demo', '--db', store, '--accounts', '150', '--password', 'demo-pass-2026'])).code,
    ).toBe(0);
    const run = await retain(['backup', backup, '--db', store]);
    expect(run.stdout).toMatch(/^Backed up .* \(\d+ bytes, 150 accounts, integrity ok\)\.\n$/);
    expect(existsSync(`${backup}-wal`)).toBe(false);
    const before = await exportAll();

    writeFileSync(join(dir, 'more.csv'), 'id,name\nLATE-1,Added after the backup\n');
    await retain(['import', 'accounts', join(dir, 'more.csv'), '--db', store]);
    expect(await exportAll()).not.toBe(before);

    const restored = await retain(['restore', backup, '--db', store]);
    expect(restored).toMatchObject({ code: 0, stdout: `Restored ${store} from ${backup} (150 accounts).\n` });
    expect(await exportAll()).toBe(before);
  });

  it('refuses to overwrite, to restore a file that is not a Retain store, and to handle PostgreSQL', async () => {
    const again = await retain(['backup', backup, '--db', store]);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/^error FILE_EXISTS: .* exists; pass --force to overwrite it\.\n$/);
    expect((await retain(['backup', backup, '--db', store, '--force'])).code).toBe(0);

    const junk = join(dir, 'junk.db');
    writeFileSync(junk, 'not a database at all');
    const bad = await retain(['restore', junk, '--db', store]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/^error BACKUP_INVALID: /);
    expect((await retain(['export', 'accounts', '--db', store])).stdout.split('\n').length).toBeGreaterThan(
      150,
    );

    const pg = await retain(['backup', join(dir, 'pg.db'), '--db', PG_ADMIN_URL]);
    expect(pg.stderr).toMatch(/^error UNSUPPORTED_FOR_STORE: Back up PostgreSQL with `pg_dump/);
  });
});

// `retain user create --invite`: the user gets no password, and the command prints the link that
// lets them choose one (pointing at RETAIN_PUBLIC_URL), which then works over the API.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { createServices } from '../../src/services';
import { ManualClock } from '../../src/services/clock';
import { openStore } from '../../src/store/db';
import { retain } from '../helpers/cli';

let dir = '';
afterEach(() => rmSync(dir, { recursive: true, force: true }));

it('prints the invitation link of a user created with --invite, and the link sets the password', async () => {
  dir = mkdtempSync(join(tmpdir(), 'retain-invite-'));
  const db = join(dir, 'retain.db');
  const run = await retain(
    [
      'user',
      'create',
      '--email',
      'ivy@example.com',
      '--name',
      'Ivy Ink',
      '--role',
      'lead',
      '--invite',
      '--db',
      db,
    ],
    { RETAIN_PUBLIC_URL: 'https://retain.example.com' },
  );
  expect(run.stderr).toBe('');
  expect(run.code).toBe(0);
  expect(run.stdout).toMatch(/^Created lead ivy@example.com \(id 1\)\.\n/);
  expect(run.stdout).toContain('Invitation link (works once, until 2026-06-08T12:00:00.000Z):');
  expect(run.stdout).not.toContain('Password:');
  const url = /https:\/\/retain\.example\.com\/set-password\?token=(\S+)/.exec(run.stdout);
  expect(url).not.toBeNull();

  const store = await openStore(db);
  try {
    const clock = new ManualClock('2026-06-08T12:00:00.000Z');
    const services = createServices(store, clock);
    // The command ran at its pinned time (RETAIN_NOW): a week on, the link has expired; just before, it works.
    await expect(
      services.passwordLinks.setPassword(url?.[1] ?? '', 'ivy-chooses-a-password', { address: '127.0.0.1' }),
    ).rejects.toMatchObject({ code: 'PASSWORD_LINK_INVALID' });
    clock.set('2026-06-08T11:59:59.000Z');
    expect((await services.users.listUsers()).map((user) => user.status)).toEqual(['invited']);
    await services.passwordLinks.setPassword(url?.[1] ?? '', 'ivy-chooses-a-password', {
      address: '127.0.0.1',
    });
    expect((await services.users.listUsers()).map((user) => user.status)).toEqual(['active']);
  } finally {
    await store.close();
  }

  const both = await retain([
    'user',
    'create',
    '--email',
    'x@example.com',
    '--invite',
    '--password',
    'p'.repeat(12),
    '--db',
    db,
  ]);
  expect(both.code).not.toBe(0);
  expect(both.stderr).toContain('Give --password or --invite, not both.');
});

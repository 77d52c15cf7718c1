// `retain report monthly` and `retain huddle` on the demo book, as a team lead runs them.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { retain } from '../helpers/cli';

describe('retain report monthly', () => {
  const dir = mkdtempSync(join(tmpdir(), 'retain-report-'));
  const store = join(dir, 'retain.db');
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('writes a readable Markdown and HTML report with CSV tables for a demo team', async () => {
    expect(
      (await retain(['demo', '--db', store, '--accounts', '600', '--password', 'demo-pass-2026'])).code,
    ).toBe(0);
    const out = join(dir, 'reports');
    const run = await retain([
      'report',
      'monthly',
      '--team',
      'smb east',
      '--month',
      '2026-05',
      '--out',
      out,
      '--db',
      store,
    ]);
    expect(run.stderr).toBe('');
    expect(readdirSync(out).sort()).toEqual([
      'risk-report-smb-east-2026-05-lost.csv',
      'risk-report-smb-east-2026-05-new.csv',
      'risk-report-smb-east-2026-05-open.csv',
      'risk-report-smb-east-2026-05-saved.csv',
      'risk-report-smb-east-2026-05-stale.csv',
      'risk-report-smb-east-2026-05.html',
      'risk-report-smb-east-2026-05.md',
    ]);
    const markdown = readFileSync(join(out, 'risk-report-smb-east-2026-05.md'), 'utf8');
    expect(markdown).toMatch(
      /^# Monthly risk report: SMB East, May 2026\n\nTeam lead: .+ \\<lead\d+@retain\.demo\\>\./,
    );
    for (const heading of [
      '## Summary',
      '## Top reasons',
      '## At-Risk Matrix (open at month end)',
      '## Cases without a current weekly update (older than 7 days)',
      '## KPIs',
      '## New risks',
      '## Saved',
      '## Lost',
    ])
      expect(markdown).toContain(`\n${heading}\n`);
    // The summary agrees with the tables written beside it.
    const rows = (table: string) =>
      readFileSync(join(out, `risk-report-smb-east-2026-05-${table}.csv`), 'utf8')
        .trim()
        .split('\n').length - 1;
    const newCount = Number(/\| New risks \| (\d+) \|/.exec(markdown)?.[1]);
    expect(newCount).toBeGreaterThan(0);
    expect(rows('new')).toBe(newCount);
    expect(rows('saved')).toBe(Number(/\| Saved \(closed, recovered\) \| (\d+) \|/.exec(markdown)?.[1]));
    expect(rows('lost')).toBe(Number(/\| Lost \(closed, lost\) \| (\d+) \|/.exec(markdown)?.[1]));
    expect(rows('open')).toBe(Number(/\| Open at month end \| (\d+) \|/.exec(markdown)?.[1]));
    const html = readFileSync(join(out, 'risk-report-smb-east-2026-05.html'), 'utf8');
    expect(html).toContain('<h1>Monthly risk report: SMB East, May 2026</h1>');

    const printed = await retain([
      'report',
      'monthly',
      '--team',
      'SMB East',
      '--month',
      '2026-05',
      '--db',
      store,
    ]);
    expect(printed.stdout).toBe(markdown);
    const unknown = await retain([
      'report',
      'monthly',
      '--team',
      'Nobody',
      '--month',
      '2026-05',
      '--db',
      store,
    ]);
    expect(unknown.stderr).toBe('error TEAM_NOT_FOUND: No team named "Nobody".\n');

    const huddle = await retain(['huddle', '--team', 'SMB East', '--db', store]);
    expect(huddle.stdout).toMatch(/^Huddle of SMB East: changes since 2026-05-18\n/);
    expect(huddle.stdout).toMatch(/\n.+ <csm\d+@retain\.demo>: \d+ open cases?\n {2}.+ \(ACC-\d{6}\): /);
  });
});

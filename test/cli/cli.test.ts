// The `retain` command end to end, as a user runs it, against each store.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, retain } from '../helpers/cli';
import { createTarget, STORES } from '../helpers/stores';

const HEADER = 'Account ID,Account Name,Account Owner Email,Customer Tier,ARR,Renewal Date,Region';

for (const kind of STORES) {
  describe(`retain CLI [${kind}]`, () => {
    let target = '';
    let drop: () => Promise<void> = () => Promise.resolve();
    const dir = mkdtempSync(join(tmpdir(), 'retain-cli-'));
    const file = (name: string, text: string) => {
      const path = join(dir, name);
      writeFileSync(path, text);
      return path;
    };
    const exportAll = async () => {
      const parts: string[] = [];
      for (const what of ['accounts', 'contacts', 'cases']) {
        const run = await retain(['export', what, '--db', target]);
        expect(run.code).toBe(0);
        parts.push(run.stdout);
      }
      return parts.join('\n---\n');
    };

    beforeAll(async () => {
      ({ target, drop } = await createTarget(kind));
    });
    afterAll(async () => {
      await drop();
      rmSync(dir, { recursive: true, force: true });
    });

    it('migrates, generates the demo book and refuses to generate it twice', async () => {
      const migrate = await retain(['migrate', '--db', target]);
      expect(migrate.code).toBe(0);
      expect(migrate.stdout).toMatch(/^Applied: 001-foundation, 002-signals, /);
      expect((await retain(['migrate', '--db', target])).stdout).toBe('Schema is up to date.\n');
      const demo = await retain([
        'demo',
        '--db',
        target,
        '--accounts',
        '300',
        '--seed',
        '7',
        '--password',
        'demo-pass-2026',
      ]);
      expect(demo.code).toBe(0);
      expect(demo.stdout).toMatch(
        /Demo book: 300 accounts, \d+ contacts, 17 users, \d+ open and \d+ closed risk cases/,
      );
      expect(demo.stdout).toContain('Log in as admin@retain.demo with password demo-pass-2026');
      const again = await retain(['demo', '--db', target, '--accounts', '10']);
      expect(again.code).toBe(1);
      expect(again.stderr).toMatch(/^error VALIDATION_FAILED: The demo book goes into an empty store/);
    });

    it('backtests the detection rules on the demo book, beside an edited rule set, writing nothing', async () => {
      const casesBefore = await retain(['export', 'cases', '--db', target]);
      const run = await retain(['detection', 'backtest', '--db', target]);
      expect(run.stderr).toBe('');
      expect(run.code).toBe(0);
      expect(run.stdout).toMatch(
        /^Detection backtest 2025-12-04 to 2026-06-01: 180 days, 300 accounts, \d+ left \(cases closed as lost\); replayed in [\d.]+ s, nothing written\.\n/,
      );
      expect(run.stdout).toMatch(/\n {2}Precision \(flagged accounts that left\) +(\d\.\d{3}|n\/a)\n/);
      expect(run.stdout).toContain(
        '\nPer rule, live rules:\n  rule                    firings  on churners  of firings',
      );
      for (const rule of ['usage_decline', 'data_stopped', 'low_nps', 'payment_past_due'])
        expect(run.stdout).toMatch(new RegExp(`\\n  ${rule} +\\d+ +\\d+ +(\\d\\.\\d{3}|n/a) +\\d+ +\\d+\\n`));

      // The rules as GET /detection/rules gives them, with the usage rule made twice as sensitive.
      const json = await retain(['detection', 'backtest', '--db', target, '--json']);
      const live = JSON.parse(json.stdout) as { current: { figures: { rules: { rule: string }[] } } };
      expect(live.current.figures.rules.map((rule) => rule.rule)).toContain('no_activity');
      const exported = await retain(['config', 'export', '--db', target]);
      const config = JSON.parse(exported.stdout) as { detectionRules: { key: string; forDays: number }[] };
      const edited = config.detectionRules.map((rule) =>
        rule.key === 'usage_decline' ? { ...rule, forDays: 1 } : rule,
      );
      const tried = await retain([
        'detection',
        'backtest',
        '--db',
        target,
        '--rules',
        file('rules.json', JSON.stringify({ items: edited })),
      ]);
      expect(tried.code).toBe(0);
      expect(tried.stdout).toContain('live rules  tried rules');
      expect(tried.stdout).toContain('\nPer rule, tried rules:\n');
      expect(tried.stdout).toContain('\nWith the tried rules:\n');

      const broken = await retain([
        'detection',
        'backtest',
        '--db',
        target,
        '--rules',
        file('broken.json', '{"items": [{"key": "x"}]}'),
      ]);
      expect(broken.code).toBe(1);
      expect(broken.stderr).toMatch(/^error VALIDATION_FAILED: rules\.0\.name: /);
      const backwards = await retain([
        'detection',
        'backtest',
        '--db',
        target,
        '--from',
        '2026-05-01',
        '--to',
        '2026-04-01',
      ]);
      expect(backwards.stderr).toBe('error VALIDATION_FAILED: to: 2026-04-01 is before from (2026-05-01).\n');
      // Nothing was written: the cases are as they were.
      expect((await retain(['export', 'cases', '--db', target])).stdout).toBe(casesBefore.stdout);
    });

    it('imports nothing from a file with one bad row, and every good row with --partial', async () => {
      const before = await exportAll();
      const accounts = (await retain(['export', 'accounts', '--db', target, '--format', 'json'])).stdout;
      const owner = (JSON.parse(accounts) as { ownerEmail: string | null; externalId: string }[]).find(
        (account) => account.ownerEmail !== null,
      );
      if (!owner?.ownerEmail) throw new Error('the demo book has no owned account');
      const csv = file(
        'accounts.csv',
        [
          HEADER,
          `${owner.externalId},Renamed By Import,${owner.ownerEmail},Enterprise,"$250,000",2027-06-30,EMEA`,
          `CLI-1,Cli One,${owner.ownerEmail},Growth,12000,2027-01-15,NA`,
          `CLI-2,Cli Two,${owner.ownerEmail},Growth,twelve,2027-01-15,NA`,
          `CLI-3,Cli Three,,Starter,900,01/31/2027,APAC`,
        ].join('\n') + '\n',
      );

      const atomic = await retain(['import', 'accounts', csv, '--db', target]);
      expect(atomic.code).toBe(1);
      expect(atomic.stderr).toContain('error IMPORT_INVALID: Nothing was imported: 1 of 4 rows are invalid');
      expect(atomic.stderr).toContain('line 4, column "ARR": "twelve" is not a non-negative amount');
      expect(await exportAll()).toBe(before);

      const partial = await retain(['import', 'accounts', csv, '--db', target, '--partial']);
      expect(partial.code).toBe(3);
      expect(partial.stdout).toContain('4 rows, 2 created, 1 updated, 0 unchanged, 1 rejected');
      expect(partial.stdout).toContain('rejected line 4, column "ARR"');
      const after = (await retain(['export', 'accounts', '--db', target])).stdout;
      expect(after).toContain('CLI-1,Cli One');
      expect(after).toContain('CLI-3,Cli Three,,,Starter,900,2027-01-31');
      expect(after).toContain(`${owner.externalId},Renamed By Import`);
      expect(after).not.toContain('CLI-2');
    });

    it('backfills signal history day by day: a case opens on the day its evidence arrived', async () => {
      const accounts = file(
        'backfill-accounts.csv',
        `${HEADER}\nBF-1,Backfill One,,Growth,12000,2027-01-01,EMEA\nBF-2,Backfill Two,,Growth,12000,2027-01-01,EMEA\n`,
      );
      expect((await retain(['import', 'accounts', accounts, '--db', target])).code).toBe(0);
      // Sixty days of use, oldest last in the file: BF-2 goes quiet after its first thirty.
      const lines: string[] = [];
      for (let n = 59; n >= 0; n -= 1) {
        const day = new Date(Date.UTC(2026, 3, 2) + n * 86_400_000).toISOString().slice(0, 10);
        lines.push(`BF-1,usage,${day}T18:00:00Z,daily_summary,60,6`);
        if (n < 30) lines.push(`BF-2,usage,${day}T18:00:00Z,daily_summary,60,6`);
      }
      const history = file(
        'backfill-signals.csv',
        `account,kind,occurred_at,event,count,active_users\n${lines.join('\n')}\n`,
      );
      const run = await retain(['import', 'signals', history, '--replay', '--db', target]);
      expect(run.stderr).toBe('');
      expect(run.code).toBe(0);
      expect(run.stdout).toContain('Imported signals from');
      expect(run.stdout).toContain('90 created');
      expect(run.stdout).toContain('replayed 61 days, 2026-04-02 to 2026-06-01');
      expect(run.stdout).toContain('detection: 2 accounts scored; cases opened 1,');
      const opened = /case \d+ opened (\d{4}-\d\d-\d\d) for BF-2 \(Backfill Two\): (.+)/.exec(run.stdout);
      expect(opened?.[1]).toMatch(/^2026-05-(0[8-9]|1\d)$/);
      expect(opened?.[2]).toContain('engagement');

      // Stored history after the file's first day: a second replay would misread it, and is refused.
      const again = await retain(['import', 'signals', history, '--replay', '--db', target]);
      expect(again.code).toBe(1);
      expect(again.stderr).toMatch(/^error REPLAY_HISTORY_EXISTS: Account "BF-\d" already has signals/);
    });

    it('imports contacts with a column mapping and exports JSON', async () => {
      const csv = file(
        'contacts.csv',
        'Company Ref,E-mail,Full Name,Champion\nCLI-1,ops@cli-one.example,Olive Ops,yes\n',
      );
      const run = await retain([
        'import',
        'contacts',
        csv,
        '--db',
        target,
        '--map',
        'Company Ref=accountExternalId,E-mail=email,Full Name=name',
      ]);
      expect(run.stderr).toBe('');
      expect(run).toMatchObject({ code: 0 });
      const contacts = JSON.parse(
        (await retain(['export', 'contacts', '--db', target, '--format', 'json'])).stdout,
      ) as {
        email: string;
        isChampion: boolean;
      }[];
      expect(contacts.find((contact) => contact.email === 'ops@cli-one.example')).toMatchObject({
        isChampion: true,
      });
      const cases = JSON.parse(
        (await retain(['export', 'cases', '--db', target, '--format', 'json'])).stdout,
      ) as unknown[];
      expect(cases.length).toBeGreaterThan(10);
    });

    it('prints the mapping of a dry run, saves it by name and imports the next file with it', async () => {
      const first = file(
        'legacy-1.csv',
        'Acct,Company,Money,Renewal_Dt__c\nLEG-1,Linden Labs,2.000,2027-01-31\n',
      );
      const dry = await retain([
        'import',
        'accounts',
        first,
        '--db',
        target,
        '--dry-run',
        '--map',
        'Acct=externalId,Company=name,Money=arr',
        '--locale',
        'de-DE',
        '--save-mapping',
        'Legacy CRM',
      ]);
      expect(dry.stderr).toBe('');
      expect(dry.code).toBe(0);
      expect(dry.stdout).toContain('"Money" -> arr');
      expect(dry.stdout).toContain('"Renewal_Dt__c" -> attribute:Renewal_Dt__c');
      expect(dry.stdout).toContain('warning: Column "Renewal_Dt__c" looks like the renewal date');
      expect(dry.stdout).toContain('saved mapping "Legacy CRM"');

      const next = file(
        'legacy-2.csv',
        'Acct,Company,Money,Renewal_Dt__c\nLEG-2,Larch Logistics,"1.250,50",\n',
      );
      const run = await retain(['import', 'accounts', next, '--db', target, '--saved-mapping', 'Legacy CRM']);
      expect(run.stderr).toBe('');
      expect(run.stdout).toContain('1 created');
      const accounts = JSON.parse(
        (await retain(['export', 'accounts', '--db', target, '--format', 'json'])).stdout,
      ) as { externalId: string; arr: number }[];
      expect(accounts.find((account) => account.externalId === 'LEG-2')).toMatchObject({ arr: 1250.5 });
      expect(accounts.find((account) => account.externalId === 'LEG-1')).toBeUndefined();
    });

    it('imports the RavenStack dataset, then scores and detects on demand', async () => {
      const dataset = resolve(import.meta.dirname, '../../datasets/ravenstack-saas');
      const run = await retain(['import', 'ravenstack', dataset, '--db', target]);
      expect(run.stderr).toBe('');
      expect(run.stdout).toMatch(/^RavenStack as of 2025-01-01: \d+ accounts \(\d+ created, 0 updated\)/);
      expect(run.stdout).toMatch(/detection opened \d+ risk cases/);
      const score = await retain(['score', '--db', target]);
      expect(score.code).toBe(0);
      expect(score.stdout).toMatch(/^Scored \d+ accounts for 2026-06-01/);
      expect(score.stdout).toMatch(/\nDetection: \d+ rule firings, \d+ cases opened/);
      const badDate = await retain(['import', 'ravenstack', dataset, '--db', target, '--as-of', 'soon']);
      expect(badDate.stderr).toBe('error INVALID_DATE: --as-of must be a date (YYYY-MM-DD), not "soon".\n');
    });

    it('creates users and reports bad input with a code and a non-zero exit', async () => {
      const created = await retain([
        'user',
        'create',
        '--db',
        target,
        '--email',
        'New.Lead@Example.com',
        '--role',
        'lead',
        '--team',
        'Expansion',
        '--password',
        'a-long-enough-password',
      ]);
      expect(created.code).toBe(0);
      const list = await retain(['user', 'list', '--db', target]);
      expect(list.stdout).toMatch(/new\.lead@example\.com\s+lead\s+Expansion/);
      const duplicate = await retain(['user', 'create', '--db', target, '--email', 'new.lead@example.com']);
      expect(duplicate.code).toBe(1);
      expect(duplicate.stderr).toMatch(/^error USER_EMAIL_TAKEN:/);
      const badRole = await retain([
        'user',
        'create',
        '--db',
        target,
        '--email',
        'x@example.com',
        '--role',
        'boss',
      ]);
      expect(badRole.stderr).toMatch(/^error VALIDATION_FAILED:/);
      const badFormat = await retain(['export', 'accounts', '--db', target, '--format', 'xml']);
      expect(badFormat.code).toBe(1);
      expect(badFormat.stderr).toBe('error VALIDATION_FAILED: --format must be csv or json, not "xml".\n');
      const missing = await retain(['import', 'accounts', join(dir, 'nope.csv'), '--db', target]);
      expect(missing.code).toBe(1);
      expect(missing.stderr).toMatch(/^error FILE_NOT_READABLE: Cannot read ".*nope\.csv" \(ENOENT\)/);
    });
  });
}

describe('retain serve', () => {
  it('refuses to read a book from a SQLite file that does not exist, and creates none', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'retain-missing-'));
    const missing = join(dir, 'typo.db');
    try {
      for (const args of [['detection', 'backtest'], ['export', 'cases'], ['score']]) {
        const run = await retain([...args, '--db', missing]);
        expect(run.code).toBe(1);
        expect(run.stderr).toContain(`error STORE_NOT_FOUND: No store at ${missing}.`);
        expect(existsSync(missing)).toBe(false);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('seeds the demo book into an empty store, prints the login, and serves the API', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'retain-serve-'));
    const child = spawn(
      process.execPath,
      [BIN, 'serve', '--db', join(dir, 'retain.db'), '--port', '0', '--demo-accounts', '400'],
      { env: { ...process.env, RETAIN_LOG: 'off' }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    try {
      let output = '';
      const address = await new Promise<string>((done, fail) => {
        child.stdout.on('data', (chunk: Buffer) => {
          output += chunk.toString();
          const match = /listening on (http:\/\/\S+)/.exec(output);
          if (match?.[1]) done(match[1]);
        });
        child.on('close', (code) => fail(new Error(`serve exited with ${code}: ${output}`)));
      });
      const login = /Log in as (\S+) with password (\S+)/.exec(output);
      expect(login).not.toBeNull();
      const health = await fetch(`${address}/api/health`);
      expect(await health.json()).toMatchObject({ status: 'ok', store: 'sqlite' });
      const session = await fetch(`${address}/api/v1/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email: login?.[1], password: login?.[2] }),
      });
      expect(session.status).toBe(200);
      const cookie = session.headers.get('set-cookie')?.split(';')[0] ?? '';
      const worklist = await fetch(`${address}/api/v1/risk-cases?limit=5`, { headers: { cookie } });
      const body = (await worklist.json()) as { total: number; items: unknown[] };
      expect(body.total).toBeGreaterThan(10);
      expect(body.items).toHaveLength(5);
    } finally {
      child.kill('SIGTERM');
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

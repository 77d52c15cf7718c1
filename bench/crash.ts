// Crash drill: `retain serve` (API ingest and the in-process play runner) and `retain import signals`
// run as child processes and are killed with SIGKILL at random moments, again and again, while a
// client pushes NPS signals in batches. Detractor scores open risk cases, which start the seeded
// "Low NPS and low CSAT" play: an email to the account's contact and a task for its owner. After the
// last kill a clean server finishes the work, then the store is checked:
//   - every signal the API acknowledged is stored, exactly once;
//   - every CSV import is all or nothing, and an import that reported success is all there;
//   - at most one open case per account, one run per trigger, one task per run step, no email twice
//     (by Message-ID at the SMTP sink), and every run completed;
//   - the store passes its integrity check (SQLite integrity_check and foreign_key_check; on
//     PostgreSQL, the same orphan and uniqueness queries).
//
//   npm run bench:crash                       # 60 kills on SQLite
//   npm run bench:crash -- --kills 5          # what CI runs
//   npm run bench:crash -- --pg postgres://postgres@127.0.0.1:5432/postgres
import { spawn, type ChildProcess } from 'node:child_process';
import { join, resolve } from 'node:path';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { sql } from 'kysely';
import SqliteDatabase from 'better-sqlite3';
import { SYSTEM_ACTOR } from '../src/domain/policy';
import { startSmtpSink } from '../test/helpers/sinks';
import { benchBookFromArgs, seconds } from './lib/book';

if (!process.argv.includes('--accounts')) process.argv.push('--accounts', '2000');
if (!process.argv.includes('--days')) process.argv.push('--days', '1');
const { book, options } = await benchBookFromArgs({
  kills: { default: '60' },
  seed: { default: '20261129' },
});
const kills = Number(options.kills);
const BIN = resolve(import.meta.dirname, '../bin/retain.js');
const db = book.store.db;
const postgres = book.store.kind === 'postgres';
const work = mkdtempSync(join(tmpdir(), 'retain-crash-'));
const externalId = (id: number) => `ACC-${String(id).padStart(7, '0')}`;

// Seeded randomness, so a failing drill can be replayed.
let state = Number(options.seed) >>> 0;
const random = () => {
  state = (state + 0x6d2b79f5) >>> 0;
  let x = state;
  x = Math.imul(x ^ (x >>> 15), x | 1);
  x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
  return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
};

const smtp = await startSmtpSink();
const started = Date.now();
let server: ChildProcess | null = null;

try {
  // One contact per account to receive the play's email; the play itself is seeded and only needs turning on.
  await sql`insert into contacts (account_id, email, name, role, is_champion, attributes, created_at, updated_at)
    select id, 'contact' || id || '@crash.example', 'Contact ' || id, 'user', 1, '{}', ${new Date().toISOString()}, ${new Date().toISOString()}
    from accounts`.execute(db);
  const play = await book.services.playbooks.get('low_nps_csat', SYSTEM_ACTOR);
  await book.services.playbooks.update(SYSTEM_ACTOR, play.id, { active: true, version: play.version });
  const admin = await book.services.users.create(SYSTEM_ACTOR, {
    email: 'crash@retain.local',
    name: 'Crash',
    role: 'admin',
    teamId: null,
    password: 'crash-password-2026',
  });
  const { token } = await book.services.auth.createApiToken(SYSTEM_ACTOR, {
    name: 'crash',
    userId: admin.id,
  });

  const acked = new Set<string>();
  const imports: { keys: string[]; reportedDone: boolean }[] = [];
  let sent = 0;
  let batchNo = 0;

  /** Starts `retain serve` and waits until it answers; a server that exits early is started again on another port. */
  const startServer = async (): Promise<{ child: ChildProcess; port: number }> => {
    let log = '';
    for (let attempt = 1; attempt <= 3; attempt += 1) {
      const port = 21_000 + Math.floor(random() * 20_000);
      const child = spawn(
        process.execPath,
        [BIN, 'serve', '--db', book.target, '--port', String(port), '--no-demo'],
        {
          env: {
            ...process.env,
            RETAIN_LOG: 'off',
            SMTP_URL: smtp.url,
            RETAIN_LEASE_MS: '1500',
            RETAIN_WORKER_INTERVAL_MS: '100',
          },
          stdio: ['ignore', 'pipe', 'pipe'],
        },
      );
      log = '';
      child.stdout?.on('data', (chunk: Buffer) => (log += chunk.toString()));
      child.stderr?.on('data', (chunk: Buffer) => (log += chunk.toString()));
      const deadline = Date.now() + 120_000;
      while (Date.now() < deadline && child.exitCode === null && child.signalCode === null) {
        try {
          if ((await fetch(`http://127.0.0.1:${port}/api/health`)).ok) return { child, port };
        } catch {
          // not listening yet
        }
        await new Promise((done) => setTimeout(done, 100));
      }
      child.kill('SIGKILL');
      console.log(`  server start ${attempt} failed; its output: ${log.slice(-500)}`);
    }
    throw new Error(`the server did not start: ${log.slice(-2000)}`);
  };

  const exited = (child: ChildProcess) =>
    new Promise<number | null>((done) => {
      if (child.exitCode !== null || child.signalCode !== null) done(child.exitCode);
      else child.once('exit', (code) => done(code));
    });

  const pushSignals = async (port: number, stop: { now: boolean }) => {
    while (!stop.now) {
      batchNo += 1;
      const batch = Array.from({ length: 20 }, (_, i) => ({
        kind: 'nps',
        account: externalId(1 + Math.floor(random() * book.accounts)),
        occurredAt: new Date().toISOString(),
        idempotencyKey: `api-${batchNo}-${i}`,
        data: { score: Math.floor(random() * 11) },
      }));
      sent += batch.length;
      try {
        const response = await fetch(`http://127.0.0.1:${port}/api/v1/signals`, {
          method: 'POST',
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
          body: JSON.stringify({ signals: batch }),
        });
        if (response.ok) for (const signal of batch) acked.add(signal.idempotencyKey);
      } catch {
        return; // the server died mid-request: this batch was never acknowledged
      }
    }
  };

  for (let kill = 1; kill <= kills; kill += 1) {
    const launched = await startServer();
    server = launched.child;
    const { port } = launched;
    // A CSV import beside the server, killed too if still running.
    const keys = Array.from({ length: 300 }, (_, i) => `csv-${kill}-${i}`);
    const file = join(work, `signals-${kill}.csv`);
    writeFileSync(
      file,
      [
        'account_id,type,timestamp,event_id,score',
        ...keys.map(
          (key) =>
            `${externalId(1 + Math.floor(random() * book.accounts))},nps,${new Date().toISOString()},${key},${Math.floor(random() * 11)}`,
        ),
      ].join('\n'),
    );
    const importer = spawn(process.execPath, [BIN, 'import', 'signals', file, '--db', book.target], {
      env: { ...process.env },
      stdio: ['ignore', 'ignore', 'ignore'],
    });
    const record = { keys, reportedDone: false };
    imports.push(record);
    importer.once('exit', (code) => {
      if (code === 0) record.reportedDone = true;
    });
    const stop = { now: false };
    const pushing = pushSignals(port, stop);
    await new Promise((done) => setTimeout(done, 200 + random() * 4000));
    server.kill('SIGKILL');
    importer.kill('SIGKILL');
    stop.now = true;
    await Promise.all([exited(server), exited(importer), pushing]);
    server = null;
    if (kill % 10 === 0 || kill === kills) console.log(`  ${kill} kills, ${acked.size} signals acknowledged`);
  }

  // A clean server finishes what is due (leases of the killed ones run out after 1.5 s).
  server = (await startServer()).child;
  const deadline = Date.now() + 600_000;
  for (;;) {
    const [events, runs, messages] = await Promise.all([
      db
        .selectFrom('play_events')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('processed_at', 'is', null)
        .executeTakeFirstOrThrow(),
      db
        .selectFrom('play_runs')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('status', 'in', ['running', 'waiting'])
        .executeTakeFirstOrThrow(),
      db
        .selectFrom('outbox_messages')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('status', 'in', ['pending', 'failed', 'sending'])
        .executeTakeFirstOrThrow(),
    ]);
    if (Number(events.n) + Number(runs.n) + Number(messages.n) === 0) break;
    if (Date.now() > deadline)
      throw new Error(`work left after 600 s: ${JSON.stringify({ events, runs, messages })}`);
    await new Promise((done) => setTimeout(done, 250));
  }
  server.kill('SIGTERM');
  await exited(server);
  server = null;

  // --- the checks -------------------------------------------------------------------------
  const stored = new Map<string, number>();
  for (const row of await db
    .selectFrom('signals')
    .select(['idempotency_key', (eb) => eb.fn.countAll<number>().as('n')])
    .where('idempotency_key', 'is not', null)
    .groupBy('idempotency_key')
    .execute())
    stored.set(String(row.idempotency_key), Number(row.n));
  const lost = [...acked].filter((key) => !stored.has(key)).length;
  const duplicated = [...stored.values()].filter((n) => n > 1).length;
  const partialImports = imports.filter((file) => {
    const present = file.keys.filter((key) => stored.has(key)).length;
    return present !== 0 && present !== file.keys.length;
  }).length;
  const lostImports = imports.filter(
    (file) => file.reportedDone && file.keys.some((key) => !stored.has(key)),
  ).length;
  const scalar = async (query: string) =>
    Number((await sql.raw<{ n: number }>(query).execute(db)).rows[0]?.n ?? -1);
  const doubleOpen = await scalar(
    'select count(*) as n from (select account_id from risk_cases where closed_at is null group by account_id having count(*) > 1) x',
  );
  const doubleRuns = await scalar(
    "select count(*) as n from (select play_id, account_id from play_runs where status in ('running', 'waiting', 'waiting_task') group by play_id, account_id having count(*) > 1) x",
  );
  const doubleTasks = await scalar(
    'select count(*) as n from (select run_id, step_index from tasks where run_id is not null group by run_id, step_index having count(*) > 1) x',
  );
  const unfinished = await scalar(
    "select count(*) as n from play_runs where status not in ('completed', 'held_out')",
  );
  const tasks = await scalar('select count(*) as n from tasks');
  const runs = await scalar('select count(*) as n from play_runs');
  const cases = await scalar('select count(*) as n from risk_cases');
  const byStatus = await sql<{
    status: string;
    n: number;
  }>`select status, count(*) as n from outbox_messages group by status order by status`.execute(db);
  const messageIds = smtp.received.map((message) => message.messageId);
  const duplicateEmails = messageIds.length - new Set(messageIds).size;
  const orphans = await scalar(
    'select (select count(*) from tasks t where not exists (select 1 from accounts a where a.id = t.account_id))' +
      ' + (select count(*) from play_runs r where not exists (select 1 from plays p where p.id = r.play_id))' +
      ' + (select count(*) from signals s where not exists (select 1 from accounts a where a.id = s.account_id)) as n',
  );
  let integrity = orphans === 0 ? 'ok' : `${orphans} orphan rows`;
  if (!postgres) {
    const file = new SqliteDatabase(book.target, { readonly: true });
    const check = String(file.pragma('integrity_check', { simple: true }));
    const foreign = (file.pragma('foreign_key_check') as unknown[]).length;
    file.close();
    integrity =
      check === 'ok' && foreign === 0 && orphans === 0
        ? 'ok'
        : `${check}, ${foreign} foreign-key problems, ${orphans} orphans`;
  }

  console.log(
    `${kills} SIGKILLs in ${seconds(Date.now() - started)} (${book.store.kind}, ${book.accounts} accounts)`,
  );
  console.log(
    `  API signals: ${sent} sent, ${acked.size} acknowledged, ${lost} lost, ${duplicated} stored twice`,
  );
  console.log(
    `  CSV imports: ${imports.length} started, ${imports.filter((file) => file.reportedDone).length} reported done, ` +
      `${partialImports} partial, ${lostImports} reported done but incomplete`,
  );
  console.log(
    `  cases ${cases} (${doubleOpen} accounts with two open), runs ${runs} (${doubleRuns} doubled, ${unfinished} unfinished), ` +
      `tasks ${tasks} (${doubleTasks} doubled)`,
  );
  console.log(
    `  emails: ${smtp.received.length} received, ${duplicateEmails} duplicates; outbox ${byStatus.rows
      .map((row) => `${row.status} ${Number(row.n)}`)
      .join(', ')}`,
  );
  console.log(`  integrity: ${integrity}`);
  const failures =
    lost +
    duplicated +
    partialImports +
    lostImports +
    doubleOpen +
    doubleRuns +
    doubleTasks +
    unfinished +
    duplicateEmails;
  if (failures > 0 || integrity !== 'ok') {
    console.log('  FAILED');
    process.exitCode = 1;
  } else console.log(`  0 lost, 0 duplicated over ${kills} kills`);
} finally {
  server?.kill('SIGKILL');
  await smtp.close();
  await book.close();
}

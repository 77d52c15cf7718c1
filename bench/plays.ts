// Playbooks at scale: N accounts (10,000 by default) enter a segment at once, which a play listens
// to; the play's first step gives each account's owner a task. Timed from the segment refresh that
// records the entries until every task exists, with per-run latency (run start to task, and entry to
// task) at p50/p99. The baseline is the floor for the same outcome: one set-based INSERT of N task
// rows in the same store.
//
//   npm run bench:plays
//   npm run bench:plays -- --accounts 2000
//   npm run bench:plays -- --pg postgres://postgres@127.0.0.1:5432/postgres --workers 4
import { sql } from 'kysely';
import { SYSTEM_ACTOR } from '../src/domain/policy';
import { createPlayRunner } from '../src/jobs/play-runner';
import { createServices } from '../src/services';
import { systemClock } from '../src/services/clock';
import { unconfiguredMailer } from '../src/services/messaging';
import { benchBookFromArgs, percentile, seconds } from './lib/book';

if (!process.argv.includes('--accounts')) process.argv.push('--accounts', '10000');
if (!process.argv.includes('--days')) process.argv.push('--days', '1');
const { book, options } = await benchBookFromArgs({ workers: { default: '' } });
const db = book.store.db;
const postgres = book.store.kind === 'postgres';
const workers = Number(options.workers || (postgres ? 4 : 1));

try {
  // Owners for the tasks: one CSM per 500 accounts.
  const csms = Math.max(1, Math.ceil(book.accounts / 500));
  const team = await book.services.users.createTeam(SYSTEM_ACTOR, 'Bench team');
  const owners: number[] = [];
  for (let i = 0; i < csms; i += 1) {
    const user = await book.services.users.create(SYSTEM_ACTOR, {
      email: `csm${i}@bench.example`,
      name: `CSM ${i}`,
      role: 'csm',
      teamId: team.id,
      password: 'bench-password-long',
    });
    owners.push(user.id);
  }
  await sql`update accounts set team_id = ${team.id}, owner_id = ${sql.raw(
    `case id % ${csms} ${owners.map((id, index) => `when ${index} then ${id}`).join(' ')} end`,
  )}`.execute(db);

  // Live time from here on: run and task timestamps are what the latency is read from.
  const services = createServices(book.store, systemClock);
  const segment = await services.segments.create(SYSTEM_ACTOR, {
    key: 'bench_wave',
    name: 'Bench wave',
    filter: 'attributes.wave = "1"',
  });
  const play = await services.playbooks.create(SYSTEM_ACTOR, {
    name: 'Bench play',
    definition: {
      trigger: { kind: 'segment_entered', segment: segment.key },
      steps: [
        {
          kind: 'task',
          title: 'Call {{account.name}}',
          description: 'They just entered the wave.',
          dueInDays: 3,
          assignee: { kind: 'account_owner' },
        },
      ],
    },
  });
  await services.playbooks.update(SYSTEM_ACTOR, play.id, { active: true, version: play.version });
  await services.segments.refresh(); // the segment starts empty
  await sql`update accounts set attributes = ${postgres ? sql`'{"wave":"1"}'` : sql`json_object('wave', '1')`}`.execute(
    db,
  );

  const started = performance.now();
  const refresh = await services.segments.refresh();
  const entered = refresh.find((r) => r.key === 'bench_wave')?.entered ?? 0;
  const refreshMs = performance.now() - started;
  const runners = Array.from({ length: workers }, (_, i) =>
    createPlayRunner(services, { mailer: unconfiguredMailer, owner: `bench-${i}` }),
  );
  await Promise.all(runners.map((runner) => runner.drain()));
  const totalMs = performance.now() - started;
  const { tasks } = await db
    .selectFrom('tasks')
    .select((eb) => eb.fn.countAll<number>().as('tasks'))
    .executeTakeFirstOrThrow();
  const rows = await db
    .selectFrom('tasks as t')
    .innerJoin('play_runs as r', 'r.id', 't.run_id')
    .innerJoin('play_events as e', (join) =>
      join.on('e.kind', '=', 'segment_entered').onRef('e.account_id', '=', 't.account_id'),
    )
    .select(['t.created_at', 'r.started_at', 'e.at'])
    .execute();
  const runLatency = rows.map((row) => Date.parse(row.created_at) - Date.parse(row.started_at));
  const entryLatency = rows.map((row) => Date.parse(row.created_at) - Date.parse(row.at));

  // Baseline: the same number of task rows written by one set-based INSERT.
  await db.deleteFrom('tasks').execute();
  const baseStart = performance.now();
  await sql`insert into tasks (run_id, step_index, account_id, case_id, assignee_id, title, description, due_at,
      status, actions, actions_mode, created_at)
    select r.id, 0, a.id, null, a.owner_id, 'Call ' || a.name, 'They just entered the wave.', ${new Date().toISOString()},
      'open', '[]', null, ${new Date().toISOString()}
    from play_runs r join accounts a on a.id = r.account_id`.execute(db);
  const baselineMs = performance.now() - baseStart;

  console.log(
    `  ${entered} accounts entered the segment (refresh ${seconds(refreshMs)}); ${workers} worker(s)`,
  );
  console.log(`  every task exists after ${seconds(totalMs)}: ${Number(tasks)} tasks`);
  console.log(
    `  per run, start to task: p50 ${percentile(runLatency, 50)} ms, p99 ${percentile(runLatency, 99)} ms; ` +
      `entry to task: p50 ${percentile(entryLatency, 50)} ms, p99 ${percentile(entryLatency, 99)} ms`,
  );
  console.log(
    `  baseline (one INSERT of ${Number(tasks)} task rows): ${seconds(baselineMs)}; ratio ${(totalMs / baselineMs).toFixed(1)}x`,
  );
  console.log(`  throughput: ${Math.round(Number(tasks) / (totalMs / 1000))} runs/s`);
  if (Number(tasks) !== entered) throw new Error(`expected ${entered} tasks, found ${Number(tasks)}`);
} finally {
  await book.close();
}

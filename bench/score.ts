// Full re-score: every account of a large book (100k accounts, 90 days of rollups by default)
// scored with the default scorecard, next to one hand-written SQL aggregate that reads the same
// rollups and computes the same raw inputs (window averages, last active day, latest readings).
//
//   npm run bench:score                                  # SQLite
//   npm run bench:score -- --accounts 20000 --days 60
//   npm run bench:score -- --pg postgres://postgres@127.0.0.1:5432/postgres
import { sql } from 'kysely';
import { daysBefore } from '../src/domain/health';
import { BENCH_DAY, benchBookFromArgs, seconds } from './lib/book';

const { book } = await benchBookFromArgs();
try {
  const d = (n: number) => daysBefore(BENCH_DAY, n);
  // The baseline: one GROUP BY over the rollups for the inputs the scorecard reads.
  const baselineStart = performance.now();
  const { rows } = await sql<{ account_id: number }>`
    select account_id,
      avg(case when metric = 'usage.active_users' and day > ${d(14)} then value end) as users_recent,
      avg(case when metric = 'usage.active_users' and day <= ${d(14)} and day > ${d(28)} then value end) as users_prior,
      avg(case when metric = 'usage.events' and day > ${d(30)} then value end) as events_recent,
      avg(case when metric = 'usage.events' and day <= ${d(30)} and day > ${d(60)} then value end) as events_prior,
      max(case when metric = 'usage.events' and value > 0 then day end) as last_active,
      max(case when metric = 'nps.score' then day || ':' || value end) as latest_nps,
      max(case when metric = 'licence.utilisation' then day || ':' || value end) as latest_licence
    from daily_rollups
    where day > ${d(180)}
    group by account_id`.execute(book.store.db);
  const baseline = performance.now() - baselineStart;
  if (rows.length !== book.accounts) throw new Error(`baseline saw ${rows.length} accounts`);

  const first = performance.now();
  const run = await book.services.health.score();
  const scoreMs = performance.now() - first;
  if (run.scored !== book.accounts) throw new Error(`scored ${run.scored} of ${book.accounts}`);
  const second = performance.now();
  await book.services.health.score();
  const rescoreMs = performance.now() - second;

  const rate = (ms: number) => Math.round(book.accounts / (ms / 1000));
  console.log(
    `  SQL aggregate of the raw inputs     ${seconds(baseline).padStart(9)}  ${String(rate(baseline)).padStart(8)} accounts/s`,
  );
  console.log(
    `  retain score (first run)            ${seconds(scoreMs).padStart(9)}  ${String(rate(scoreMs)).padStart(8)} accounts/s`,
  );
  console.log(
    `  retain score (same day, overwrite)  ${seconds(rescoreMs).padStart(9)}  ${String(rate(rescoreMs)).padStart(8)} accounts/s`,
  );
  console.log(`  ratio retain/SQL aggregate: ${(scoreMs / baseline).toFixed(2)}x the time`);
} finally {
  await book.close();
}

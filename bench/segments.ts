// Segment membership at scale: ten saved segments over a large book (100k accounts by default, with
// tiers, renewals, attributes, two days of health scores, 35 days of usage rollups and open risk
// cases with reasons). Each segment's membership query, compiled from the filter language, is timed
// next to the SQL an engineer would write by hand for the same question, and the member counts
// must agree. Then a full refresh (membership written, entries recorded) and a second, unchanged one.
//
//   npm run bench:segments
//   npm run bench:segments -- --accounts 20000
//   npm run bench:segments -- --pg postgres://postgres@127.0.0.1:5432/postgres
import { sql, type RawBuilder } from 'kysely';
import { daysBefore } from '../src/domain/health';
import { SYSTEM_ACTOR } from '../src/domain/policy';
import { parseFilter } from '../src/domain/segment-filter';
import { SavedSegmentRepository } from '../src/store/saved-segment.repository';
import { addOpenCases, BENCH_DAY, BENCH_NOW, benchBookFromArgs, seconds } from './lib/book';

if (!process.argv.includes('--days')) process.argv.push('--days', '35');
const { book } = await benchBookFromArgs();
const db = book.store.db;
const postgres = book.store.kind === 'postgres';

try {
  // The rest of a realistic book, set-based.
  const setupStart = performance.now();
  const past = daysBefore(BENCH_DAY, 31);
  if (postgres) {
    await sql`update accounts set
      tier = case id % 5 when 0 then 'Enterprise' when 1 then 'Mid-Market' else 'Growth' end,
      renewal_date = to_char(${BENCH_DAY}::date + (id % 400), 'YYYY-MM-DD'),
      attributes = json_build_object('region', case id % 3 when 0 then 'EMEA' when 1 then 'NA' else 'APAC' end,
        'seats', (id % 200)::text)::text`.execute(db);
  } else {
    await sql`update accounts set
      tier = case id % 5 when 0 then 'Enterprise' when 1 then 'Mid-Market' else 'Growth' end,
      renewal_date = date(${BENCH_DAY}, '+' || (id % 400) || ' days'),
      attributes = json_object('region', case id % 3 when 0 then 'EMEA' when 1 then 'NA' else 'APAC' end,
        'seats', cast(id % 200 as text))`.execute(db);
  }
  for (const [day, factor] of [
    [past, 53],
    [BENCH_DAY, 37],
  ] as const) {
    await sql`insert into health_scores (account_id, day, score, band, components, missing, computed_at)
      select id, ${day}, (id * ${factor}) % 101,
        case when (id * ${factor}) % 101 <= 50 then 'Poor' when (id * ${factor}) % 101 <= 75 then 'Average' else 'Good' end,
        '[]', '[]', ${BENCH_NOW} from accounts`.execute(db);
  }
  await addOpenCases(book);
  await sql`analyze`.execute(db);
  await db.deleteFrom('saved_segments').execute();
  console.log(`  rest of the book set up in ${seconds(performance.now() - setupStart)}`);

  const json = (key: string) =>
    postgres ? sql`(a.attributes::jsonb ->> ${key})` : sql`json_extract(a.attributes, ${`$.${key}`})`;
  const latest = (day: string) => sql`(select account_id, score, band from health_scores h
    where h.day = (select max(day) from health_scores x where x.account_id = h.account_id and x.day <= ${day}))`;
  const in90 = daysBefore(BENCH_DAY, -90);
  const before14 = new Date(Date.parse(BENCH_NOW) - 15 * 86_400_000).toISOString();
  const segments: { name: string; filter: string; handWritten: RawBuilder<unknown> }[] = [
    {
      name: 'enterprise',
      filter: 'tier = "Enterprise"',
      handWritten: sql`select id from accounts a where a.tier = 'Enterprise'`,
    },
    {
      name: 'big renewals',
      filter: 'arr >= 40000 and renewal within 90 days',
      handWritten: sql`select id from accounts a where a.arr >= 40000 and a.renewal_date between ${BENCH_DAY} and ${in90}`,
    },
    {
      name: 'EMEA',
      filter: 'attributes.region = "EMEA"',
      handWritten: sql`select id from accounts a where ${json('region')} = 'EMEA'`,
    },
    {
      name: 'poor health',
      filter: 'health.score < 40',
      handWritten: sql`select account_id from ${latest(BENCH_DAY)} l where l.score < 40`,
    },
    {
      name: 'health dropping',
      filter: 'health.change(30d) <= -20%',
      handWritten: sql`select n.account_id from ${latest(BENCH_DAY)} n join ${latest(daysBefore(BENCH_DAY, 30))} p
        on p.account_id = n.account_id where p.score > 0 and (n.score - p.score) * 100.0 / p.score <= -20`,
    },
    {
      name: 'low usage',
      filter: 'usage.events(30d) < 400',
      handWritten: sql`select a.id from accounts a left join (select account_id, sum(value) v from daily_rollups
        where metric = 'usage.events' and day > ${daysBefore(BENCH_DAY, 30)} and day <= ${BENCH_DAY} group by account_id) r
        on r.account_id = a.id where coalesce(r.v, 0) < 400`,
    },
    {
      name: 'at risk',
      filter: 'risk.stage is not empty',
      handWritten: sql`select account_id from risk_cases where closed_at is null`,
    },
    {
      name: 'budget risks over 10k',
      filter: 'risk.reason = "poor_financial_standing" and arr > 10000',
      handWritten: sql`select c.account_id from risk_cases c join risk_case_reasons cr on cr.case_id = c.id
        join risk_reasons r on r.id = cr.reason_id join accounts a on a.id = c.account_id
        where c.closed_at is null and r.key = 'poor_financial_standing' and a.arr > 10000`,
    },
    {
      name: 'stuck, not enterprise',
      filter: 'risk.days_in_stage > 14 and tier != "Enterprise"',
      handWritten: sql`select c.account_id from risk_cases c join accounts a on a.id = c.account_id
        where c.closed_at is null and c.stage_entered_at <= ${before14} and a.tier <> 'Enterprise'`,
    },
    {
      name: 'growth or poor, no case',
      filter: '(tier = "Growth" or health.score < 50) and not (risk.stage is not empty)',
      handWritten: sql`select a.id from accounts a left join ${latest(BENCH_DAY)} l on l.account_id = a.id
        where (a.tier = 'Growth' or l.score < 50)
        and not exists (select 1 from risk_cases c where c.account_id = a.id and c.closed_at is null)`,
    },
  ];

  const repo = new SavedSegmentRepository(db);
  const context = { now: new Date(BENCH_NOW), postgres };
  let oursTotal = 0;
  let handTotal = 0;
  console.log('  segment                     members      retain   hand SQL   ratio');
  for (const segment of segments) {
    const filter = parseFilter(segment.filter);
    // Best of three for both, after a warm-up run of each.
    const time = async (work: () => Promise<number>) => {
      let best = Infinity;
      let count = 0;
      for (let i = 0; i < 4; i += 1) {
        const t0 = performance.now();
        count = await work();
        if (i > 0) best = Math.min(best, performance.now() - t0);
      }
      return { best, count };
    };
    const ours = await time(async () => (await repo.matchingIds(filter, context)).length);
    const hand = await time(async () => (await segment.handWritten.execute(db)).rows.length);
    if (ours.count !== hand.count)
      throw new Error(`${segment.name}: retain found ${ours.count}, the hand-written SQL ${hand.count}`);
    oursTotal += ours.best;
    handTotal += hand.best;
    console.log(
      `  ${segment.name.padEnd(26)} ${String(ours.count).padStart(8)}  ${`${ours.best.toFixed(0)} ms`.padStart(9)}  ${`${hand.best.toFixed(0)} ms`.padStart(9)}  ${(ours.best / hand.best).toFixed(2).padStart(5)}x`,
    );
  }
  console.log(
    `  all ten                              ${`${oursTotal.toFixed(0)} ms`.padStart(9)}  ${`${handTotal.toFixed(0)} ms`.padStart(9)}  ${(oursTotal / handTotal).toFixed(2).padStart(5)}x`,
  );

  // Saving a segment counts its members at once (membership and entry events written).
  const first = performance.now();
  for (const segment of segments)
    await book.services.segments.create(SYSTEM_ACTOR, { name: segment.name, filter: segment.filter });
  const firstMs = performance.now() - first;
  const second = performance.now();
  const run = await book.services.segments.refresh();
  const secondMs = performance.now() - second;
  const members = run.reduce((sum, r) => sum + r.members, 0);
  console.log(
    `  saving all ten, each counted as it is saved (${members} memberships written): ${seconds(firstMs)}`,
  );
  console.log(`  refresh of all ten, nothing changed: ${seconds(secondMs)}`);
  const listStart = performance.now();
  await book.services.segments.list();
  const listMs = performance.now() - listStart;
  const liveStart = performance.now();
  await book.services.segments.list({ live: true });
  const liveMs = performance.now() - liveStart;
  console.log(`  list with member counts as of the last refresh: ${listMs.toFixed(1)} ms`);
  console.log(`  list counted live (?live=true): ${seconds(liveMs)}`);
} finally {
  await book.close();
}

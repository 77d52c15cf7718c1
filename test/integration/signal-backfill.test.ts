// A historical backfill (`retain import signals --replay`) against the live pipeline: one copy of a
// generated book is fed day by day, its signals written and then scored and detected at each day's
// end; a second copy, the same signals under other account ids, arrives as one CSV in shuffled order
// and is replayed. The replay must open, update and close the same cases on the same days, and leave
// the past as history: no play acts on it and its notices arrive read.
import { Readable } from 'node:stream';
import { expect, it } from 'vitest';
import {
  createScenarioAccounts,
  generateScenario,
  replayAccountsOf,
  scenarioCsv,
  type Scenario,
  type ScenarioAccount,
} from '../../bench/lib/churn-scenarios';
import { DEFAULT_RULES } from '../../src/domain/detection';
import { replayDetection } from '../../src/domain/detection-replay';
import { DEFAULT_SCORECARD } from '../../src/domain/health';
import { DEFAULT_SETTINGS } from '../../src/domain/settings';
import { SYSTEM_ACTOR } from '../../src/domain/policy';
import { inTransaction } from '../../src/services/context';
import { writeSignals } from '../../src/services/signals';
import { forEachStore } from '../helpers/stores';

const DAY = 86_400_000;
const dayText = (n: number) => new Date(Date.UTC(2026, 0, 1) + n * DAY).toISOString().slice(0, 10);
const endOf = (day: string) => `${day}T23:59:59.999Z`;

/** The same accounts and signals under other external ids. */
function copyOf(scenario: Scenario, prefix: string): Scenario {
  const rename = (account: ScenarioAccount): ScenarioAccount => ({
    ...account,
    external: `${prefix}${account.external}`,
    signals: account.signals.map((signal) => ({ ...signal, account: `${prefix}${account.external}` })),
  });
  return { ...scenario, accounts: scenario.accounts.map(rename) };
}

forEachStore('signal backfill', (current) => {
  it('opens, updates and closes the cases the live pipeline did, on the same days', async () => {
    const t = current();
    const days = 110;
    const live = generateScenario({ seed: 5, accounts: 36, days, start: dayText(0), churnRate: 0.35 });
    const replayed = copyOf(live, 'r-');
    t.clock.set(`${dayText(0)}T00:00:00Z`);
    await createScenarioAccounts(live, t.services, t.clock.now());
    await createScenarioAccounts(replayed, t.services, t.clock.now());
    const db = t.store.db;
    const idOf = new Map(
      (await db.selectFrom('accounts').select(['id', 'external_id']).execute()).map((row) => [
        row.external_id,
        row.id,
      ]),
    );
    const liveIds = live.accounts.map((account) => idOf.get(account.external) ?? 0);

    // The live pipeline: each day's signals written, then every account of the copy scored and
    // detected at the end of the day.
    const byDay = new Map<string, ScenarioAccount['signals']>();
    for (const signal of live.accounts.flatMap((account) => account.signals))
      byDay.set(signal.occurredAt.slice(0, 10), [
        ...(byDay.get(signal.occurredAt.slice(0, 10)) ?? []),
        signal,
      ]);
    const last = dayText(days - 1);
    for (let n = 0; n < days; n += 1) {
      const day = dayText(n);
      t.clock.set(endOf(day));
      const batch = (byDay.get(day) ?? []).map((signal, ref) => ({ ref, signal }));
      if (batch.length > 0)
        await inTransaction(t.services.context, (tx) =>
          writeSignals(tx, SYSTEM_ACTOR, t.clock.now(), batch, { source: 'csv' }),
        );
      await t.services.health.score(liveIds);
      await t.services.detection.evaluate(liveIds);
    }

    // The backfill, on the last day of the book.
    t.clock.set(endOf(last));
    const report = await t.services.signalBackfill.replay(
      SYSTEM_ACTOR,
      Readable.from([scenarioCsv(replayed, { shuffle: true })]),
    );
    expect(report.replay).toEqual({ from: dayText(0), to: last, days });
    expect(report.created).toBe(replayed.accounts.reduce((sum, account) => sum + account.signals.length, 0));
    expect(report.rejected).toBe(0);

    const cases = await db
      .selectFrom('risk_cases')
      .innerJoin('accounts', 'accounts.id', 'risk_cases.account_id')
      .select([
        'risk_cases.id',
        'accounts.external_id',
        'risk_cases.opened_at',
        'risk_cases.closed_at',
        'risk_cases.outcome',
      ])
      .orderBy('risk_cases.id')
      .execute();
    const evidence = await db
      .selectFrom('risk_case_evidence')
      .select(['case_id', 'rule_key', 'at'])
      .execute();
    const story = (prefix: string) =>
      cases
        .filter((row) => row.external_id.startsWith('r-') === (prefix === 'r-'))
        .map((row) => ({
          account: row.external_id.slice(prefix.length),
          opened: row.opened_at.slice(0, 10),
          closed: row.closed_at?.slice(0, 10) ?? null,
          outcome: row.outcome,
          evidence: evidence
            .filter((entry) => entry.case_id === row.id)
            .map((entry) => `${entry.at.slice(0, 10)} ${entry.rule_key}`)
            .sort(),
        }))
        .sort((a, b) => a.account.localeCompare(b.account) || a.opened.localeCompare(b.opened));
    const liveStory = story('');
    expect(liveStory.length).toBeGreaterThan(5);
    expect(liveStory.some((opened) => opened.outcome === 'recovered')).toBe(true);
    expect(story('r-')).toEqual(liveStory);

    // The report names what detection did.
    expect(report.detection?.casesOpened).toBe(liveStory.length);
    expect(report.detection?.recovered).toBe(
      liveStory.filter((opened) => opened.outcome === 'recovered').length,
    );
    expect(report.detection?.scored).toBe(replayed.accounts.length);
    expect(report.detection?.opened[0]?.account).toMatch(/^r-/);

    // Health history for every day, as the live copy has.
    const scoreDays = async (prefix: string) =>
      Number(
        (
          await db
            .selectFrom('health_scores')
            .innerJoin('accounts', 'accounts.id', 'health_scores.account_id')
            .select((eb) => eb.fn.countAll<number>().as('n'))
            .where('accounts.external_id', prefix === '' ? 'not like' : 'like', 'r-%')
            .executeTakeFirstOrThrow()
        ).n,
      );
    expect(await scoreDays('r-')).toBe(await scoreDays(''));

    // The past is history: its play events are handled without starting runs, its notices are read.
    const replayedIds = replayed.accounts.map((account) => idOf.get(account.external) ?? 0);
    const pending = await db
      .selectFrom('play_events')
      .select(['at'])
      .where('account_id', 'in', replayedIds)
      .where('processed_at', 'is', null)
      .execute();
    expect(pending.every((event) => event.at >= `${last}T00:00:00.000Z`)).toBe(true);
    const unread = await db
      .selectFrom('notifications')
      .innerJoin('risk_cases', 'risk_cases.id', 'notifications.case_id')
      .select(['risk_cases.opened_at'])
      .where('risk_cases.account_id', 'in', replayedIds)
      .where('notifications.read_at', 'is', null)
      .execute();
    expect(unread.every((row) => row.opened_at >= `${last}T00:00:00.000Z`)).toBe(true);

    // The same file again would read the stored days as known too early: refused, nothing written.
    const before = await db
      .selectFrom('signals')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    await expect(
      t.services.signalBackfill.replay(
        SYSTEM_ACTOR,
        Readable.from([scenarioCsv(replayed, { shuffle: true })]),
      ),
    ).rejects.toMatchObject({ code: 'REPLAY_HISTORY_EXISTS' });
    const after = await db
      .selectFrom('signals')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    expect(Number(after.n)).toBe(Number(before.n));
  });

  it('writes nothing when a row is wrong, and says which', async () => {
    const t = current();
    t.clock.set('2026-04-10T12:00:00Z');
    const acme = await t.services.accounts.create(SYSTEM_ACTOR, { externalId: 'acme', name: 'Acme' });
    const file = [
      'account,kind,occurred_at,event,count,active_users',
      'acme,usage,2026-04-01T10:00:00Z,daily_summary,40,4',
      'acme,usage,2026-04-02T10:00:00Z,daily_summary,forty,4',
      'nobody,usage,2026-04-02T10:00:00Z,daily_summary,10,1',
    ].join('\n');
    const refused = await t.services.signalBackfill
      .replay(SYSTEM_ACTOR, Readable.from([file]))
      .catch((error: unknown) => error);
    expect(refused).toMatchObject({ code: 'IMPORT_INVALID' });
    const lines = (refused as { details: { errors: { line: number }[] } }).details.errors.map(
      (error) => error.line,
    );
    expect(lines).toEqual([3, 4]);
    const stored = await t.store.db.selectFrom('signals').select('id').execute();
    expect(stored).toEqual([]);

    // A dry run says what the replay would cover, and writes nothing.
    const dry = await t.services.signalBackfill.replay(
      SYSTEM_ACTOR,
      Readable.from([file.split('\n').slice(0, 2).join('\n')]),
      { dryRun: true },
    );
    expect(dry).toMatchObject({
      dryRun: true,
      created: 1,
      replay: { from: '2026-04-01', to: '2026-04-10', days: 10 },
    });
    expect(await t.store.db.selectFrom('signals').select('id').execute()).toEqual([]);

    // A dry run counts a repeated idempotency key as the writes will: once.
    const keyed = await t.services.signalBackfill.replay(
      SYSTEM_ACTOR,
      Readable.from([
        [
          'account,kind,occurred_at,idempotency_key,event,count,active_users',
          'acme,usage,2026-04-01T10:00:00Z,k1,daily_summary,40,4',
          'acme,usage,2026-04-02T10:00:00Z,k1,daily_summary,41,4',
        ].join('\n'),
      ]),
      { dryRun: true },
    );
    expect(keyed).toMatchObject({ created: 1, unchanged: 1 });

    // Partial mode with no good row still lists the bad ones.
    const none = await t.services.signalBackfill
      .replay(
        SYSTEM_ACTOR,
        Readable.from([
          file
            .split('\n')
            .filter((_, i) => i === 0 || i > 1)
            .join('\n'),
        ]),
        {
          partial: true,
        },
      )
      .catch((error: unknown) => error);
    expect(none).toMatchObject({ code: 'IMPORT_INVALID', details: { errors: [{ line: 2 }, { line: 3 }] } });

    // A typo'd year would replay centuries: more than 731 days is refused, naming the way out.
    await expect(
      t.services.signalBackfill.replay(
        SYSTEM_ACTOR,
        Readable.from([
          'account,kind,occurred_at,event,count\nacme,usage,2016-04-01T10:00:00Z,daily_summary,3\n',
        ]),
      ),
    ).rejects.toMatchObject({
      code: 'VALIDATION_FAILED',
      message: expect.stringContaining(
        'Import its rows from before 2024-04-10 without --replay first',
      ) as unknown,
    });

    // An account with a case opened since the file's first day: the replay would date evidence before it.
    const opened = await t.services.riskCases.open(SYSTEM_ACTOR, {
      accountId: acme.id,
      reasons: ['support_issues'],
    });
    await expect(
      t.services.signalBackfill.replay(
        SYSTEM_ACTOR,
        Readable.from([file.split('\n').slice(0, 2).join('\n')]),
      ),
    ).rejects.toMatchObject({ code: 'REPLAY_HISTORY_EXISTS', details: { caseId: opened.id } });
    expect(await t.store.db.selectFrom('signals').select('id').execute()).toEqual([]);
  });
});

forEachStore('signal backfill and the in-memory replay', (current) => {
  it('agree when a new sign fires on the day the old ones have been clear long enough', async () => {
    const t = current();
    // Three accounts of a large generated book whose case, on one day, saw its signs clear for the
    // recovery period while another rule fired: the case stays open and takes the new sign.
    const book = generateScenario({ seed: 1, accounts: 3000, days: 180, start: '2026-01-01' });
    const picked = new Set(['SCN-02259', 'SCN-02795', 'SCN-01899']);
    const scenario = { ...book, accounts: book.accounts.filter((account) => picked.has(account.external)) };
    expect(scenario.accounts).toHaveLength(3);
    t.clock.set('2026-01-01T00:00:00Z');
    await createScenarioAccounts(scenario, t.services, t.clock.now());
    t.clock.set(endOf(scenario.end));
    await t.services.signalBackfill.replay(SYSTEM_ACTOR, Readable.from([scenarioCsv(scenario)]));

    const stored = await t.store.db
      .selectFrom('risk_cases')
      .innerJoin('accounts', 'accounts.id', 'risk_cases.account_id')
      .select(['accounts.external_id', 'risk_cases.opened_at', 'risk_cases.closed_at', 'risk_cases.outcome'])
      .execute();
    const history = replayAccountsOf(scenario).map((account) => ({ ...account, churnDay: null }));
    const memory = await replayDetection(history, {
      rules: DEFAULT_RULES,
      scorecard: DEFAULT_SCORECARD,
      from: '2026-01-01',
      to: scenario.end,
      recoveryDays: DEFAULT_SETTINGS.detectionRecoveryDays,
    });
    const lines = (rows: { account: string; opened: string; closed: string | null }[]) =>
      rows.map((row) => `${row.account} ${row.opened} ${row.closed ?? '-'}`).sort();
    expect(
      lines(
        stored.map((row) => ({
          account: row.external_id,
          opened: row.opened_at.slice(0, 10),
          closed: row.closed_at?.slice(0, 10) ?? null,
        })),
      ),
    ).toEqual(
      lines(
        memory.cases.map((opened) => ({
          account: scenario.accounts[opened.accountId - 1]?.external ?? '',
          opened: opened.openedDay,
          closed: opened.closedDay,
        })),
      ),
    );
    // No case closed as recovered on a day a case opened for the same account.
    for (const row of stored.filter((found) => found.outcome === 'recovered'))
      expect(
        stored.some(
          (other) =>
            other.external_id === row.external_id &&
            other.opened_at.slice(0, 10) === row.closed_at?.slice(0, 10),
        ),
      ).toBe(false);
  });
});

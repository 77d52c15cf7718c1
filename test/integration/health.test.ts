import { expect, it } from 'vitest';
import { DEFAULT_SCORECARD } from '../../src/domain/health';
import { SYSTEM_ACTOR } from '../../src/domain/policy';
import { buildTinyBook } from '../helpers/book';
import { forEachStore, type TestStore } from '../helpers/stores';

const day = (n: number) => `2026-03-${String(n).padStart(2, '0')}`;

/** Daily usage for Acme: logins and active users, one record a day. */
function usage(from: number, to: number, activeUsers: (n: number) => number) {
  const records = [];
  for (let n = from; n <= to; n += 1) {
    records.push({
      kind: 'usage',
      account: 'A-1',
      occurredAt: `${day(n)}T09:00:00Z`,
      idempotencyKey: `use-${n}`,
      data: { event: 'login', count: 4, activeUsers: activeUsers(n) },
    });
  }
  return records;
}

async function ingestOn(t: TestStore, when: string, records: unknown[]) {
  t.clock.set(when);
  return t.services.signals.ingest(SYSTEM_ACTOR, records);
}

forEachStore('health scores', (current) => {
  it('scores on ingest, and explains a drop from declining usage and a past-due invoice', async () => {
    const t = current();
    await buildTinyBook(t, { cases: false });
    await ingestOn(t, `${day(14)}T18:00:00Z`, [
      ...usage(1, 14, () => 20),
      {
        kind: 'licence',
        account: 'A-1',
        occurredAt: `${day(1)}T09:00:00Z`,
        data: { seatsUsed: 36, seatsPurchased: 40 },
      },
      { kind: 'nps', account: 'A-1', occurredAt: `${day(2)}T09:00:00Z`, data: { score: 9 } },
      {
        kind: 'invoice',
        account: 'A-1',
        occurredAt: `${day(1)}T09:00:00Z`,
        idempotencyKey: 'inv-1',
        data: { invoiceId: 'INV-1', amount: 12_000, dueDate: '2026-02-01', paidDate: '2026-01-30' },
      },
      {
        kind: 'invoice',
        account: 'A-1',
        occurredAt: `${day(1)}T09:00:00Z`,
        idempotencyKey: 'inv-2',
        data: { invoiceId: 'INV-2', amount: 12_000, dueDate: '2026-03-25' },
      },
    ]);
    const acme = await t.services.accounts.getByExternalId('A-1');
    const healthy = await t.services.health.accountHealth(acme.id);
    expect(healthy.current).toMatchObject({ day: day(14), band: 'Good' });
    expect(healthy.current?.score).toBeGreaterThanOrEqual(90);
    // Two weeks of history are not enough for a 14-day trend: that measure is missing, not zero.
    expect(healthy.current?.missing).toEqual([
      'active_users_trend',
      'usage_trend',
      'open_high_tickets',
      'latest_csat',
      'onboarding_late',
    ]);

    // A week of declining usage, and the March invoice goes unpaid well past its due date.
    await ingestOn(
      t,
      `${day(21)}T18:00:00Z`,
      usage(15, 21, (n) => 20 - (n - 14) * 2),
    );
    t.clock.set('2026-05-10T18:00:00Z');
    await t.services.health.score([acme.id]);
    const later = await t.services.health.accountHealth(acme.id, { since: 50 });
    expect(later.current).toMatchObject({ day: '2026-05-10' });
    expect(later.current?.score).toBeLessThan(60);
    const texts = later.drivers.map((driver) => driver.text);
    expect(texts).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^-\d+: days since last activity 0 days → 50 days$/),
        expect.stringMatching(/^-\d+: days past due 0 days → 46 days$/),
      ]),
    );
    expect(later.current?.explanation).toEqual(
      expect.arrayContaining([expect.stringMatching(/^Days past due: 46 days → 10\/100, [\d.]+ points$/)]),
    );

    // Back at day 21: three weeks of history do not reach into the first half of the 14 days before
    // the last 14, so there is still no trend to blame, rather than one drawn from a few days.
    t.clock.set(`${day(21)}T18:00:00Z`);
    const week = await t.services.health.accountHealth(acme.id);
    expect(week.current?.missing).toContain('active_users_trend');
    expect(week.history.map((h) => h.day)).toEqual([day(14), day(21)]);
  });

  it('keeps CSM sentiment beside the score and flags strong disagreement', async () => {
    const t = current();
    const book = await buildTinyBook(t, { cases: false });
    await ingestOn(t, `${day(5)}T10:00:00Z`, [
      { kind: 'nps', account: 'A-1', occurredAt: `${day(5)}T09:00:00Z`, data: { score: 1 } },
    ]);
    const acme = await t.services.accounts.getByExternalId('A-1');
    const health = await t.services.health.setSentiment(book.actors.csmA, acme.id, 'green', 'They love us');
    expect(health).toMatchObject({
      current: {
        score: 10,
        band: 'Poor',
        missing: expect.arrayContaining(['active_users_trend']) as unknown,
      },
      sentiment: { sentiment: 'green', note: 'They love us', userEmail: 'csm.a@example.com' },
      disagreement: true,
    });
    await expect(
      t.services.health.setSentiment(book.actors.csmB, acme.id, 'red', null),
    ).rejects.toMatchObject({
      code: 'FORBIDDEN',
    });
    expect(await t.services.health.disagreements({ teamId: book.teams.a })).toMatchObject([
      { externalId: 'A-1', sentiment: 'green', score: 10, band: 'Poor' },
    ]);
    expect(await t.services.health.disagreements({ teamId: book.teams.b })).toEqual([]);
    const yellow = await t.services.health.setSentiment(book.actors.leadA, acme.id, 'yellow', null);
    expect(yellow.disagreement).toBe(false);
    expect(await t.services.health.disagreements()).toEqual([]);
  });

  it('lets admins replace the scorecard, validated as a whole, and re-scores every account', async () => {
    const t = current();
    const book = await buildTinyBook(t, { cases: false });
    await ingestOn(t, `${day(5)}T10:00:00Z`, [
      { kind: 'nps', account: 'A-1', occurredAt: `${day(5)}T09:00:00Z`, data: { score: 6 } },
      { kind: 'csat', account: 'A-2', occurredAt: `${day(5)}T09:00:00Z`, data: { score: 2 } },
    ]);
    await expect(
      t.services.health.updateScorecard(book.actors.leadA, DEFAULT_SCORECARD),
    ).rejects.toMatchObject({
      code: 'FORBIDDEN',
    });
    const broken = { ...DEFAULT_SCORECARD, measures: [{ ...DEFAULT_SCORECARD.measures[0], weight: -1 }] };
    await expect(t.services.health.updateScorecard(book.actors.admin, broken)).rejects.toMatchObject({
      code: 'VALIDATION_FAILED',
      message: expect.stringMatching(/^measures\.0\.weight: /) as unknown,
    });
    const npsOnly = {
      measures: [
        {
          key: 'nps',
          name: 'NPS',
          label: 'NPS',
          unit: 'score',
          weight: 1,
          input: { kind: 'latest', metric: 'nps.score', maxAgeDays: 30 },
          scoring: { kind: 'linear', from: { value: 0, score: 0 }, to: { value: 10, score: 100 } },
        },
      ],
      bands: [
        { name: 'Red', min: 0 },
        { name: 'Green', min: 50 },
      ],
    };
    await t.services.health.updateScorecard(book.actors.admin, npsOnly);
    expect((await t.services.health.scorecard()).measures).toHaveLength(1);
    const run = await t.services.health.score();
    expect(run).toMatchObject({ day: day(5), scored: 1, withoutData: 5, bandChanges: 0 });
    const acme = await t.services.accounts.getByExternalId('A-1');
    expect((await t.services.health.accountHealth(acme.id)).current).toMatchObject({
      score: 60,
      band: 'Green',
    });
  });
});

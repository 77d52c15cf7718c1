import { expect, it } from 'vitest';
import { claimDay, DailyRunner } from '../../src/jobs/daily-run';
import { SYSTEM_ACTOR } from '../../src/domain/policy';
import { createServices } from '../../src/services';
import { openStore } from '../../src/store/db';
import { buildTinyBook } from '../helpers/book';
import { forEachStore } from '../helpers/stores';

forEachStore('daily run', (current) => {
  it('runs once a day after the configured hour, once across processes sharing the store', async () => {
    const t = current();
    await buildTinyBook(t, { cases: false });
    t.clock.set('2026-03-10T09:00:00Z');
    await t.services.signals.ingest(SYSTEM_ACTOR, [
      { kind: 'usage', account: 'A-1', occurredAt: '2026-03-10T08:00:00Z', data: { event: 'login' } },
    ]);
    const runner = new DailyRunner(t.services);
    const otherStore = await openStore(t.target);
    const other = new DailyRunner(createServices(otherStore, t.clock));
    try {
      // No activity for three weeks: only the daily run (not an ingest) can notice.
      t.clock.set('2026-04-01T01:30:00Z');
      expect(await runner.tick()).toBeNull();
      t.clock.set('2026-04-01T02:05:00Z');
      const ran = await runner.tick();
      expect(ran).toMatchObject({ day: '2026-04-01', scoring: { scored: 1, withoutData: 5 } });
      expect(ran?.detection).toMatchObject({ casesOpened: 1 });
      expect(await other.tick()).toBeNull();
      expect(await runner.tick()).toBeNull();
      t.clock.set('2026-04-02T02:00:00Z');
      expect(await other.tick()).toMatchObject({ day: '2026-04-02' });
    } finally {
      await otherStore.close();
    }
    const acme = await t.services.accounts.getByExternalId('A-1');
    const cases = await t.services.riskCases.worklist({ q: acme.name });
    expect(cases.items[0]?.source).toBe('rule');
    expect(cases.items[0]?.reasons.map((reason) => reason.key)).toContain('poor_engagement');
  });
});

forEachStore('daily run after a crash', (current) => {
  it('runs a day again when the process that claimed it died before finishing, but not sooner than an hour', async () => {
    const t = current();
    await buildTinyBook(t, { cases: false });
    // A process claims the day and dies before doing the work.
    expect(await claimDay(t.store.db, '2026-04-01', new Date('2026-04-01T02:01:00Z'))).toBe(true);
    const runner = new DailyRunner(t.services);
    t.clock.set('2026-04-01T02:30:00Z');
    expect(await runner.tick()).toBeNull(); // it might still be working
    t.clock.set('2026-04-01T03:02:00Z');
    expect(await runner.tick()).toMatchObject({ day: '2026-04-01' });
    t.clock.set('2026-04-01T05:00:00Z');
    expect(await runner.tick()).toBeNull(); // done: not again that day
  });
});

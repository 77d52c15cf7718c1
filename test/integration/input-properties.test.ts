// Property tests over what data engineers push in: random CSV files and random signal records either
// go in or are refused with a coded error naming the line or record, and a refused import writes
// nothing. Fixed seed in CI; INPUT_FUZZ_RUNS=500 for a longer run.
import { Readable } from 'node:stream';
import fc from 'fast-check';
import { expect, it } from 'vitest';
import { AppError } from '../../src/domain/errors';
import { SYSTEM_ACTOR } from '../../src/domain/policy';
import { buildTinyBook } from '../helpers/book';
import { forEachStore, snapshotStore } from '../helpers/stores';

const RUNS = Number(process.env.INPUT_FUZZ_RUNS ?? 40);
const SEED = 20261129;

const cell = fc.oneof(
  fc.constantFrom(
    '',
    'A-1',
    'Acme',
    '12,000',
    'twelve',
    '2026-02-30',
    '2026-03-01',
    'Enterprise',
    '"quoted, comma"',
    '"',
    '\r',
  ),
  fc.string({ maxLength: 12 }),
);
const header = fc.constantFrom(
  'id',
  'name',
  'ARR',
  'Tier',
  'Renewal Date',
  'Owner Email',
  'region',
  'id',
  '',
);

forEachStore('input properties', (current) => {
  it('imports a random CSV whole, or refuses it with a coded error and writes nothing', async () => {
    const t = current();
    await buildTinyBook(t, { cases: false });
    await fc.assert(
      fc.asyncProperty(
        fc.array(header, { minLength: 1, maxLength: 5 }),
        fc.array(fc.array(cell, { minLength: 1, maxLength: 6 }), { maxLength: 6 }),
        async (headers, rows) => {
          const csv = [headers.join(','), ...rows.map((row) => row.join(','))].join('\n');
          const before = await snapshotStore(t.store);
          try {
            await t.services.imports.importAccounts(SYSTEM_ACTOR, Readable.from([csv]));
          } catch (error) {
            if (!(error instanceof AppError) || error.code === 'INTERNAL') throw error;
            expect(await snapshotStore(t.store)).toEqual(before);
          }
        },
      ),
      { seed: SEED, numRuns: RUNS },
    );
  });

  it('ingests random signal records or refuses the batch with the record and field', async () => {
    const t = current();
    await buildTinyBook(t, { cases: false });
    const record = fc.record(
      {
        kind: fc.oneof(
          fc.constantFrom('usage', 'nps', 'ticket', 'invoice', 'licence', 'csat', 'touchpoint'),
          fc.string(),
        ),
        account: fc.oneof(fc.constantFrom('A-1', 'B-2', 'NOPE'), fc.string()),
        occurredAt: fc.oneof(
          fc.constantFrom(
            '2026-03-01T10:00:00Z',
            '2026-03-01T10:00:00+05:30',
            '2026-02-30T00:00:00Z',
            'yesterday',
            '',
          ),
          fc.string(),
        ),
        idempotencyKey: fc.string({ maxLength: 20 }),
        data: fc.oneof(
          fc.constantFrom(
            { score: 7 },
            { score: 11 },
            { event: 'login' },
            { seatsUsed: 3, seatsPurchased: 0 },
          ),
          fc.jsonValue({ maxDepth: 2 }),
        ),
      },
      { requiredKeys: ['kind', 'account'] },
    );
    await fc.assert(
      fc.asyncProperty(fc.array(record, { minLength: 1, maxLength: 5 }), async (records) => {
        try {
          await t.services.signals.ingest(SYSTEM_ACTOR, records);
        } catch (error) {
          if (!(error instanceof AppError) || error.code === 'INTERNAL') throw error;
          expect(error.code).toBe('SIGNALS_INVALID');
          const errors = (error.details as { errors?: { index: number; field: string }[] }).errors ?? [];
          expect(errors.length).toBeGreaterThan(0);
          for (const entry of errors) expect(entry.index).toBeLessThan(records.length);
        }
      }),
      { seed: SEED, numRuns: RUNS },
    );
  });

  it('stores a timestamp written in any UTC offset as the same instant in UTC, and refuses impossible dates', async () => {
    const t = current();
    await buildTinyBook(t, { cases: false });
    const pad = (n: number, width = 2) => String(n).padStart(width, '0');
    let serial = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.date({
          min: new Date('2000-01-01T00:00:00Z'),
          max: new Date('2026-03-01T00:00:00Z'), // signals from the future are refused
          noInvalidDate: true,
        }),
        fc.integer({ min: -12 * 60, max: 14 * 60 }).map((minutes) => minutes - (minutes % 15)),
        fc.boolean(),
        async (instant, offsetMinutes, withMillis) => {
          const whole = withMillis ? instant : new Date(Math.floor(instant.getTime() / 1000) * 1000);
          // The same instant as the wall-clock time at that offset.
          const local = new Date(whole.getTime() + offsetMinutes * 60_000);
          const sign = offsetMinutes < 0 ? '-' : '+';
          const zone =
            offsetMinutes === 0
              ? 'Z'
              : `${sign}${pad(Math.floor(Math.abs(offsetMinutes) / 60))}:${pad(Math.abs(offsetMinutes) % 60)}`;
          const text =
            `${pad(local.getUTCFullYear(), 4)}-${pad(local.getUTCMonth() + 1)}-${pad(local.getUTCDate())}` +
            `T${pad(local.getUTCHours())}:${pad(local.getUTCMinutes())}:${pad(local.getUTCSeconds())}` +
            `${withMillis ? `.${pad(local.getUTCMilliseconds(), 3)}` : ''}${zone}`;
          serial += 1;
          const key = `offset-${serial}`;
          await t.services.signals.ingest(SYSTEM_ACTOR, [
            { kind: 'nps', account: 'A-1', occurredAt: text, idempotencyKey: key, data: { score: 8 } },
          ]);
          const [stored] = await t.store.db
            .selectFrom('signals')
            .select('occurred_at')
            .where('idempotency_key', '=', key)
            .execute();
          expect({ text, stored: stored?.occurred_at }).toEqual({ text, stored: whole.toISOString() });
        },
      ),
      { seed: SEED, numRuns: RUNS },
    );
    for (const impossible of [
      '2026-02-30T10:00:00Z',
      '2025-02-29',
      '2026-13-01T00:00:00Z',
      '2026-04-31',
      '2026-03-01T25:00:00Z',
      '2026-03-01T10:61:00Z',
      '2026-03-01T10:00:00',
    ]) {
      await expect(
        t.services.signals.ingest(SYSTEM_ACTOR, [
          { kind: 'nps', account: 'A-1', occurredAt: impossible, data: { score: 8 } },
        ]),
      ).rejects.toMatchObject({
        code: 'SIGNALS_INVALID',
        details: { errors: [expect.objectContaining({ index: 0, field: 'occurredAt' })] },
      });
    }
  });
});

import { Readable } from 'node:stream';
import { expect, it } from 'vitest';
import { AppError } from '../../src/domain/errors';
import { SYSTEM_ACTOR } from '../../src/domain/policy';
import { SignalRepository } from '../../src/store/signal.repository';
import { buildTinyBook } from '../helpers/book';
import { forEachStore, snapshotStore, type TestStore } from '../helpers/stores';

const at = (day: string, time = '10:00:00') => `${day}T${time}Z`;

/** A week of product, support and billing facts for Acme. */
function acmeWeek() {
  return [
    {
      kind: 'usage',
      account: 'A-1',
      occurredAt: at('2026-03-01'),
      idempotencyKey: 'u1',
      data: { event: 'login', count: 3, activeUsers: 12 },
    },
    {
      kind: 'usage',
      account: 'A-1',
      occurredAt: at('2026-03-01', '15:00:00'),
      idempotencyKey: 'u2',
      data: { event: 'report_run', count: 5, activeUsers: 9 },
    },
    {
      kind: 'usage',
      account: 'A-1',
      occurredAt: at('2026-03-02'),
      idempotencyKey: 'u3',
      data: { event: 'login', count: 1 },
    },
    {
      kind: 'licence',
      account: 'A-1',
      occurredAt: at('2026-03-01'),
      idempotencyKey: 'l1',
      data: { seatsUsed: 30, seatsPurchased: 40 },
    },
    {
      kind: 'ticket',
      account: 'A-1',
      occurredAt: at('2026-03-01'),
      idempotencyKey: 't1',
      data: { ticketId: 'T-1', action: 'opened', priority: 'high' },
    },
    {
      kind: 'ticket',
      account: 'A-1',
      occurredAt: at('2026-03-01', '11:00:00'),
      idempotencyKey: 't2',
      data: { ticketId: 'T-2', action: 'opened', priority: 'urgent' },
    },
    {
      kind: 'ticket',
      account: 'A-1',
      occurredAt: at('2026-03-02'),
      idempotencyKey: 't3',
      data: { ticketId: 'T-1', action: 'closed', priority: 'high' },
    },
    // NPS arrives out of order: the later observation wins whatever the arrival order.
    {
      kind: 'nps',
      account: 'A-1',
      occurredAt: at('2026-03-01', '18:00:00'),
      idempotencyKey: 'n2',
      data: { score: 3 },
    },
    {
      kind: 'nps',
      account: 'A-1',
      occurredAt: at('2026-03-01', '09:00:00'),
      idempotencyKey: 'n1',
      data: { score: 9 },
    },
    {
      kind: 'invoice',
      account: 'A-1',
      occurredAt: at('2026-01-15'),
      idempotencyKey: 'i1',
      data: { invoiceId: 'INV-7', amount: 4000, dueDate: '2026-01-15' },
    },
    {
      kind: 'touchpoint',
      account: 'A-1',
      occurredAt: at('2026-03-02'),
      data: { channel: 'call', reason: 'Risk', outcome: 'negative' },
    },
    {
      kind: 'business_event',
      account: 'B-1',
      occurredAt: '2026-03-01',
      idempotencyKey: 'b1',
      data: { event: 'acquisition', note: 'Bought by a rival' },
    },
  ];
}

async function counts(t: TestStore) {
  return new SignalRepository(t.store.db).count();
}

async function rejection(promise: Promise<unknown>): Promise<AppError> {
  const error = await promise.then(
    () => null,
    (caught: unknown) => caught,
  );
  if (!(error instanceof AppError)) throw new Error(`expected an AppError, got ${String(error)}`);
  return error;
}

forEachStore('signal ingest', (current) => {
  it('reads numbers in a signal file as its locale writes them, and never guesses', async () => {
    const t = current();
    await buildTinyBook(t, { cases: false });
    t.clock.set('2026-03-08T00:00:00Z');
    const file = [
      'account,kind,occurred_at,event,duration_secs',
      'A-1,usage,2026-03-01,report_run,1.500',
    ].join('\n');
    const refused = await rejection(t.services.imports.importSignals(SYSTEM_ACTOR, Readable.from([file])));
    expect(refused.details).toMatchObject({
      errors: [
        {
          line: 2,
          column: 'duration_secs',
          message: expect.stringContaining('could be 1.5 or 1,500') as string,
        },
      ],
    });
    const hex = await rejection(
      t.services.imports.importSignals(SYSTEM_ACTOR, Readable.from([file.replace('1.500', '0x10')])),
    );
    expect(hex.details).toMatchObject({ errors: [{ line: 2, column: 'duration_secs' }] });
    await t.services.imports.importSignals(SYSTEM_ACTOR, Readable.from([file]), { locale: 'de-DE' });
    const acme = await t.services.accounts.getByExternalId('A-1');
    const [stored] = await t.services.signals.listForAccount(acme.id, { limit: 5 });
    expect(stored?.data).toMatchObject({ durationSecs: 1500 });
  });

  it('writes signals once, keeps daily rollups and due items, and changes nothing on a re-send', async () => {
    const t = current();
    await buildTinyBook(t, { cases: false });
    t.clock.set('2026-03-08T00:00:00Z');
    const report = await t.services.signals.ingest(SYSTEM_ACTOR, acmeWeek());
    expect(report).toMatchObject({ received: 12, inserted: 12, duplicates: 0 });
    const before = await counts(t);
    // Three of the rollups are the events by name: login on two days, report_run on one.
    expect(before).toEqual({ signals: 12, rollups: 17, dueItems: 1 });

    const acme = await t.services.accounts.getByExternalId('A-1');
    const rollups = await t.services.signals.rollups(acme.id, {});
    const value = (metric: string, day: string) =>
      rollups.find((row) => row.metric === metric && row.day === day)?.value;
    expect(value('usage.events', '2026-03-01')).toBe(8);
    expect(value('usage.logins', '2026-03-01')).toBe(3);
    expect(value('events.login', '2026-03-01')).toBe(3);
    expect(value('events.report_run', '2026-03-01')).toBe(5);
    expect(value('usage.active_users', '2026-03-01')).toBe(12);
    expect(value('licence.utilisation', '2026-03-01')).toBe(75);
    expect(value('nps.score', '2026-03-01')).toBe(3);
    expect(value('tickets.open_high_delta', '2026-03-01')).toBe(2);
    expect(value('tickets.open_high_delta', '2026-03-02')).toBe(-1);
    expect(value('touchpoints.risk', '2026-03-02')).toBe(1);

    const snapshot = await snapshotStore(t.store);
    const rollupsBefore = await t.services.signals.rollups(acme.id, {});
    const again = await t.services.signals.ingest(
      SYSTEM_ACTOR,
      acmeWeek().filter((s) => s.idempotencyKey),
    );
    expect(again).toMatchObject({ received: 11, inserted: 0, duplicates: 11 });
    expect(await counts(t)).toEqual(before);
    expect(await t.services.signals.rollups(acme.id, {})).toEqual(rollupsBefore);
    expect(await snapshotStore(t.store)).toEqual(snapshot);

    // One key twice in one batch counts once.
    const twice = {
      kind: 'csat',
      account: 'A-2',
      occurredAt: at('2026-03-03'),
      idempotencyKey: 'c1',
      data: { score: 2 },
    };
    expect(await t.services.signals.ingest(SYSTEM_ACTOR, [twice, twice])).toMatchObject({
      inserted: 1,
      duplicates: 1,
    });

    const timeline = await t.services.signals.listForAccount(acme.id, { limit: 3 });
    expect(timeline.map((signal) => signal.kind)).toEqual(['touchpoint', 'ticket', 'usage']);
    expect(timeline[2]).toMatchObject({ source: 'api', data: { event: 'login', count: 1 } });
  });

  it('rejects a batch with bad records, naming each record and field, and writes nothing', async () => {
    const t = current();
    await buildTinyBook(t, { cases: false });
    const snapshot = await snapshotStore(t.store);
    const good = acmeWeek()[0];
    const error = await rejection(
      t.services.signals.ingest(SYSTEM_ACTOR, [
        good,
        { ...good, idempotencyKey: 'x1', kind: 'telepathy' },
        { ...good, idempotencyKey: 'x2', account: 'NOPE-9' },
        { ...good, idempotencyKey: 'x3', occurredAt: '2026-02-30T10:00:00Z' },
        { kind: 'nps', account: 'A-1', occurredAt: at('2026-03-01'), data: { score: '9' } },
        { kind: 'nps', account: 'A-1', occurredAt: at('2026-03-01'), data: { score: 9, mood: 'happy' } },
        { kind: 'nps', account: 'A-1', occurredAt: at('2026-03-01'), data: { score: 11 } },
        { kind: 'usage', account: 'A-1', occurredAt: '2030-01-01T00:00:00Z', data: { event: 'login' } },
      ]),
    );
    expect(error.code).toBe('SIGNALS_INVALID');
    expect(error.status).toBe(422);
    expect(error.message).toMatch(
      /^Nothing was written: 7 of 8 signals are invalid \(first: signals\[1\]\.kind: /,
    );
    const errors = error.details?.errors as { index: number; field: string; message: string }[];
    expect(errors.map((e) => [e.index, e.field])).toEqual([
      [1, 'kind'],
      [2, 'account'],
      [3, 'occurredAt'],
      [4, 'data.score'],
      [5, 'data.mood'],
      [6, 'data.score'],
      [7, 'occurredAt'],
    ]);
    expect(errors[1]?.message).toBe('no account with external id "NOPE-9"');
    expect(errors[3]?.message).toContain('expected number');
    expect(errors[4]?.message).toBe('unknown field mood');
    expect(errors[6]?.message).toMatch(/^2030-01-01T00:00:00.000Z is in the future/);
    expect(await snapshotStore(t.store)).toEqual(snapshot);
    expect(await counts(t)).toEqual({ signals: 0, rollups: 0, dueItems: 0 });
  });

  it('matches a payment to its invoice by id alone, and refuses a payment of an invoice never sent', async () => {
    const t = current();
    await buildTinyBook(t, { cases: false });
    t.clock.set(at('2026-03-20'));
    const invoice = (data: Record<string, unknown>, day = '2026-03-01') => ({
      kind: 'invoice',
      account: 'A-1',
      occurredAt: at(day),
      data,
    });
    const unknown = await rejection(
      t.services.signals.ingest(SYSTEM_ACTOR, [invoice({ invoiceId: 'INV-404', paidDate: '2026-03-02' })]),
    );
    expect(unknown.details?.errors).toEqual([
      {
        index: 0,
        field: 'data.dueDate',
        message: 'invoice "INV-404" is not known yet: its first record needs a dueDate',
      },
    ]);
    expect(await counts(t)).toEqual({ signals: 0, rollups: 0, dueItems: 0 });
    // The invoice, then its payment by id: in one batch, and across batches.
    await t.services.signals.ingest(SYSTEM_ACTOR, [
      invoice({ invoiceId: 'INV-7', amount: 900, dueDate: '2026-03-10' }),
      invoice({ invoiceId: 'INV-8', amount: 400, dueDate: '2026-03-12' }),
      invoice({ invoiceId: 'INV-7', paidDate: '2026-03-09' }, '2026-03-09'),
    ]);
    await t.services.signals.ingest(SYSTEM_ACTOR, [
      invoice({ invoiceId: 'INV-8', paidDate: '2026-03-15' }, '2026-03-15'),
    ]);
    const items = await new SignalRepository(t.store.db).dueItems();
    expect(items.map(({ key, dueDate, doneDate, amount }) => ({ key, dueDate, doneDate, amount }))).toEqual([
      { key: 'INV-7', dueDate: '2026-03-10', doneDate: '2026-03-09', amount: 900 },
      { key: 'INV-8', dueDate: '2026-03-12', doneDate: '2026-03-15', amount: 400 },
    ]);
  });

  it('parks signals for unknown accounts on placeholder accounts when asked', async () => {
    const t = current();
    await buildTinyBook(t, { cases: false });
    const report = await t.services.signals.ingest(
      SYSTEM_ACTOR,
      [
        {
          kind: 'competitor_mention',
          account: 'NEW-1',
          occurredAt: at('2026-03-01'),
          data: { competitor: 'Rival' },
        },
      ],
      { source: 'api', createAccounts: true },
    );
    expect(report).toMatchObject({ inserted: 1, createdAccounts: ['NEW-1'] });
    const parked = await t.services.accounts.getByExternalId('NEW-1');
    expect(parked).toMatchObject({ name: 'NEW-1', attributes: { createdFrom: 'signal' } });
    // The competitor mention also fires its detection rule right away.
    const actions = (await t.services.accounts.timeline(parked.id)).map((entry) => entry.action);
    expect(actions).toEqual(['opened', 'created_from_signal']);
  });

  it('imports signals from CSV, all or nothing, with line and column for every bad cell', async () => {
    const t = current();
    await buildTinyBook(t, { cases: false });
    const file = [
      'account_id,type,timestamp,event_id,event,count,seats_used,seats_purchased,score',
      'A-1,usage,2026-03-01T10:00:00Z,e1,login,2,,,',
      'A-1,licence,2026-03-01,e2,,,35,40,',
      'A-2,nps,2026-03-01,e3,,,,,four',
      'ZZ-1,nps,2026-03-01,e4,,,,,7',
      'A-3,nps,2026-03-01,e5,,,,,8',
    ].join('\n');
    const error = await rejection(t.services.imports.importSignals(SYSTEM_ACTOR, Readable.from([file])));
    expect(error.code).toBe('IMPORT_INVALID');
    expect(error.details).toMatchObject({
      errors: [
        { line: 4, column: 'score', message: expect.stringContaining('"four" is not a number') as string },
        { line: 5, column: 'account_id', message: 'no account with external id "ZZ-1"' },
      ],
    });
    expect(await counts(t)).toEqual({ signals: 0, rollups: 0, dueItems: 0 });

    const partial = await t.services.imports.importSignals(SYSTEM_ACTOR, Readable.from([file]), {
      partial: true,
    });
    expect(partial).toMatchObject({ rows: 5, created: 3, rejected: 2 });
    const again = await t.services.imports.importSignals(SYSTEM_ACTOR, Readable.from([file]), {
      partial: true,
    });
    expect(again).toMatchObject({ created: 0, unchanged: 3 });
    const acme = await t.services.accounts.getByExternalId('A-1');
    const rollups = await t.services.signals.rollups(acme.id, {});
    expect(rollups.map((row) => [row.metric, row.value])).toEqual([
      ['events.login', 2],
      ['licence.utilisation', 87.5],
      ['usage.events', 2],
      ['usage.logins', 2],
    ]);
  });
});

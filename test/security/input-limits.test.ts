// Every way in (API, Segment, CSV import, services) holds values to the same limits, and user keys
// (CSV headers, mapping keys, attribute and trait names) never reach an object's prototype.
import fc from 'fast-check';
import type { LightMyRequestResponse } from 'fastify';
import { expect, it } from 'vitest';
import { AppError } from '../../src/domain/errors';
import { INPUT_LIMITS } from '../../src/domain/input-limits';
import { attributeInputs } from '../../src/domain/health';
import { renderTemplate } from '../../src/domain/playbook';
import { SYSTEM_ACTOR } from '../../src/domain/policy';
import { readChurnCsv } from '../../src/services/churn-model';
import { parseMappingOption } from '../../src/services/csv-mapping';
import { apiWorld, errorCode, type ApiWorld } from '../api/helpers';
import { forEachStore } from '../helpers/stores';

const V1 = '/api/v1';
const RUNS = Number(process.env.INPUT_FUZZ_RUNS ?? 15);
const SEED = 20261129;
const PROTOTYPE_NAMES = Object.getOwnPropertyNames(Object.prototype);

interface RowErrorBody {
  error: { code: string; message: string; details: { errors: { line: number; column: string | null }[] } };
}
interface RecordErrorBody {
  error: { code: string; details: { errors: { index: number; field: string; message: string }[] } };
}

const segment = (w: ApiWorld, path: string, payload: unknown) =>
  w.as('ingest', { method: 'POST', url: `${V1}/segment/v1/${path}`, payload: payload as object });
const csvImport = (w: ApiWorld, kind: 'accounts' | 'contacts' | 'signals', body: string, query = '') =>
  w.as('ingest', {
    method: 'POST',
    url: `${V1}/imports/${kind}${query}`,
    headers: { 'content-type': 'text/csv' },
    payload: body,
  });

async function thrown(promise: Promise<unknown>): Promise<AppError> {
  const error = await promise.then(
    () => null,
    (caught: unknown) => caught,
  );
  if (!(error instanceof AppError)) throw new Error(`expected an AppError, got ${String(error)}`);
  return error;
}

function expectNoPollution(): void {
  expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  expect(Object.getOwnPropertyNames(Object.prototype).sort()).toEqual([...PROTOTYPE_NAMES].sort());
}

forEachStore('input limits', (current) => {
  it('refuses a Segment group or identify whose name is over the limit, naming the message and trait', async () => {
    const t = current();
    const w = await apiWorld(t, { cases: false });
    const huge = 'x'.repeat(20 * 1024 * 1024);
    const batch = await segment(w, 'batch', {
      batch: [
        { type: 'group', groupId: 'SEG-OK', traits: { name: 'Fine Co' } },
        { type: 'group', groupId: 'SEG-BIG', traits: { name: huge } },
      ],
    });
    // The over-long message is named and refused; the good one of the same batch is written.
    expect(batch.statusCode).toBe(200);
    const body = batch.json<{ rejected: number; errors: { index: number; field: string }[] }>();
    expect(body.rejected).toBe(1);
    expect(body.errors).toMatchObject([{ index: 1, field: 'traits.name' }]);
    expect(batch.body.length).toBeLessThan(10_000);
    await expect(t.services.accounts.getByExternalId('SEG-BIG')).rejects.toMatchObject({
      code: 'ACCOUNT_NOT_FOUND',
    });
    expect(await t.services.accounts.getByExternalId('SEG-OK')).toMatchObject({ name: 'Fine Co' });
    const log = await w.as('admin', { method: 'GET', url: `${V1}/segment/rejections` });
    expect(log.body.length).toBeLessThan(10_000);

    const long = 'n'.repeat(INPUT_LIMITS.account.name + 1);
    const group = await segment(w, 'group', { groupId: 'SEG-2', traits: { name: long } });
    expect(group.statusCode).toBe(422);
    expect(group.json<RecordErrorBody>().error.details.errors).toMatchObject([
      { index: 0, field: 'traits.name' },
    ]);
    const manyTraits = Object.fromEntries(
      Array.from({ length: INPUT_LIMITS.attributes.keys + 1 }, (_, i) => [`trait${i}`, i]),
    );
    const wide = await segment(w, 'group', { groupId: 'SEG-3', traits: { name: 'Wide', ...manyTraits } });
    expect(wide.statusCode).toBe(422);
    expect(wide.json<RecordErrorBody>().error.details.errors).toMatchObject([{ index: 0, field: 'traits' }]);

    expect((await segment(w, 'group', { groupId: 'SEG-4', traits: { name: 'Four' } })).statusCode).toBe(200);
    const identify = await segment(w, 'identify', {
      userId: 'u-long',
      context: { groupId: 'SEG-4' },
      traits: { email: 'long@seg.example', name: 'c'.repeat(INPUT_LIMITS.contact.name + 1) },
    });
    expect(identify.statusCode).toBe(422);
    expect(identify.json<RecordErrorBody>().error.details.errors).toMatchObject([
      { index: 0, field: 'traits.name' },
    ]);
    const account = await t.services.accounts.getByExternalId('SEG-4');
    expect(await t.services.accounts.contacts(account.id)).toEqual([]);

    const track = await segment(w, 'track', {
      event: 'e'.repeat(INPUT_LIMITS.signal.eventName + 1),
      context: { groupId: 'SEG-4' },
      messageId: 'long-event',
    });
    expect(track.statusCode).toBe(422);
    const oversized = await segment(w, 'track', {
      event: 'Signed In',
      context: { groupId: 'SEG-4' },
      properties: { blob: 'p'.repeat(INPUT_LIMITS.segment.messageLength) },
    });
    expect(oversized.statusCode).toBe(422);
    expect(oversized.json<RecordErrorBody>().error.details.errors).toMatchObject([
      { index: 0, field: '(message)' },
    ]);
  });

  it('holds accounts and contacts written through the services to the same limits, naming the field', async () => {
    const t = current();
    const w = await apiWorld(t, { cases: false });
    const { accounts } = t.services;
    const overName = await thrown(
      accounts.create(SYSTEM_ACTOR, { externalId: 'L-1', name: 'n'.repeat(INPUT_LIMITS.account.name + 1) }),
    );
    expect(overName).toMatchObject({ code: 'VALIDATION_FAILED', details: { field: 'name' } });
    const overKeys = await thrown(
      accounts.create(SYSTEM_ACTOR, {
        externalId: 'L-1',
        name: 'Limits',
        attributes: Object.fromEntries(
          Array.from({ length: INPUT_LIMITS.attributes.keys + 1 }, (_, i) => [`k${i}`, i]),
        ),
      }),
    );
    expect(overKeys).toMatchObject({ code: 'VALIDATION_FAILED', details: { field: 'attributes' } });
    const overValue = await thrown(
      accounts.create(SYSTEM_ACTOR, {
        externalId: 'L-1',
        name: 'Limits',
        attributes: { notes: 'v'.repeat(INPUT_LIMITS.attributes.valueLength + 1) },
      }),
    );
    expect(overValue).toMatchObject({ code: 'VALIDATION_FAILED', details: { field: 'attributes.notes' } });
    const account = await accounts.create(SYSTEM_ACTOR, { externalId: 'L-1', name: 'Limits' });
    const overTier = await thrown(
      accounts.update(SYSTEM_ACTOR, account.id, { tier: 't'.repeat(INPUT_LIMITS.account.tier + 1) }),
    );
    expect(overTier).toMatchObject({ code: 'VALIDATION_FAILED', details: { field: 'tier' } });
    const overRole = await thrown(
      accounts.addContact(SYSTEM_ACTOR, account.id, {
        email: 'role@limits.example',
        role: 'r'.repeat(INPUT_LIMITS.contact.role + 1),
      }),
    );
    expect(overRole).toMatchObject({ code: 'VALIDATION_FAILED', details: { field: 'role' } });
    expect(await accounts.get(account.id)).toMatchObject({ tier: null, version: 1 });
    expect(await accounts.contacts(account.id)).toEqual([]);

    // The API refuses the same values with the same code, before they reach the service.
    const api = await w.as('admin', {
      method: 'POST',
      url: `${V1}/accounts`,
      payload: {
        externalId: 'L-2',
        name: 'Api',
        attributes: Object.fromEntries(
          Array.from({ length: INPUT_LIMITS.attributes.keys + 1 }, (_, i) => [`k${i}`, i]),
        ),
      },
    });
    expect(api.statusCode).toBe(400);
    expect(errorCode(api)).toBe('VALIDATION_FAILED');
    const docs = (await w.app.inject({ method: 'GET', url: '/api/docs' })).json<{
      paths: Record<
        string,
        Record<
          string,
          {
            requestBody?: {
              content: Record<string, { schema: { properties: Record<string, { maxLength?: number }> } }>;
            };
          }
        >
      >;
    }>();
    const accountSchema =
      docs.paths['/api/v1/accounts']?.post?.requestBody?.content['application/json']?.schema;
    expect(accountSchema?.properties.name?.maxLength).toBe(INPUT_LIMITS.account.name);
    expect(accountSchema?.properties.externalId?.maxLength).toBe(INPUT_LIMITS.account.externalId);
  });

  it('reports over-limit CSV cells by line and column, with messages that do not echo the value', async () => {
    const t = current();
    const w = await apiWorld(t, { cases: false });
    const longName = 'n'.repeat(INPUT_LIMITS.account.name + 1);
    const longNote = 'v'.repeat(INPUT_LIMITS.attributes.valueLength + 1);
    const accounts = await csvImport(
      w,
      'accounts',
      `id,name,Notes,ARR\nC-1,Fine,ok,10\nC-2,${longName},ok,10\nC-3,Fine,${longNote},10\nC-4,Fine,ok,${'9'.repeat(500_000)}\n`,
    );
    expect(accounts.statusCode).toBe(422);
    const body = accounts.json<RowErrorBody>();
    expect(body.error.code).toBe('IMPORT_INVALID');
    expect(body.error.details.errors).toMatchObject([
      { line: 3, column: 'name' },
      { line: 4, column: 'Notes' },
      { line: 5, column: 'ARR' },
    ]);
    expect(accounts.body.length).toBeLessThan(10_000);

    const partial = await csvImport(w, 'accounts', `id,name\nC-1,Fine\nC-2,${longName}\n`, '?partial=true');
    expect(partial.json()).toMatchObject({ created: 1, rejected: 1 });

    const contacts = await csvImport(
      w,
      'contacts',
      `account,email,first name,last name,title\n` +
        `C-1,a@c.example,Ann,Lee,${'r'.repeat(INPUT_LIMITS.contact.role + 1)}\n` +
        `C-1,b@c.example,${'f'.repeat(200)},${'l'.repeat(200)},CFO\n`,
    );
    expect(contacts.statusCode).toBe(422);
    expect(contacts.json<RowErrorBody>().error.details.errors).toMatchObject([
      { line: 2, column: 'title' },
      { line: 3, column: 'first name' },
    ]);

    const wide = Array.from({ length: INPUT_LIMITS.attributes.keys + 1 }, (_, i) => `col${i}`);
    const many = await csvImport(
      w,
      'accounts',
      `id,name,${wide.join(',')}\nC-9,Wide,${wide.map(() => '1').join(',')}\n`,
    );
    expect(many.statusCode).toBe(422);
    expect(many.json<RowErrorBody>().error.details.errors).toMatchObject([{ line: 2, column: null }]);

    const longHeader = 'h'.repeat(INPUT_LIMITS.attributes.keyLength + 1);
    const header = await csvImport(w, 'accounts', `id,name,${longHeader}\nC-1,Fine,x\n`);
    expect(header.statusCode).toBe(400);
    expect(errorCode(header)).toBe('IMPORT_MAPPING_INVALID');
    expect(header.body.length).toBeLessThan(2_000);

    const signals = await csvImport(
      w,
      'signals',
      `account,kind,occurred_at,event\nC-1,usage,${'2'.repeat(500_000)},login\n` +
        `C-1,usage,2026-03-01T10:00:00Z,${'e'.repeat(INPUT_LIMITS.signal.eventName + 1)}\n`,
    );
    expect(signals.statusCode).toBe(422);
    expect(signals.json<RowErrorBody>().error.details.errors).toMatchObject([
      { line: 2, column: 'occurred_at' },
      { line: 3, column: 'event' },
    ]);
    expect(signals.body.length).toBeLessThan(10_000);
  });

  it('refuses signals whose key, data or nesting is over the limit, naming record and field', async () => {
    const t = current();
    await apiWorld(t, { cases: false });
    const at = '2026-03-01T10:00:00Z';
    let deep: unknown = 'bottom';
    for (let i = 0; i < 10_000; i += 1) deep = { deep };
    const error = await thrown(
      t.services.signals.ingest(SYSTEM_ACTOR, [
        { kind: 'usage', account: 'A-1', occurredAt: at, data: { event: 'login' } },
        {
          kind: 'usage',
          account: 'A-1',
          occurredAt: at,
          idempotencyKey: 'k'.repeat(INPUT_LIMITS.signal.idempotencyKey + 1),
          data: { event: 'login' },
        },
        { kind: 'usage', account: 'A-1', occurredAt: at, data: { event: 'login', deep } },
        {
          kind: 'usage',
          account: 'A-1',
          occurredAt: at,
          data: { event: 'login', blob: 'b'.repeat(INPUT_LIMITS.signal.dataLength) },
        },
        { kind: 'usage', account: 'A-1', occurredAt: 'x'.repeat(1_000_000), data: { event: 'login' } },
      ]),
    );
    expect(error.code).toBe('SIGNALS_INVALID');
    const errors = (error.details as RecordErrorBody['error']['details']).errors;
    expect(errors).toMatchObject([
      { index: 1, field: 'idempotencyKey' },
      { index: 2, field: 'data' },
      { index: 3, field: 'data' },
      { index: 4, field: 'occurredAt' },
    ]);
    for (const entry of errors) expect(entry.message.length).toBeLessThan(300);
  });

  it('holds case notes and weekly updates to the note limit, whoever writes them', async () => {
    const t = current();
    const w = await apiWorld(t);
    const long = 'u'.repeat(INPUT_LIMITS.text.note + 1);
    const caseId = w.book.cases.at_risk ?? 0;
    const update = await thrown(
      t.services.riskCases.addUpdate(SYSTEM_ACTOR, caseId, {
        background: 'Usage fell',
        doneSoFar: long,
        nextSteps: 'Call',
      }),
    );
    expect(update).toMatchObject({ code: 'VALIDATION_FAILED', details: { field: 'doneSoFar' } });
    expect(await t.services.riskCases.updates(caseId)).toEqual([]);
    const moved = await thrown(
      t.services.riskCases.moveStage(SYSTEM_ACTOR, caseId, { stage: 'plan_in_place', note: long }),
    );
    expect(moved).toMatchObject({ code: 'VALIDATION_FAILED', details: { field: 'note' } });
    const api = await w.as('admin', {
      method: 'POST',
      url: `${V1}/risk-cases/${caseId}/updates`,
      payload: { background: long, doneSoFar: 'x', nextSteps: 'y' },
    });
    expect(api.statusCode).toBe(400);
    expect(errorCode(api)).toBe('VALIDATION_FAILED');
  });

  it('keeps the default account list small when every account is at its limits or beyond', async () => {
    const t = current();
    const w = await apiWorld(t, { cases: false });
    const { keys, keyLength, valueLength, totalLength } = INPUT_LIMITS.attributes;
    // As many of the longest values as the total allows.
    const count = Math.min(keys, Math.floor(totalLength / (keyLength + valueLength + 6)));
    const headers = Array.from(
      { length: count },
      (_, i) => `${String(i).padStart(3, '0')}${'k'.repeat(keyLength - 3)}`,
    );
    const rows = Array.from({ length: 60 }, (_, i) =>
      [
        `${String(i).padStart(3, '0')}${'x'.repeat(INPUT_LIMITS.account.externalId - 3)}`,
        'n'.repeat(INPUT_LIMITS.account.name),
        ...headers.map(() => 'v'.repeat(valueLength)),
      ].join(','),
    );
    const imported = await csvImport(
      w,
      'accounts',
      [['id', 'name', ...headers].join(','), ...rows].join('\n'),
    );
    expect(imported.statusCode).toBe(200);
    // Oversized writes through the other ways in, named to sort first, are refused rather than stored.
    await segment(w, 'group', { groupId: 'BIG-1', traits: { name: 'A'.repeat(900_000) } });
    await csvImport(w, 'accounts', `id,name,notes\nBIG-2,AAA,${'v'.repeat(900_000)}\n`);
    const page = await w.as('admin', { method: 'GET', url: `${V1}/accounts` });
    expect(page.statusCode).toBe(200);
    expect(page.json<{ items: unknown[] }>().items).toHaveLength(50);
    expect(page.body.length).toBeLessThan(2 * 1024 * 1024);
  });
});

forEachStore('prototype-named keys', (current) => {
  it('imports CSV columns named after Object.prototype members as attributes and refuses __proto__', async () => {
    const t = current();
    const w = await apiWorld(t, { cases: false });
    const names = ['constructor', 'toString', 'hasOwnProperty', 'valueOf', 'isPrototypeOf'];
    const accounts = await csvImport(
      w,
      'accounts',
      `id,name,${names.join(',')}\nP-1,Proto,${names.map((n) => `${n}-value`).join(',')}\n`,
    );
    expect(accounts.statusCode).toBe(200);
    const account = await t.services.accounts.getByExternalId('P-1');
    expect(account.attributes).toEqual(Object.fromEntries(names.map((n) => [n, `${n}-value`])));

    const contacts = await csvImport(
      w,
      'contacts',
      `account,email,${names.join(',')}\nP-1,p@proto.example,${names.map((n) => `${n}-c`).join(',')}\n`,
    );
    expect(contacts.statusCode).toBe(200);
    const [contact] = await t.services.accounts.contacts(account.id);
    expect(contact?.attributes).toEqual(Object.fromEntries(names.map((n) => [n, `${n}-c`])));

    const signals = await csvImport(
      w,
      'signals',
      'account,kind,occurred_at,event,toString\nP-1,usage,2026-03-01T10:00:00Z,login,x\n',
    );
    expect(signals.statusCode).toBe(422);
    expect(signals.json<RowErrorBody>().error.details.errors).toMatchObject([
      { line: 2, column: 'toString' },
    ]);
    const constructorSignal = await csvImport(
      w,
      'signals',
      'account,kind,occurred_at,event,constructor\nP-1,usage,2026-03-01T10:00:00Z,login,\n',
    );
    expect(constructorSignal.statusCode).toBe(200);

    for (const kind of ['accounts', 'contacts', 'signals'] as const) {
      const header =
        kind === 'signals' ? 'account,kind,occurred_at' : kind === 'accounts' ? 'id,name' : 'account,email';
      const proto = await csvImport(w, kind, `${header},__proto__\nP-1,x,y,z\n`);
      expect(proto.statusCode).toBe(400);
      expect(proto.json()).toMatchObject({
        error: { code: 'IMPORT_MAPPING_INVALID', details: { column: '__proto__' } },
      });
    }
    const mapped = await csvImport(
      w,
      'accounts',
      'Acct,name,notes\nP-2,Mapped,x\n',
      `?map=${encodeURIComponent('{"Acct":"externalId","notes":"attribute:__proto__"}')}`,
    );
    expect(mapped.statusCode).toBe(400);
    expect(errorCode(mapped)).toBe('IMPORT_MAPPING_INVALID');
    expectNoPollution();
  });

  it('reads mapping keys named after Object.prototype members as headers', () => {
    for (const name of PROTOTYPE_NAMES) {
      expect(Object.entries(parseMappingOption(JSON.stringify({ [name]: 'externalId' })))).toEqual([
        [name, 'externalId'],
      ]);
      expect(Object.entries(parseMappingOption(`${name}=ignore`))).toEqual([[name, 'ignore']]);
    }
    expect(() => parseMappingOption('{"__proto__": {"polluted": true}}')).toThrow(AppError);
    expectNoPollution();
  });

  it('reads attributes named after Object.prototype members only where a record has them', async () => {
    const t = current();
    const w = await apiWorld(t, { cases: false });
    const imported = await csvImport(w, 'accounts', 'id,name,constructor,toString\nP-1,Proto,built,text\n');
    expect(imported.statusCode).toBe(200);
    const exported = await w.as('admin', { method: 'GET', url: `${V1}/exports/accounts?format=csv` });
    expect(exported.statusCode).toBe(200);
    expect(exported.body).not.toContain('native code');
    expect(exported.body).toContain('built');
    expect(renderTemplate('Hi {{constructor}} {{toString}}', { 'account.name': 'Acme' })).toBe(
      'Hi {{constructor}} {{toString}}',
    );
    const facts = { arr: 0, tier: null, lifecycleStage: null, attributes: { constructor: 'built' } };
    const inputs = attributeInputs(
      [
        { key: '__proto__', input: { kind: 'attribute', attribute: 'constructor' } },
        { key: 'valueof', input: { kind: 'attribute', attribute: 'toString' } },
      ],
      facts,
    );
    expect(Object.entries(inputs)).toEqual([
      ['__proto__', 'built'],
      ['valueof', null],
    ]);
    const rows = ['churned,constructor,plan'];
    for (let i = 0; i < 60; i += 1) rows.push(`${i % 2 ? 'yes' : 'no'},${i},p${i % 3}`);
    const plain = readChurnCsv(rows.join('\n'), { label: 'churned' });
    const typed = readChurnCsv(rows.join('\n'), { label: 'churned', types: { plan: 'category' } });
    expect(typed.skipped).toEqual(plain.skipped);
    expect(typed.skipped).toMatchObject([{ column: 'constructor' }]);
  });

  it('never answers 5xx nor pollutes a prototype, whatever the headers, map keys, attribute or trait names', async () => {
    const t = current();
    const w = await apiWorld(t, { cases: false });
    const name = fc.oneof(
      fc.constantFrom(
        ...PROTOTYPE_NAMES,
        '__proto__.polluted',
        'constructor.prototype.polluted',
        'prototype',
      ),
      fc.string({ maxLength: 12 }),
    );
    const csvSafe = (text: string) => `"${text.replace(/"/g, '""')}"`;
    const expectHandled = (response: LightMyRequestResponse) => {
      if (response.statusCode >= 500) throw new Error(`${response.statusCode}: ${response.body}`);
      expectNoPollution();
    };
    let serial = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(name, { minLength: 1, maxLength: 4 }),
        fc.array(name, { maxLength: 3 }),
        async (names, mapKeys) => {
          serial += 1;
          const id = `F-${serial}`;
          const mapping = JSON.stringify(
            Object.fromEntries(mapKeys.map((key, i) => [key, i === 0 ? 'attribute' : 'ignore'])),
          );
          const query = mapKeys.length > 0 ? `?map=${encodeURIComponent(mapping)}` : '';
          const cells = names.map((n) => csvSafe(`${n}-v`));
          const headers = names.map(csvSafe);
          expectHandled(
            await csvImport(
              w,
              'accounts',
              `id,name,${headers.join(',')}\n${id},Fuzz,${cells.join(',')}\n`,
              query,
            ),
          );
          expectHandled(
            await csvImport(
              w,
              'contacts',
              `account,email,${headers.join(',')}\nA-1,f${serial}@fuzz.example,${cells.join(',')}\n`,
              query,
            ),
          );
          expectHandled(
            await csvImport(
              w,
              'signals',
              `account,kind,occurred_at,event,${headers.join(',')}\nA-1,usage,2026-03-01T10:00:00Z,login,${cells.join(',')}\n`,
              query,
            ),
          );

          const attributes = Object.fromEntries(names.map((n) => [n, `${n}-a`]));
          const created = await w.as('admin', {
            method: 'POST',
            url: `${V1}/accounts`,
            headers: { 'content-type': 'application/json' },
            payload: JSON.stringify({ externalId: `${id}-api`, name: 'Fuzz', attributes }),
          });
          expectHandled(created);
          if (created.statusCode === 201) {
            const stored = created.json<{ attributes: Record<string, unknown> }>().attributes;
            for (const [key, value] of Object.entries(attributes))
              if (key !== '__proto__' && key.length > 0)
                expect(Object.hasOwn(stored, key) && stored[key]).toBe(value);
          }
          // Every other batch also carries a JSON `__proto__` member, which must be refused, not obeyed.
          const traits = JSON.stringify({ name: 'Seg', ...attributes });
          const poisoned = serial % 2 === 0 ? traits.replace(/^\{/, '{"__proto__":{"polluted":1},') : traits;
          const batch =
            `{"batch":[{"type":"group","groupId":${JSON.stringify(`${id}-seg`)},"userId":"${id}-u","traits":${poisoned}},` +
            `{"type":"identify","userId":"${id}-u","traits":${JSON.stringify({ email: `${serial}@seg.example`, ...attributes })}},` +
            `{"type":"track","userId":"${id}-u","event":"login","properties":${JSON.stringify(attributes)}}]}`;
          expectHandled(
            await w.as('ingest', {
              method: 'POST',
              url: `${V1}/segment/v1/batch`,
              headers: { 'content-type': 'application/json' },
              payload: batch,
            }),
          );
        },
      ),
      { seed: SEED, numRuns: RUNS },
    );
    expectNoPollution();
  });
});

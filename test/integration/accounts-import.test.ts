import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { SYSTEM_ACTOR } from '../../src/domain/policy';
import type { ImportOptions } from '../../src/services/imports';
import { buildTinyBook } from '../helpers/book';
import { refusal } from '../helpers/errors';
import { forEachStore, snapshotStore, type TestStore } from '../helpers/stores';

const csv = (...lines: string[]) => Readable.from([lines.join('\n') + '\n']);

async function collect(chunks: AsyncIterable<string>): Promise<string> {
  let text = '';
  for await (const chunk of chunks) text += chunk;
  return text;
}

const SALESFORCE_HEADER =
  'Account ID,Account Name,Account Owner Email,Customer Tier,ARR,Renewal Date,Industry';

describe('account and contact store', () => {
  forEachStore('accounts', (current) => {
    it('creates, updates and deletes accounts with an audit trail and version checks', async () => {
      const t: TestStore = current();
      const book = await buildTinyBook(t, { cases: false });
      const { accounts } = t.services;
      await expect(
        accounts.create(book.actors.csmA, { externalId: 'A-9', name: 'Gamma Gyms', teamId: book.teams.a }),
      ).rejects.toMatchObject({ code: 'FORBIDDEN' });
      const created = await accounts.create(book.actors.leadA, {
        externalId: 'A-9',
        name: 'Gamma Gyms',
        ownerId: book.users.csmA.id,
        teamId: book.teams.a,
        arr: 12_500,
        renewalDate: '2027-01-31',
        attributes: { industry: 'Fitness' },
      });
      expect(created).toMatchObject({ ownerEmail: 'csm.a@example.com', teamName: 'Team A', version: 1 });

      t.clock.advanceDays(1);
      const updated = await accounts.update(
        book.actors.leadA,
        created.id,
        { arr: 14_000, tier: 'Growth' },
        1,
      );
      expect(updated).toMatchObject({ arr: 14_000, tier: 'Growth', version: 2 });
      await expect(accounts.update(book.actors.leadA, created.id, { arr: 1 }, 1)).rejects.toMatchObject({
        code: 'VERSION_CONFLICT',
      });
      await expect(
        accounts.create(book.actors.admin, { externalId: 'A-9', name: 'Duplicate' }),
      ).rejects.toMatchObject({ code: 'ACCOUNT_EXTERNAL_ID_TAKEN' });
      await expect(
        accounts.update(book.actors.csmB, created.id, { name: 'Not yours' }),
      ).rejects.toMatchObject({ code: 'FORBIDDEN' });
      await expect(
        accounts.update(book.actors.leadA, created.id, { ownerId: book.users.csmB.id, teamId: book.teams.b }),
      ).rejects.toMatchObject({ code: 'FORBIDDEN' });

      const timeline = await accounts.timeline(created.id);
      expect(timeline.map((entry) => entry.action)).toEqual(['updated', 'created']);
      expect(timeline[0]).toMatchObject({
        actor: 'lead.a@example.com',
        changes: { arr: { from: 12_500, to: 14_000 }, tier: { from: null, to: 'Growth' } },
      });

      const found = await accounts.list({ q: 'gamma' }, 'name', { limit: 10, offset: 0 });
      expect(found.items.map((account) => account.externalId)).toEqual(['A-9']);
      const teamB = await accounts.list({ teamId: book.teams.b }, 'arr', { limit: 10, offset: 0 });
      expect(teamB.total).toBe(3);

      await accounts.delete(book.actors.admin, created.id);
      await expect(accounts.get(created.id)).rejects.toMatchObject({ code: 'ACCOUNT_NOT_FOUND' });
    });

    it('keeps contacts with roles and champions, one per email per account', async () => {
      const t = current();
      const book = await buildTinyBook(t, { cases: false });
      const account = book.accounts[0];
      if (!account) throw new Error('missing account');
      const { accounts } = t.services;
      const champion = await accounts.addContact(book.actors.csmA, account.id, {
        email: 'Dana@Acme.example',
        name: 'Dana Diaz',
        role: 'VP Operations',
        isChampion: true,
      });
      expect(champion).toMatchObject({ email: 'dana@acme.example', isChampion: true });
      await expect(
        accounts.addContact(book.actors.csmA, account.id, { email: 'dana@acme.example' }),
      ).rejects.toMatchObject({ code: 'CONTACT_EMAIL_TAKEN' });
      await expect(
        accounts.addContact(book.actors.viewer, account.id, { email: 'new@acme.example' }),
      ).rejects.toMatchObject({ code: 'FORBIDDEN' });
      await accounts.updateContact(book.actors.csmA, champion.id, { isChampion: false });
      expect((await accounts.contacts(account.id))[0]).toMatchObject({ isChampion: false });
      const actions = (await accounts.timeline(account.id)).map((entry) => entry.action);
      expect(actions.slice(0, 2)).toEqual(['updated', 'created']);
    });
  });

  forEachStore('CSV import', (current) => {
    const importAccounts = (t: TestStore, file: Readable, options?: ImportOptions) =>
      t.services.imports.importAccounts(SYSTEM_ACTOR, file, options);

    it('imports Salesforce-style headers, keeps unknown columns as attributes, and upserts', async () => {
      const t = current();
      await buildTinyBook(t, { cases: false });
      const report = await importAccounts(
        t,
        csv(
          SALESFORCE_HEADER,
          'SF-1,Harbor Health,csm.a@example.com,Enterprise,"$120,000.00",2027-03-31,Healthcare',
          'SF-2,Indigo Ink,csm.b@example.com,Growth,8400,4/15/2027,Printing',
          'SF-3,Juniper Labs,,Starter,0,,',
        ),
      );
      expect(report).toMatchObject({ rows: 3, created: 3, updated: 0, rejected: 0 });
      const harbor = await t.services.accounts.getByExternalId('SF-1');
      expect(harbor).toMatchObject({
        name: 'Harbor Health',
        ownerEmail: 'csm.a@example.com',
        teamName: 'Team A', // from the owner
        tier: 'Enterprise',
        arr: 120_000,
        renewalDate: '2027-03-31',
        attributes: { Industry: 'Healthcare' },
      });
      expect(await t.services.accounts.getByExternalId('SF-2')).toMatchObject({ renewalDate: '2027-04-15' });

      t.clock.advanceDays(1);
      const again = await importAccounts(
        t,
        csv(
          SALESFORCE_HEADER,
          'SF-1,Harbor Health,csm.a@example.com,Enterprise,130000,2027-03-31,Healthcare',
          'SF-2,Indigo Ink,csm.b@example.com,Growth,8400,2027-04-15,Printing',
        ),
      );
      expect(again).toMatchObject({ rows: 2, created: 0, updated: 1, unchanged: 1 });
      const updated = await t.services.accounts.getByExternalId('SF-1');
      expect(updated.arr).toBe(130_000);
      const [latest] = await t.services.accounts.timeline(updated.id);
      expect(latest).toMatchObject({
        action: 'import_updated',
        changes: { arr: { from: 120_000, to: 130_000 } },
      });
    });

    it('follows an explicit column mapping, including ignored and renamed attribute columns', async () => {
      const t = current();
      await buildTinyBook(t, { cases: false });
      await importAccounts(t, csv('Ref,Company,Plan,Secret,Health', 'X-1,Kite Kitchens,Pro,hunter2,Green'), {
        mapping: { Ref: 'externalId', Plan: 'tier', Secret: 'ignore', Health: 'attribute:crm_health' },
      });
      expect(await t.services.accounts.getByExternalId('X-1')).toMatchObject({
        name: 'Kite Kitchens',
        tier: 'Pro',
        attributes: { crm_health: 'Green' },
      });
      const error = await refusal(
        importAccounts(t, csv('Ref,Company', 'X-2,Lark'), { mapping: { Ref: 'nonsense' } }),
      );
      expect(error.code).toBe('IMPORT_MAPPING_INVALID');
      await expect(importAccounts(t, csv('Company', 'Lark'))).rejects.toMatchObject({
        code: 'IMPORT_MAPPING_INVALID',
        details: { field: 'externalId' },
      });
    });

    it('writes nothing when one row is bad, and names the line and column', async () => {
      const t = current();
      await buildTinyBook(t, { cases: true });
      const before = await snapshotStore(t.store);
      const file = [
        SALESFORCE_HEADER,
        'A-1,Acme Analytics,csm.a@example.com,Enterprise,99000,2027-01-01,Analytics', // an update
        'N-1,New One,csm.a@example.com,Growth,1000,2027-01-01,',
        'N-2,New Two,csm.a@example.com,Growth,lots,2027-01-01,',
        'N-3,New Three,nobody@example.com,Growth,1000,2027-02-30,',
        'N-4,New Four,,Growth,1000,2027-01-01,',
      ];
      const error = await refusal(importAccounts(t, csv(...file)));
      expect(error.code).toBe('IMPORT_INVALID');
      expect(error.message).toContain('line 4, column "ARR"');
      expect(error.details).toMatchObject({
        rows: 5,
        rejected: 2,
        errors: [
          { line: 4, column: 'ARR', message: '"lots" is not a non-negative amount' },
          { line: 5, column: 'Account Owner Email', message: 'no user with email "nobody@example.com"' },
          { line: 5, column: 'Renewal Date', message: '"2027-02-30" is not a day of the calendar' },
        ],
      });
      expect(await snapshotStore(t.store)).toEqual(before);

      const partial = await importAccounts(t, csv(...file), { partial: true });
      expect(partial).toMatchObject({ rows: 5, created: 2, updated: 1, rejected: 2 });
      expect(partial.errors.map((e) => e.line)).toEqual([4, 5, 5]);
      expect((await t.services.accounts.getByExternalId('A-1')).arr).toBe(99_000);
      await expect(t.services.accounts.getByExternalId('N-2')).rejects.toMatchObject({
        code: 'ACCOUNT_NOT_FOUND',
      });
    });

    it('dry-runs an import: counts what would change and lists every bad row, writing nothing', async () => {
      const t = current();
      await buildTinyBook(t, { cases: true });
      const before = await snapshotStore(t.store);
      const file = csv(
        SALESFORCE_HEADER,
        'A-1,Acme Analytics,csm.a@example.com,Enterprise,99000,2027-01-01,Analytics',
        'N-1,New One,csm.a@example.com,Growth,1000,2027-01-01,',
        'N-2,New Two,csm.a@example.com,Growth,lots,2027-01-01,',
      );
      const report = await importAccounts(t, file, { dryRun: true });
      expect(report).toMatchObject({
        dryRun: true,
        rows: 3,
        created: 1,
        updated: 1,
        rejected: 1,
        errors: [{ line: 4, column: 'ARR', message: '"lots" is not a non-negative amount' }],
      });
      expect(report.columns).toEqual([
        { header: 'Account ID', target: 'externalId' },
        { header: 'Account Name', target: 'name' },
        { header: 'Account Owner Email', target: 'ownerEmail' },
        { header: 'Customer Tier', target: 'tier' },
        { header: 'ARR', target: 'arr' },
        { header: 'Renewal Date', target: 'renewalDate' },
        { header: 'Industry', target: 'attribute:Industry' },
      ]);
      expect(await snapshotStore(t.store)).toEqual(before);
    });

    it('rejects ragged rows, repeated ids and broken quoting with the line', async () => {
      const t = current();
      await buildTinyBook(t, { cases: false });
      const ragged = await refusal(importAccounts(t, csv('id,name', 'R-1,One', 'R-2,Two,extra')));
      expect(ragged.details).toMatchObject({
        errors: [{ line: 3, message: 'has 3 cells, the header has 2' }],
      });
      const repeated = await refusal(importAccounts(t, csv('id,name', 'R-1,One', 'R-1,Again')));
      expect(repeated.details).toMatchObject({
        errors: [{ line: 3, column: 'id', message: 'external id "R-1" repeats line 2' }],
      });
      const quoting = await refusal(importAccounts(t, csv('id,name', 'R-1,"One', 'R-2,Two')));
      expect(quoting.code).toBe('IMPORT_INVALID');
      await expect(importAccounts(t, Readable.from(['']))).rejects.toMatchObject({ code: 'IMPORT_INVALID' });
      expect((await t.services.accounts.list({}, 'name', { limit: 100, offset: 0 })).total).toBe(6);
    });

    it('imports HubSpot-style contacts against accounts and reports unknown accounts', async () => {
      const t = current();
      await buildTinyBook(t, { cases: false });
      const file = [
        'Associated Company ID,Email,First Name,Last Name,Job Title,Champion,Lifecycle Stage',
        'A-1,pat@acme.example,Pat,Lee,CFO,yes,customer',
        'A-1,sam@acme.example,Sam,Ray,Analyst,no,customer',
        'ZZ-404,lost@nowhere.example,Lo,St,CEO,no,lead',
      ];
      const error = await refusal(t.services.imports.importContacts(SYSTEM_ACTOR, csv(...file)));
      expect(error.details).toMatchObject({
        errors: [
          { line: 4, column: 'Associated Company ID', message: 'no account with external id "ZZ-404"' },
        ],
      });
      const account = await t.services.accounts.getByExternalId('A-1');
      expect(await t.services.accounts.contacts(account.id)).toEqual([]);

      const report = await t.services.imports.importContacts(SYSTEM_ACTOR, csv(...file), { partial: true });
      expect(report).toMatchObject({ created: 2, rejected: 1 });
      const contacts = await t.services.accounts.contacts(account.id);
      expect(contacts.find((c) => c.email === 'pat@acme.example')).toMatchObject({
        name: 'Pat Lee',
        role: 'CFO',
        isChampion: true,
        attributes: { 'Lifecycle Stage': 'customer' },
      });
    });

    it('exports accounts and contacts in a form the importer reads back', async () => {
      const t = current();
      await buildTinyBook(t, { cases: true });
      await importAccounts(
        t,
        csv(SALESFORCE_HEADER, 'SF-1,"Harbor, Health",csm.a@example.com,Enterprise,120000,2027-03-31,Health'),
      );
      const exported = await collect(t.services.exports.accounts('csv'));
      const lines = exported.trim().split('\n');
      expect(lines[0]).toBe(
        'external_id,name,owner_email,team,tier,arr,renewal_date,lifecycle_stage,Industry,region',
      );
      expect(lines).toContain(
        'SF-1,"Harbor, Health",csm.a@example.com,Team A,Enterprise,120000,2027-03-31,,Health,',
      );
      const before = await snapshotStore(t.store);
      const report = await importAccounts(t, Readable.from([exported]));
      expect(report).toMatchObject({ rows: 7, unchanged: 7 });
      expect(await snapshotStore(t.store)).toEqual(before);

      const json = JSON.parse(await collect(t.services.exports.accounts('json'))) as unknown[];
      expect(json).toHaveLength(7);
      const cases = await collect(t.services.exports.cases('csv'));
      expect(cases.trim().split('\n')).toHaveLength(6);
    });
  });
});

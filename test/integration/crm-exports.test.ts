// Files as Salesforce and HubSpot write them (their documented export headers, a Salesforce report's
// footer, HubSpot's date-times and multi-company contacts) import with no hand mapping. A value that
// could be read two ways is refused with its line and column, and nothing is stored wrong.
import { createReadStream } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { expect, it } from 'vitest';
import { SYSTEM_ACTOR } from '../../src/domain/policy';
import { buildTinyBook, PASSWORD } from '../helpers/book';
import { refusal } from '../helpers/errors';
import { forEachStore, type TestStore } from '../helpers/stores';

const FIXTURES = join(import.meta.dirname, '../fixtures/crm');
const file = (name: string) => createReadStream(join(FIXTURES, name));

async function withAvery(t: TestStore) {
  const book = await buildTinyBook(t, { cases: false });
  const avery = await t.services.users.create(SYSTEM_ACTOR, {
    email: 'avery@example.com',
    name: 'Avery Admin',
    role: 'csm',
    teamId: book.teams.a,
    password: PASSWORD,
  });
  return { book, avery };
}

forEachStore('CRM exports', (current) => {
  it('imports a Salesforce report: owners by name, __c custom fields, the footer set aside', async () => {
    const t = current();
    const { book, avery } = await withAvery(t);
    const report = await t.services.imports.importAccounts(
      SYSTEM_ACTOR,
      file('salesforce-accounts-report.csv'),
    );
    expect(report).toMatchObject({ rows: 3, created: 3, rejected: 0 });
    expect(report.columns).toEqual([
      { header: 'Account ID', target: 'externalId' },
      { header: 'Account Name', target: 'name' },
      { header: 'Account Owner', target: 'ownerEmail' },
      { header: 'Type', target: 'attribute:Type' },
      { header: 'Billing Country', target: 'attribute:Billing Country' },
      { header: 'ARR__c', target: 'arr' },
      { header: 'Renewal_Date__c', target: 'renewalDate' },
      { header: 'Customer_Tier__c', target: 'tier' },
    ]);
    expect(report.footer.map((row) => row.text)).toEqual([
      'Grand Totals (3 records)',
      'Confidential Information - Do Not Distribute',
      'Copyright (c) 2000-2026 salesforce.com, inc. All rights reserved.',
    ]);
    expect(await t.services.accounts.getByExternalId('001A000001AbCdE')).toMatchObject({
      name: 'Acme Analytics',
      ownerId: avery.id,
      teamId: book.teams.a,
      arr: 48_000,
      renewalDate: '2026-09-30',
      tier: 'Enterprise',
      attributes: { Type: 'Customer - Direct', 'Billing Country': 'France' },
    });
    expect(await t.services.accounts.getByExternalId('001A000002AbCdE')).toMatchObject({
      ownerId: book.users.csmA.id,
      arr: 3_000,
      renewalDate: '2026-12-15',
    });
  });

  it('imports a Salesforce Data Loader export: upper-case API names, Owner.Email, ISO values', async () => {
    const t = current();
    const { avery } = await withAvery(t);
    const report = await t.services.imports.importAccounts(
      SYSTEM_ACTOR,
      file('salesforce-dataloader-accounts.csv'),
    );
    expect(report).toMatchObject({ rows: 2, created: 2, rejected: 0, lookalikes: [] });
    expect(report.columns.map((column) => column.target)).toEqual([
      'externalId',
      'name',
      'ownerEmail',
      'attribute:TYPE',
      'arr',
      'renewalDate',
      'tier',
      'attribute:LASTMODIFIEDDATE',
    ]);
    expect(await t.services.accounts.getByExternalId('001A000003AbCdEIAX')).toMatchObject({
      name: 'Cedar Clinics',
      ownerId: avery.id,
      arr: 24_000,
      renewalDate: '2026-11-30',
      tier: 'Growth',
    });
    expect(await t.services.accounts.getByExternalId('001A000004AbCdEIAX')).toMatchObject({ arr: 1200.5 });
  });

  it('warns when a field stays unmapped while a column looks like it', async () => {
    const t = current();
    await withAvery(t);
    const report = await t.services.imports.importAccounts(
      SYSTEM_ACTOR,
      file('salesforce-dataloader-owner-ids.csv'),
      { dryRun: true },
    );
    expect(report).toMatchObject({ rows: 1, created: 1, rejected: 0 });
    expect(report.lookalikes).toEqual([
      {
        column: 'OWNERID',
        field: 'ownerEmail',
        message: expect.stringContaining('Column "OWNERID" looks like the owner') as string,
      },
      {
        column: 'RENEWAL_DT__C',
        field: 'renewalDate',
        message: expect.stringContaining('kept as attribute "RENEWAL_DT__C"') as string,
      },
    ]);
    // Mapped by hand, the warning goes and the value lands in its field.
    const mapped = await t.services.imports.importAccounts(
      SYSTEM_ACTOR,
      file('salesforce-dataloader-owner-ids.csv'),
      { mapping: { RENEWAL_DT__C: 'renewalDate', OWNERID: 'ignore' } },
    );
    expect(mapped).toMatchObject({ created: 1, lookalikes: [] });
    expect(await t.services.accounts.getByExternalId('001A000005AbCdEIAX')).toMatchObject({
      renewalDate: '2027-03-31',
      attributes: {},
    });
  });

  it('imports HubSpot companies and contacts: date-times, owners by name, a contact of two companies', async () => {
    const t = current();
    const { book, avery } = await withAvery(t);
    const companies = await t.services.imports.importAccounts(SYSTEM_ACTOR, file('hubspot-companies.csv'));
    expect(companies).toMatchObject({ rows: 2, created: 2, rejected: 0 });
    const delta = await t.services.accounts.getByExternalId('9001');
    expect(delta).toMatchObject({
      name: 'Delta Dental',
      ownerId: avery.id,
      lifecycleStage: 'customer',
      arr: 15_000,
      renewalDate: '2026-10-01',
      attributes: { 'Create Date': '2026-03-04 10:11', 'Annual Revenue': '2500000' },
    });
    const echo = await t.services.accounts.getByExternalId('9002');
    expect(echo).toMatchObject({ ownerId: book.users.csmB.id, arr: 9000.5, renewalDate: '2027-02-28' });

    const contacts = await t.services.imports.importContacts(SYSTEM_ACTOR, file('hubspot-contacts.csv'));
    expect(contacts).toMatchObject({ rows: 2, created: 3, rejected: 0 });
    expect((await t.services.accounts.contacts(delta.id)).map((c) => [c.email, c.name, c.role])).toEqual([
      ['dana@delta.example', 'Dana Diaz', 'Office manager'],
      ['eli@group.example', 'Eli Evans', 'Group CFO'],
    ]);
    expect((await t.services.accounts.contacts(echo.id)).map((c) => c.email)).toEqual(['eli@group.example']);
  });

  it('refuses every value that could be read two ways, naming line and column, and reads them with a locale', async () => {
    const t = current();
    await withAvery(t);
    const refused = await refusal(t.services.imports.importAccounts(SYSTEM_ACTOR, file('ambiguous.csv')));
    expect(refused.code).toBe('IMPORT_INVALID');
    expect(refused.details?.errors).toEqual([
      { line: 2, column: 'ARR', message: expect.stringContaining('"€ 2.000" could be 2 or 2,000') as string },
      { line: 3, column: 'Renewal Date', message: expect.stringContaining('two-digit year') as string },
      {
        line: 4,
        column: 'Renewal Date',
        message: expect.stringContaining('could be 3 April or 4 March') as string,
      },
      {
        line: 5,
        column: 'ARR',
        message: expect.stringContaining('"12,000" could be 12 or 12,000') as string,
      },
    ]);
    for (const id of ['AMB-1', 'AMB-2', 'AMB-3', 'AMB-4'])
      await expect(t.services.accounts.getByExternalId(id)).rejects.toMatchObject({
        code: 'ACCOUNT_NOT_FOUND',
      });

    // The same file, read as German: 2.000 is two thousand, 12,000 is twelve, 03/04 is 3 April.
    const german = await t.services.imports.importAccounts(SYSTEM_ACTOR, file('ambiguous.csv'), {
      locale: 'de-DE',
      partial: true,
    });
    expect(german.errors).toMatchObject([{ line: 3, column: 'Renewal Date' }]);
    expect(await t.services.accounts.getByExternalId('AMB-1')).toMatchObject({ arr: 2000 });
    expect(await t.services.accounts.getByExternalId('AMB-3')).toMatchObject({ renewalDate: '2027-04-03' });
    expect(await t.services.accounts.getByExternalId('AMB-4')).toMatchObject({ arr: 12 });
    const unknown = await refusal(
      t.services.imports.importAccounts(SYSTEM_ACTOR, file('ambiguous.csv'), { locale: 'xx-YY' }),
    );
    expect(unknown).toMatchObject({ code: 'VALIDATION_FAILED', details: { field: 'locale' } });
  });

  it("reads files in the team's import locale from Settings unless an import names its own", async () => {
    const t = current();
    await withAvery(t);
    await t.services.config.updateSettings(SYSTEM_ACTOR, { importLocale: 'de-DE' });
    const german = await t.services.imports.importAccounts(SYSTEM_ACTOR, file('ambiguous.csv'), {
      partial: true,
    });
    expect(german.errors).toMatchObject([{ line: 3, column: 'Renewal Date' }]);
    expect(await t.services.accounts.getByExternalId('AMB-1')).toMatchObject({ arr: 2000 });
    expect(await t.services.accounts.getByExternalId('AMB-3')).toMatchObject({ renewalDate: '2027-04-03' });

    await t.services.imports.importAccounts(SYSTEM_ACTOR, file('ambiguous.csv'), {
      locale: 'en-US',
      partial: true,
    });
    expect(await t.services.accounts.getByExternalId('AMB-3')).toMatchObject({ renewalDate: '2027-03-04' });
    expect(await t.services.accounts.getByExternalId('AMB-1')).toMatchObject({ arr: 2 });

    await expect(t.services.config.updateSettings(SYSTEM_ACTOR, { importLocale: 'xx-YY' })).rejects.toThrow();
    await t.services.config.updateSettings(SYSTEM_ACTOR, { importLocale: null });
    await expect(
      t.services.imports.importAccounts(SYSTEM_ACTOR, file('ambiguous.csv')),
    ).rejects.toMatchObject({
      code: 'IMPORT_INVALID',
    });
  });

  it('reads a row that only looks like a footer as data when data follows it', async () => {
    const t = current();
    await withAvery(t);
    const rows = 'Account ID,Account Name,ARR\nTW-1,Acme,100\nTotal Wine,,\nZ-1,Zeta,200\n';
    const report = await t.services.imports.importAccounts(SYSTEM_ACTOR, Readable.from([rows]), {
      partial: true,
    });
    expect(report).toMatchObject({ rows: 3, created: 2, rejected: 1, footer: [] });
    expect(report.errors).toMatchObject([{ line: 3, column: 'Account Name', message: 'name is empty' }]);
  });
});

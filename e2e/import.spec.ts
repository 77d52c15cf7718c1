// The CSV import wizard: a file whose id column is not recognised, mapped by hand, checked row by
// row without writing, then imported in partial mode.
import type { Page } from '@playwright/test';
import { expect, logIn, openFromNav, test } from './fixtures';

async function openImportWizard(page: Page): Promise<void> {
  await logIn(page, 'admin@retain.demo');
  await openFromNav(page, 'Settings');
  await page.getByRole('tab', { name: 'Import CSV' }).click();
  await page.getByLabel('What the file holds').selectOption('accounts');
}

const FILE = [
  'Company Ref,Account Name,ARR,Renewal Date,Industry',
  'E2E-1,Wizard Works,12000,2027-05-01,Retail',
  'E2E-2,Wizard Waste,lots,2027-05-01,Retail',
  'E2E-3,Wizard Wonders,5000,2027-02-30,Media',
].join('\n');

test('maps columns, shows the bad rows, writes nothing until asked, then imports the good rows', async ({
  page,
}) => {
  await openImportWizard(page);
  await page
    .getByLabel('CSV file', { exact: true })
    .setInputFiles({ name: 'crm-export.csv', mimeType: 'text/csv', buffer: Buffer.from(FILE) });
  await page.getByRole('button', { name: 'Check the file' }).click();

  // No column is recognised as the account id: the wizard says so and shows the columns.
  await expect(page.getByRole('alert')).toContainText('IMPORT_MAPPING_INVALID');
  await page.getByLabel('Column Company Ref becomes').selectOption('externalId');
  await page.getByRole('button', { name: 'Check again with these columns' }).click();
  await expect(page.getByText('3 rows checked: 1 would be created')).toBeVisible();
  const errors = page.locator('.errors-table');
  await expect(errors).toContainText('"lots" is not a non-negative amount');
  await expect(errors).toContainText('Renewal Date');
  const notYet = await page.request.get('/api/v1/accounts/by-external-id/E2E-1');
  expect(notYet.status()).toBe(404);

  await expect(page.getByRole('button', { name: /^Import \d+ rows$/ })).toBeDisabled();
  await page.getByLabel(/Import the good rows and skip the bad ones/).check();
  await page.getByRole('button', { name: 'Import 1 rows' }).click();
  await expect(page.getByText('Imported: 1 created, 0 updated, 0 unchanged, 2 skipped.')).toBeVisible();
  const imported = await page.request.get('/api/v1/accounts/by-external-id/E2E-1');
  expect(((await imported.json()) as { name: string; attributes: Record<string, unknown> }).name).toBe(
    'Wizard Works',
  );
  expect((await page.request.get('/api/v1/accounts/by-external-id/E2E-2')).status()).toBe(404);
});

const LEGACY = ['Acct,Company,Money,Renewal_Dt__c', 'E2E-L1,Ledger Lane,"2.000",2027-01-31'].join('\n');

test('warns of a column that looks like an unmapped field, saves the mapping and reuses it with its locale', async ({
  page,
}) => {
  await openImportWizard(page);
  await page.getByLabel('Numbers and dates').selectOption('de-DE');
  await page
    .getByLabel('CSV file', { exact: true })
    .setInputFiles({ name: 'legacy.csv', mimeType: 'text/csv', buffer: Buffer.from(LEGACY) });
  await page.getByRole('button', { name: 'Check the file' }).click();
  await expect(page.getByRole('alert')).toContainText('IMPORT_MAPPING_INVALID');
  await page.getByLabel('Column Acct becomes').selectOption('externalId');
  await page.getByLabel('Column Company becomes').selectOption('name');
  await page.getByLabel('Column Money becomes').selectOption('arr');
  await page.getByRole('button', { name: 'Check again with these columns' }).click();
  await expect(page.getByText('1 rows checked: 1 would be created')).toBeVisible();

  const check = page.getByRole('status', { name: 'Columns to check' });
  await expect(check).toContainText('Column "Renewal_Dt__c" looks like the renewal date');
  await check.getByRole('button', { name: 'Map Renewal_Dt__c to renewalDate' }).click();
  await expect(check).toBeHidden();
  await expect(page.getByLabel('Column Renewal_Dt__c becomes')).toHaveValue('renewalDate');

  const save = page.getByRole('form', { name: 'Save the mapping' });
  await save.getByLabel('Save these columns as').fill('Legacy CRM');
  await save.getByRole('button', { name: 'Save mapping' }).click();
  await expect(save.getByRole('status')).toContainText('Saved "Legacy CRM"');
  // Saving the same name again asks before it replaces.
  await save.getByRole('button', { name: 'Save mapping' }).click();
  await expect(save.getByRole('alert')).toContainText('exists already (version 1)');

  // A fresh start: the saved mapping reads the file with no hand mapping, "2.000" as two thousand.
  await page.getByRole('button', { name: 'Start over' }).click();
  await page.getByLabel('Saved mapping').selectOption('Legacy CRM');
  await page
    .getByLabel('CSV file', { exact: true })
    .setInputFiles({ name: 'legacy.csv', mimeType: 'text/csv', buffer: Buffer.from(LEGACY) });
  await page.getByRole('button', { name: 'Check the file' }).click();
  await expect(page.getByText('1 rows checked: 1 would be created')).toBeVisible();
  await page.getByRole('button', { name: 'Import 1 rows' }).click();
  await expect(page.getByText('Imported: 1 created')).toBeVisible();
  const imported = await page.request.get('/api/v1/accounts/by-external-id/E2E-L1');
  expect(await imported.json()).toMatchObject({ arr: 2000, renewalDate: '2027-01-31' });
});

test('imports signals and names the risk cases detection opened, each a link to its account', async ({
  page,
}) => {
  await openImportWizard(page);
  const choose = async (name: string, text: string) => {
    await page
      .getByLabel('CSV file', { exact: true })
      .setInputFiles({ name, mimeType: 'text/csv', buffer: Buffer.from(text) });
    await page.getByRole('button', { name: 'Check the file' }).click();
    await expect(page.getByText('1 rows checked: 1 would be created')).toBeVisible();
    await page.getByRole('button', { name: 'Import 1 rows' }).click();
    await expect(page.getByText('Imported: 1 created')).toBeVisible();
  };
  await choose('accounts.csv', 'Account ID,Account Name\nE2E-SIG-1,Signal Sprockets\n');
  await page.getByRole('button', { name: 'Import another file' }).click();

  // A detractor's answer from yesterday: a very low NPS opens a case at once.
  await page.getByLabel('What the file holds').selectOption('signals');
  const yesterday = new Date(Date.now() - 86_400_000).toISOString();
  await choose('nps.csv', `account,kind,occurred_at,score\nE2E-SIG-1,nps,${yesterday},1\n`);
  const detection = page.getByRole('region', { name: 'What detection did' });
  await expect(detection).toContainText('1 risk case opened');
  await expect(detection).toContainText('Poor NPS or CSAT');
  await detection.getByRole('link', { name: 'Signal Sprockets' }).click();
  await expect(page.getByRole('heading', { name: 'Signal Sprockets' })).toBeVisible();
});

// The CSV import wizard: a file whose id column is not recognised, mapped by hand, checked row by
// row without writing, then imported in partial mode.
import { expect, logIn, openFromNav, test } from './fixtures';

const FILE = [
  'Company Ref,Account Name,ARR,Renewal Date,Industry',
  'E2E-1,Wizard Works,12000,2027-05-01,Retail',
  'E2E-2,Wizard Waste,lots,2027-05-01,Retail',
  'E2E-3,Wizard Wonders,5000,2027-02-30,Media',
].join('\n');

test('maps columns, shows the bad rows, writes nothing until asked, then imports the good rows', async ({
  page,
}) => {
  await logIn(page, 'admin@retain.demo');
  await openFromNav(page, 'Settings');
  await page.getByRole('tab', { name: 'Import CSV' }).click();
  await page.getByLabel('What the file holds').selectOption('accounts');
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

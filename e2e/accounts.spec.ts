// The whole book as a CSM sees it: the Accounts screen searched, filtered in the segment language,
// sorted, trimmed to the columns wanted and downloaded; `/` finds any account from anywhere; and on
// an account that is not at risk the CSM opens a case, logs a touchpoint and sets their sentiment.
import { readFile } from 'node:fs/promises';
import AxeBuilder from '@axe-core/playwright';
import { parse } from 'csv-parse/sync';
import type { Page } from '@playwright/test';
import { expect, logIn, openFromNav, test } from './fixtures';

interface AccountRow {
  id: number;
  externalId: string;
  name: string;
}

/** Accounts the segment filter selects, through the API as the logged-in user. */
async function accountsWhere(page: Page, filter: string): Promise<{ total: number; items: AccountRow[] }> {
  const search = new URLSearchParams({ filter, limit: '5' });
  const response = await page.request.get(`/api/v1/accounts?${search.toString()}`);
  if (!response.ok()) throw new Error(`account query failed: ${response.status()} ${await response.text()}`);
  return (await response.json()) as { total: number; items: AccountRow[] };
}

const countOf = async (page: Page) =>
  Number((await page.getByText(/^[\d,]+ accounts?$/).innerText()).replace(/[^0-9]/g, ''));

test('Accounts: search, filter in the segment language, sort, choose columns and download the selection', async ({
  page,
}) => {
  await logIn(page, 'csm1@retain.demo');
  await openFromNav(page, 'Accounts');
  await expect(page.getByText(/^[\d,]+ accounts$/)).toBeVisible();
  const everyone = await countOf(page);
  expect(everyone).toBeGreaterThan(100);

  // Search by external id: one account, linked to its page.
  const [sample] = (await accountsWhere(page, 'arr > 0')).items;
  if (!sample) throw new Error('the demo book has no accounts');
  await page.getByLabel('Search').fill(sample.externalId);
  await expect(page.getByText('1 account', { exact: true })).toBeVisible();
  await expect(page.getByRole('link', { name: sample.name, exact: true })).toHaveAttribute(
    'href',
    `/accounts/${sample.id}`,
  );
  await page.getByLabel('Search').fill('');
  await expect(page.getByText(`${everyone.toLocaleString('en-US')} accounts`, { exact: true })).toBeVisible();

  // A typo in the filter says where it stops reading; the corrected filter narrows the count.
  const filterBox = page.getByRole('textbox', { name: 'Filter', exact: true });
  await filterBox.fill('tier = "Enterprise" and helth.score < 50');
  await page.getByRole('button', { name: 'Apply filter' }).click();
  await expect(page.getByRole('alert')).toContainText('position 25');
  await expect(filterBox).toHaveAttribute('aria-invalid', 'true');
  const enterprise = (await accountsWhere(page, 'tier = "Enterprise"')).total;
  expect(enterprise).toBeLessThan(everyone);
  await filterBox.fill('tier = "Enterprise"');
  await filterBox.press('Enter');
  await expect(
    page.getByText(`${enterprise.toLocaleString('en-US')} accounts`, { exact: true }),
  ).toBeVisible();
  await expect(page.getByRole('alert')).toHaveCount(0);

  // Sorted by ARR, largest first.
  await page.getByRole('button', { name: 'ARR', exact: true }).click();
  await expect(page.getByRole('columnheader', { name: 'ARR' })).toHaveAttribute('aria-sort', 'descending');
  const arrColumn = page.locator('table.accounts thead th').filter({ hasText: /^ARR/ });
  await expect(arrColumn).toHaveCount(1);
  await expect(async () => {
    const headers = await page.locator('table.accounts thead th').allInnerTexts();
    const index = headers.findIndex((text) => text.startsWith('ARR')) + 1;
    const amounts = await page.locator(`table.accounts tbody tr td:nth-child(${index})`).allInnerTexts();
    const values = amounts.map((text) => Number(text.replace(/[^0-9]/g, '')));
    expect(values.length).toBeGreaterThan(1);
    expect(values).toEqual([...values].sort((a, b) => b - a));
  }).toPass();

  // Hide a column; the choice outlives a reload.
  await expect(page.getByRole('columnheader', { name: 'Tier' })).toBeVisible();
  await page.getByText('Columns', { exact: true }).click();
  await page.getByRole('checkbox', { name: 'Tier' }).uncheck();
  await expect(page.getByRole('columnheader', { name: 'Tier' })).toHaveCount(0);
  await page.reload();
  await expect(
    page.getByText(`${enterprise.toLocaleString('en-US')} accounts`, { exact: true }),
  ).toBeVisible();
  await expect(page.getByRole('columnheader', { name: 'Account' })).toBeVisible();
  await expect(page.getByRole('columnheader', { name: 'Tier' })).toHaveCount(0);

  // The CSV holds every account the filter selects, not only this page, in the list's order.
  const downloading = page.waitForEvent('download');
  await page.getByRole('link', { name: 'Download CSV' }).click();
  const download = await downloading;
  const file = await download.path();
  const rows = parse<Record<string, string>>(await readFile(file, 'utf8'), { columns: true });
  expect(rows.length).toBe(enterprise);
  expect(new Set(rows.map((row) => row.tier))).toEqual(new Set(['Enterprise']));
  const arrs = rows.map((row) => Number(row.arr));
  expect(arrs).toEqual([...arrs].sort((a, b) => b - a));
});

test('an account without a case: found with /, a case opened by hand, a touchpoint logged, sentiment set', async ({
  page,
}) => {
  await logIn(page, 'csm1@retain.demo');
  // One of csm1's own accounts with no open case (the segment language again).
  const [account] = (await accountsWhere(page, 'owner = "csm1@retain.demo" and risk.stage is empty')).items;
  if (!account) throw new Error('csm1 has no account without an open case');

  // `/` from another screen focuses the search in the top bar.
  await openFromNav(page, 'Risk matrix', 'At-Risk Matrix');
  await page.keyboard.press('/');
  const search = page.getByRole('combobox', { name: 'Find an account' });
  await expect(search).toBeFocused();
  await search.pressSequentially(account.name);
  const options = page.getByRole('listbox', { name: 'Matching accounts' }).getByRole('option');
  await expect(options.filter({ hasText: account.externalId })).toBeVisible();
  await expect(search).toHaveAttribute('aria-expanded', 'true');
  const texts = await options.allInnerTexts();
  const index = texts.findIndex((text) => text.includes(account.externalId));
  for (let i = 0; i < index; i += 1) await search.press('ArrowDown');
  await expect(options.nth(index)).toHaveAttribute('aria-selected', 'true');
  await search.press('Enter');
  await expect(page.getByRole('heading', { level: 1, name: account.name })).toBeVisible();
  await expect(page).toHaveURL(new RegExp(`/accounts/${account.id}$`));

  // No case yet: open one by hand. The page with its forms open passes axe too.
  await expect(page.getByText(/has no risk case|last risk case is closed/)).toBeVisible();
  await page.getByRole('button', { name: 'Open a risk case' }).click();
  const caseForm = page.getByRole('form', { name: 'Open a risk case' });
  await page.getByRole('button', { name: 'Log a touchpoint' }).click();
  const touchpoint = page.getByRole('form', { name: 'Log a touchpoint' });
  await expect(caseForm.getByRole('checkbox').first()).toBeVisible();
  await expect(touchpoint).toBeVisible();
  const axe = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa']).analyze();
  expect(
    axe.violations.map((violation) => `${violation.id}: ${violation.nodes[0]?.target.join(' ')}`),
  ).toEqual([]);
  await caseForm.getByRole('checkbox').first().check();
  await caseForm.getByLabel('Note (optional)').fill('Sponsor went quiet after the reorganisation');
  await caseForm.getByRole('button', { name: 'Open the case' }).click();
  await expect(page.getByRole('heading', { level: 2, name: /^Risk case/ })).toContainText('open');
  await expect(page.getByRole('button', { name: 'Open a risk case' })).toHaveCount(0);

  // A touchpoint with reason Risk shows on the timeline at once.
  await touchpoint.getByLabel('Type').selectOption('call');
  await touchpoint.getByLabel('Reason').selectOption('Risk');
  await touchpoint.getByLabel('Outcome').selectOption('negative');
  await touchpoint.getByLabel('Note').fill('Budget frozen until Q3');
  await touchpoint.getByRole('button', { name: 'Save touchpoint' }).click();
  const signals = page.getByRole('region', { name: 'Signals' });
  await expect(signals.locator('ol.timeline li').first()).toContainText(
    'touchpoint Call · Risk · Negative: Budget frozen until Q3',
  );

  // Sentiment: what it is now and who set it.
  const sentiment = page.getByRole('region', { name: 'CSM sentiment' });
  await sentiment.getByRole('radio', { name: 'Red: at risk' }).check();
  await sentiment.getByLabel('Why (optional)').fill('Champion left last month');
  await sentiment.getByRole('button', { name: 'Save sentiment' }).click();
  await expect(sentiment.locator('.sentiment-line')).toContainText('Red');
  await expect(sentiment.locator('.sentiment-line')).toContainText('set by csm1@retain.demo');
  await expect(sentiment.locator('.sentiment-line')).toContainText('Champion left last month');
});

test('a viewer sees an account but changes nothing on it', async ({ page }) => {
  await logIn(page, 'viewer@retain.demo');
  const [account] = (await accountsWhere(page, 'risk.stage is empty')).items;
  if (!account) throw new Error('every demo account has an open case');
  await page.goto(`/accounts/${account.id}`);
  await expect(page.getByRole('heading', { level: 1, name: account.name })).toBeVisible();
  await expect(page.getByRole('region', { name: 'CSM sentiment' })).toContainText(
    "Only the account's CSM, their team lead or an admin can change it.",
  );
  await expect(page.getByRole('button', { name: 'Open a risk case' })).toHaveCount(0);
  await expect(page.getByRole('button', { name: 'Log a touchpoint' })).toHaveCount(0);
  await expect(page.getByRole('button', { name: 'Save sentiment' })).toHaveCount(0);
});

// Every screen loads with real data and does what it is for: the matrix links to its cases, trends
// drill down to accounts, the huddle steps through CSMs, plays preview who would enter.
import { openCases } from './api';
import { docsScreenshot, expect, logIn, test } from './fixtures';

test.beforeEach(async ({ page }) => {
  await logIn(page, 'admin@retain.demo');
});

test('worklist: sorts, filters and pages on the server', async ({ page }) => {
  await expect(page.getByText(/open cases$/)).toBeVisible();
  await expect(page.getByRole('navigation', { name: 'Pages' })).toContainText('1–50 of');
  await docsScreenshot(page, 'worklist');
  await page.getByRole('button', { name: 'ARR at risk' }).click();
  await expect(page.getByRole('columnheader', { name: 'ARR at risk' })).toHaveAttribute(
    'aria-sort',
    'descending',
  );
  const amounts = await page.locator('tbody tr td:nth-child(6)').allInnerTexts();
  const values = amounts.map((text) => Number(text.replace(/[^0-9]/g, '')));
  expect(values).toEqual([...values].sort((a, b) => b - a));
  await page.getByRole('button', { name: 'Next' }).click();
  await expect(page.getByRole('navigation', { name: 'Pages' })).toContainText('51–100 of');
  await page.getByLabel('Stage', { exact: true }).selectOption('saving');
  for (const select of await page.getByRole('combobox', { name: /^Stage of / }).all())
    await expect(select).toHaveValue('saving');
});

test('account page: case, health, contacts, updates, audit', async ({ page }) => {
  const [riskCase] = await openCases(page, { stage: 'plan_in_place', limit: 1 });
  await page.goto(`/accounts/${riskCase!.accountId}`);
  await expect(page.getByRole('heading', { level: 1, name: riskCase!.account.name })).toBeVisible();
  for (const title of [
    'Risk case',
    'Health',
    'Contacts',
    'Signals',
    'Weekly updates',
    'Tasks',
    'Audit trail',
  ])
    await expect(page.getByRole('heading', { level: 2, name: new RegExp(`^${title}`) })).toBeVisible();
  await expect(page.locator('.stage-times')).toContainText('Plan in Place');
  // The demo book's twelve weeks of signals: a score, its history chart, why, and the timeline.
  await expect(page.getByRole('img', { name: 'Health score history' })).toBeVisible();
  await expect(page.getByRole('heading', { name: 'Why' })).toBeVisible();
  await expect(page.getByRole('region', { name: 'Health' }).locator('.explanation').first()).toContainText(
    'points',
  );
  await expect(page.getByRole('region', { name: 'Signals' })).toContainText('usage');
  await docsScreenshot(page, 'account-page', true);
});

test('matrix: quadrants with counts link to their cases', async ({ page }) => {
  await page.getByRole('link', { name: 'Risk matrix' }).click();
  const quadrant = page.getByRole('link', { name: /^Unexpected, avoidable/ });
  await expect(quadrant).toBeVisible();
  await docsScreenshot(page, 'matrix');
  const count = Number((await quadrant.locator('.q-count').innerText()).replace(/[^0-9]/g, ''));
  await quadrant.click();
  await expect(page.getByLabel('Matrix', { exact: true })).toHaveValue('unexpected_avoidable');
  await expect(page.getByText(`${count} open cases`)).toBeVisible();
});

test('scorecard: KPI cards with targets', async ({ page }) => {
  await page.getByRole('link', { name: 'Scorecard' }).click();
  await expect(page.getByRole('heading', { name: 'Save rate' })).toBeVisible();
  await expect(page.locator('.kpi').first()).toContainText(/target/i);
  await docsScreenshot(page, 'scorecard');
});

test('risk trends: reasons over time, drill down to the accounts', async ({ page }) => {
  await page.getByRole('link', { name: 'Risk trends' }).click();
  await expect(page.getByRole('img', { name: 'Risk cases by reason over time' })).toBeVisible();
  await docsScreenshot(page, 'risk-trends');
  const cell = page.getByRole('button', { name: /cases for / }).first();
  const cases = Number((await cell.innerText()).trim());
  await cell.click();
  const drill = page.locator('.drill');
  await expect(drill.locator('tbody tr')).toHaveCount(cases);
  await page.getByLabel('Breakdown').selectOption('tier');
  await expect(page.getByRole('columnheader', { name: 'Group' })).toBeVisible();
});

test('huddle: one CSM at a time, top five, next and previous', async ({ page }) => {
  await page.getByRole('link', { name: 'Huddle' }).click();
  await page.getByLabel('Team', { exact: true }).selectOption({ label: 'SMB East' });
  const heading = page.locator('.huddle-nav h2');
  await expect(heading).toContainText('(1 of');
  const first = await heading.innerText();
  await expect(page.locator('.huddle-cases > li').first()).toBeVisible();
  expect(await page.locator('.huddle-cases > li').count()).toBeLessThanOrEqual(5);
  await page.getByRole('button', { name: 'Next →' }).click();
  await expect(heading).toContainText('(2 of');
  await page.getByRole('button', { name: '← Previous' }).click();
  await expect(heading).toHaveText(first);
  await docsScreenshot(page, 'huddle');
});

test('playbooks: preview who would enter, turn a play on, see its tasks', async ({ page }) => {
  await page.getByRole('link', { name: 'Playbooks' }).click();
  const play = page.locator('.play', { hasText: 'Update risk status reminder' });
  await play.getByRole('button', { name: 'Who would enter now?' }).click();
  await expect(play.locator('.panel')).toContainText(/accounts would enter now/);
  await play.getByRole('button', { name: 'Does it work?' }).click();
  await expect(play.locator('.panel')).toContainText(/Too small to tell|No measurable|Helps|Hurts/i);
  await play.getByRole('button', { name: 'Turn on' }).click();
  await expect(play.locator('.status')).toHaveText('active');
  await page.mouse.wheel(0, -100_000);
  await docsScreenshot(page, 'playbooks');
  await page.getByRole('link', { name: 'Tasks' }).click();
  await page.getByLabel('Show').selectOption('all');
  await expect(page.getByRole('heading', { name: 'Tasks' })).toBeVisible();
});

// Every screen loads with real data and does what it is for: the matrix links to its cases, trends
// drill down to accounts, the huddle steps through CSMs, plays preview who would enter.
import { huddle, openCases } from './api';
import { docsScreenshot, expect, logIn, openFromNav, test } from './fixtures';

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
  // The header shows the new order at once; the rows follow when the server answers.
  await expect(async () => {
    // The first column selects rows for a bulk change; ARR at risk is the seventh.
    const amounts = await page.locator('tbody tr td:nth-child(7)').allInnerTexts();
    const values = amounts.map((text) => Number(text.replace(/[^0-9]/g, '')));
    expect(values.length).toBeGreaterThan(0);
    expect(values).toEqual([...values].sort((a, b) => b - a));
  }).toPass();
  await page.getByRole('button', { name: 'Next' }).click();
  await expect(page.getByRole('navigation', { name: 'Pages' })).toContainText('51–100 of');
  await page.getByLabel('Stage', { exact: true }).selectOption('saving');
  await expect(async () => {
    const selects = await page.getByRole('combobox', { name: /^Stage of / }).all();
    const stages = await Promise.all(selects.map((select) => select.inputValue({ timeout: 1000 })));
    expect(stages.length).toBeGreaterThan(0);
    expect(new Set(stages)).toEqual(new Set(['saving']));
  }).toPass();
  // The count says which cases it counts.
  await page.getByLabel('Stage', { exact: true }).selectOption('');
  await page.getByLabel('Status', { exact: true }).selectOption('closed');
  await expect(page.getByText(/^[\d,]+ closed cases?$/)).toBeVisible();
  await page.getByLabel('Status', { exact: true }).selectOption('all');
  await expect(page.getByText(/^[\d,]+ cases?, open and closed$/)).toBeVisible();
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
  await openFromNav(page, 'Risk matrix', 'At-Risk Matrix');
  const quadrant = page.getByRole('link', { name: /^Unexpected, avoidable/ });
  await expect(quadrant).toBeVisible();
  await docsScreenshot(page, 'matrix');
  const count = Number((await quadrant.locator('.q-count').innerText()).replace(/[^0-9]/g, ''));
  await quadrant.click();
  await expect(page.getByLabel('Matrix', { exact: true })).toHaveValue('unexpected_avoidable');
  await expect(page.getByText(`${count} open cases`, { exact: true })).toBeVisible();
});

test('scorecard: KPI cards with targets', async ({ page }) => {
  await openFromNav(page, 'Scorecard');
  await expect(page.getByRole('heading', { name: 'Save rate' })).toBeVisible();
  await expect(page.locator('.kpi').first()).toContainText(/target/i);
  await docsScreenshot(page, 'scorecard');
});

test('risk trends: reasons over time, drill down to the accounts', async ({ page }) => {
  await openFromNav(page, 'Risk trends');
  await expect(page.getByRole('img', { name: 'Risk cases opened by reason' })).toBeVisible();
  // The month that is not over is left out of the chart, and said so; at most six lines are drawn.
  await expect(page.locator('.trend-chart')).toContainText('is not over yet');
  expect(await page.locator('.trend-chart .u-legend .u-series').count()).toBeLessThanOrEqual(7);
  await docsScreenshot(page, 'risk-trends');
  const cell = page.getByRole('button', { name: /cases for / }).first();
  const cases = Number((await cell.innerText()).trim());
  await cell.click();
  const drill = page.locator('.drill');
  await expect(drill.locator('tbody tr')).toHaveCount(cases);
  // The chart follows the breakdown, for all reasons or the one chosen.
  await page.getByLabel('Breakdown').selectOption('tier');
  await expect(page.getByRole('columnheader', { name: 'Group' })).toBeVisible();
  await expect(page.getByRole('img', { name: 'Risk cases opened by tier, all reasons' })).toBeVisible();
  await page.getByLabel('Reason in the chart').selectOption({ label: 'Support issues' });
  await expect(page.getByRole('img', { name: 'Risk cases opened by tier, Support issues' })).toBeVisible();
  // Per week, the table opens on the newest weeks.
  await page.getByLabel('Per', { exact: true }).selectOption('week');
  const newest = page.getByRole('columnheader', { name: /\(so far\)$/ });
  await expect(newest).toBeInViewport();
});

test('huddle: one CSM at a time, top five, next and previous', async ({ page }) => {
  await openFromNav(page, 'Huddle');
  const team = page.getByLabel('Team', { exact: true });
  await team.selectOption({ label: 'SMB East' });
  // What the screen should show for that team, from the API.
  const { csms } = await huddle(page, await team.inputValue());
  const [first, second] = csms;
  if (!first || !second) throw new Error('the demo book gives SMB East at least two CSMs with open cases');
  const heading = page.getByRole('navigation', { name: 'CSMs' }).getByRole('heading', { level: 2 });
  await expect(heading).toContainText(`${first.name} (1 of ${csms.length},`);
  const cases = page.locator('.huddle-cases > li');
  expect(first.cases.length).toBeLessThanOrEqual(5);
  await expect(cases).toHaveCount(first.cases.length);
  await page.getByRole('button', { name: 'Next →' }).click();
  await expect(heading).toContainText(`${second.name} (2 of ${csms.length},`);
  await page.getByRole('button', { name: '← Previous' }).click();
  await expect(heading).toContainText(`${first.name} (1 of ${csms.length},`);
  await docsScreenshot(page, 'huddle');
});

test('playbooks: preview who would enter, turn a play on, see its tasks', async ({ page }) => {
  await openFromNav(page, 'Playbooks');
  const play = page.locator('.play', { hasText: 'Update risk status reminder' });
  await play.getByRole('button', { name: 'Who would enter now?' }).click();
  await expect(play.locator('.panel')).toContainText(/accounts would enter now/);
  await play.getByRole('button', { name: 'Does it work?' }).click();
  await expect(play.locator('.panel')).toContainText(/Too small to tell|No measurable|Helps|Hurts/i);
  await play.getByRole('button', { name: 'Turn on' }).click();
  await expect(play.locator('.status')).toHaveText('active');
  await page.mouse.wheel(0, -100_000);
  await docsScreenshot(page, 'playbooks');
  await openFromNav(page, 'Tasks');
  await page.getByLabel('Show', { exact: true }).selectOption('all');
  await expect(page.getByLabel('Show', { exact: true })).toHaveValue('all');
});

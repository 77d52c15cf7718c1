// The worklist shaped for the day: each role lands on its own scope, a lead saves a view and picks
// it again, changes several cases at once (a case someone else changed meanwhile is refused on its
// row, the others move), and downloads what the list shows as CSV.
import { readFileSync } from 'node:fs';
import type { Page } from '@playwright/test';
import { me, openCases } from './api';
import { expect, logIn, test } from './fixtures';

/** How many open cases a worklist query selects, over all pages, as the API counts them. */
async function total(page: Page, query: Record<string, string | number>): Promise<number> {
  const search = new URLSearchParams(
    Object.fromEntries(Object.entries(query).map(([key, value]) => [key, String(value)])),
  );
  const response = await page.request.get(`/api/v1/risk-cases?limit=1&${search.toString()}`);
  return ((await response.json()) as { total: number }).total;
}

/** The number in "1,234 open cases". */
async function shownCount(page: Page): Promise<number> {
  const label = page.getByText(/^[\d,]+ open cases?$/);
  await expect(label).toBeVisible();
  return Number((await label.innerText()).replace(/[^0-9]/g, ''));
}

test('a CSM lands on their own cases, a lead on their team', async ({ page }) => {
  await logIn(page, 'csm1@retain.demo');
  await expect(page.getByRole('radio', { name: 'My cases' })).toBeChecked();
  const csm = await me(page);
  const mine = await total(page, { ownerId: csm.id });
  expect(mine).toBeLessThan(await total(page, {}));
  await expect.poll(() => shownCount(page)).toBe(mine);
  await page.getByRole('radio', { name: 'All' }).check();
  await expect(page).toHaveURL(/scope=all/);
  await page.reload();
  await expect(page.getByRole('radio', { name: 'All' })).toBeChecked();

  await page.context().clearCookies();
  await logIn(page, 'lead1@retain.demo');
  await expect(page.getByRole('radio', { name: 'My team' })).toBeChecked();
  const lead = await me(page);
  const team = await total(page, { teamId: lead.teamId ?? 0 });
  expect(team).toBeLessThan(await total(page, {}));
  await expect.poll(() => shownCount(page)).toBe(team);
});

test('a lead saves a view, picks it again after a reload, and it keeps filters, sort and scope', async ({
  page,
}) => {
  await logIn(page, 'lead1@retain.demo');
  await page.getByLabel('Stage', { exact: true }).selectOption('saving');
  await page.getByRole('button', { name: 'ARR at risk' }).click();
  await expect(page.getByRole('columnheader', { name: 'ARR at risk' })).toHaveAttribute(
    'aria-sort',
    'descending',
  );
  const name = `Saving, biggest first ${test.info().workerIndex}-${Date.now()}`;
  await page.getByRole('button', { name: 'Save view' }).click();
  const form = page.getByRole('form', { name: 'Save this view' });
  await form.getByLabel('View name').fill(name);
  await form.getByLabel('Share with my team').check();
  await form.getByRole('button', { name: 'Save', exact: true }).click();
  await expect(form).toBeHidden();
  await expect(page.getByLabel('Saved view')).toHaveValue(/^\d+$/);

  await page.goto('/');
  await expect(page.getByLabel('Stage', { exact: true })).toHaveValue('');
  await page.getByLabel('Saved view').selectOption({ label: name });
  await expect(page.getByLabel('Stage', { exact: true })).toHaveValue('saving');
  await expect(page.getByRole('columnheader', { name: 'ARR at risk' })).toHaveAttribute(
    'aria-sort',
    'descending',
  );
  await expect(page.getByRole('radio', { name: 'My team' })).toBeChecked();
  await expect(page).toHaveURL(/scope=team/);

  // Its owner renames and deletes it.
  await page.getByRole('button', { name: 'Rename' }).click();
  const rename = page.getByRole('form', { name: 'Rename the view' });
  await rename.getByLabel('View name').fill(`${name} (renamed)`);
  await rename.getByRole('button', { name: 'Save name' }).click();
  await expect(page.getByLabel('Saved view').locator('option', { hasText: `${name} (renamed)` })).toHaveCount(
    1,
  );
  page.once('dialog', (dialog) => void dialog.accept());
  await page.getByRole('button', { name: 'Delete view' }).click();
  await expect(page.getByLabel('Saved view').locator('option', { hasText: name })).toHaveCount(0);
});

test('a lead moves three cases at once; one changed meanwhile is refused on its row', async ({
  page,
  browser,
}) => {
  await logIn(page, 'lead1@retain.demo');
  const count = page.getByText(/^[\d,]+ open cases?$/);
  const unfiltered = await count.innerText();
  await page.getByLabel('Stage', { exact: true }).selectOption('at_risk');
  // The list keeps showing the unfiltered cases until the filtered ones arrive: wait for those.
  await expect(count).not.toHaveText(unfiltered);
  await expect(async () => {
    const selects = await page.getByRole('combobox', { name: /^Stage of / }).all();
    const stages = await Promise.all(selects.map((select) => select.inputValue({ timeout: 1000 })));
    expect(stages.length).toBeGreaterThan(2);
    expect(new Set(stages)).toEqual(new Set(['at_risk']));
  }).toPass();
  const rows = page.locator('tbody tr');
  const names: string[] = [];
  for (let index = 0; index < 3; index += 1)
    names.push(await rows.nth(index).getByRole('link').first().innerText());
  for (const name of names) await page.getByRole('checkbox', { name: `Select ${name}` }).check();
  const bar = page.getByRole('form', { name: 'Change the selected cases' });
  await expect(bar).toContainText('3 selected');
  await expect(bar).toContainText('a case closes one by one');

  // Someone else changes the second case after the lead loaded the list.
  const changed = names[1] ?? '';
  const lead = await me(page);
  const [target] = (
    await openCases(page, { teamId: lead.teamId ?? 0, stage: 'at_risk', q: changed, limit: 5 })
  ).filter((one) => one.account.name === changed);
  if (!target) throw new Error('the selected case is on the worklist');
  const otherContext = await browser.newContext();
  try {
    const other = await otherContext.newPage();
    await logIn(other, 'admin@retain.demo');
    const session = (await (await other.request.get('/api/v1/auth/session')).json()) as { csrfToken: string };
    const edit = await other.request.patch(`/api/v1/risk-cases/${target.id}`, {
      headers: { 'x-csrf-token': session.csrfToken },
      data: { expected: false },
    });
    expect(edit.ok()).toBe(true);
  } finally {
    await otherContext.close();
  }

  await bar.getByLabel('Change', { exact: true }).selectOption({ label: 'Move to stage' });
  await expect(bar.getByLabel('New stage').locator('option', { hasText: 'Closed' })).toHaveCount(0);
  await bar.getByLabel('New stage').selectOption({ label: 'Plan in Place' });
  await bar.getByRole('button', { name: 'Apply' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'moved' })).toHaveText('2 moved, 1 refused');
  const refusedRow = page.locator('tbody tr', {
    has: page.getByRole('link', { name: changed, exact: true }),
  });
  await expect(refusedRow).toContainText('Refused: Changed by someone else since you loaded the list.');
  for (const name of [names[0] ?? '', names[2] ?? '']) {
    const [moved] = (await openCases(page, { q: name, limit: 5 })).filter((one) => one.account.name === name);
    expect(moved?.stage.key).toBe('plan_in_place');
  }
  const [still] = (await openCases(page, { q: changed, limit: 5 })).filter(
    (one) => one.account.name === changed,
  );
  expect(still?.stage.key).toBe('at_risk');
});

test('the CSV download holds the rows the worklist counts, on every page', async ({ page }) => {
  await logIn(page, 'lead1@retain.demo');
  await page.getByRole('radio', { name: 'All' }).check();
  await expect(page).toHaveURL(/scope=all/);
  const count = await total(page, {});
  expect(count).toBeGreaterThan(50);
  await expect.poll(() => shownCount(page)).toBe(count);
  const downloading = page.waitForEvent('download');
  await page.getByRole('link', { name: 'Download CSV' }).click();
  const download = await downloading;
  expect(download.suggestedFilename()).toBe('worklist.csv');
  const text = readFileSync(await download.path(), 'utf8');
  const lines = text.trim().split('\n');
  expect(lines[0]).toContain('Account,Account id,Stage');
  expect(lines).toHaveLength(count + 1);
  expect(text).toContain(',At Risk,');
  expect(text).not.toContain(',at_risk,');
});

test('a search still being typed does not take a CSM back from the account they opened', async ({ page }) => {
  // The timers are the page's own, moved by hand: typing "pauses" exactly while the account
  // page's code is still on its way (held here), the moment a fast reader hits.
  await page.clock.install();
  let release: () => void = () => undefined;
  const held = new Promise<void>((resolve) => (release = resolve));
  await page.route(/\/assets\/account-[^/]+\.js$/, async (route) => {
    await held;
    await route.continue();
  });
  await logIn(page, 'csm1@retain.demo');
  const link = page.locator('tbody tr').first().getByRole('link').first();
  await expect(link).toBeVisible();
  const name = await link.innerText();
  const href = (await link.getAttribute('href')) ?? '';
  expect(href).toMatch(/^\/accounts\/\d+$/);
  await page.getByLabel('Search').fill(name.slice(0, 3));
  await link.click();
  await expect(page).toHaveURL(new RegExp(`${href}$`));
  await page.clock.runFor(1_000);
  release();
  await expect(page.getByRole('heading', { level: 1, name })).toBeVisible();
  await expect(page).toHaveURL(new RegExp(`${href}$`));
});

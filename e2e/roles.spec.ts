// The UI offers each role what the API allows it, and no more.
import { me, openCases } from './api';
import { expect, logIn, openFromNav, test } from './fixtures';

test('a viewer reads everything and changes nothing', async ({ page }) => {
  await logIn(page, 'viewer@retain.demo');
  await expect(page.getByRole('link', { name: 'Settings' })).toHaveCount(0);
  const stages = page.getByRole('combobox', { name: /^Stage of / });
  await expect(stages.first()).toBeVisible();
  for (const select of await stages.all()) await expect(select).toBeDisabled();
  await expect(page.getByRole('button', { name: /^Edit reasons of / })).toHaveCount(0);

  await page.getByRole('table').getByRole('link').first().click();
  await expect(page.locator('#case-title')).toBeVisible();
  await expect(page.getByRole('form', { name: 'Write the weekly update' })).toHaveCount(0);
  await expect(page.getByLabel('Expected?')).toBeDisabled();

  await page.goto('/settings');
  await expect(page.getByText('Settings are for admins.')).toBeVisible();
  // The API refuses the same write the UI does not offer.
  const session = (await (await page.request.get('/api/v1/auth/session')).json()) as { csrfToken: string };
  const [riskCase] = await openCases(page, { limit: 1 });
  const refused = await page.request.post(`/api/v1/risk-cases/${riskCase!.id}/stage`, {
    headers: { 'x-csrf-token': session.csrfToken },
    data: { stage: 'saving' },
  });
  expect(refused.status()).toBe(403);
});

test("a CSM changes their own cases and not a colleague's", async ({ page }) => {
  await logIn(page, 'csm3@retain.demo');
  await expect(page.getByRole('link', { name: 'Settings' })).toHaveCount(0);
  const user = await me(page);
  const [mine] = await openCases(page, { ownerId: user.id, limit: 1 });
  const myNames = new Set(
    (await openCases(page, { ownerId: user.id, limit: 500 })).map((one) => one.account.name),
  );
  // A colleague's case on an account whose name none of the CSM's own accounts shares.
  const [theirs] = (await openCases(page, { limit: 100 })).filter(
    (one) => one.account.ownerId !== user.id && !myNames.has(one.account.name),
  );
  if (!mine || !theirs) throw new Error('the demo book has cases for csm3 and for others');

  await page.getByLabel('Search').fill(mine.account.name);
  await expect(page.getByLabel(`Stage of ${mine.account.name}`)).toBeEnabled();
  await expect(page.getByRole('button', { name: `Edit reasons of ${mine.account.name}` })).toBeVisible();

  // A CSM's worklist opens on their own cases; a colleague's are under All.
  await page.getByRole('radio', { name: 'All' }).check();
  await page.getByLabel('Search').fill(theirs.account.name);
  await expect(page.getByLabel(`Stage of ${theirs.account.name}`)).toBeDisabled();
  await expect(page.getByRole('button', { name: `Edit reasons of ${theirs.account.name}` })).toHaveCount(0);
});

test('an admin sees and uses the settings', async ({ page }) => {
  await logIn(page, 'admin@retain.demo');
  await openFromNav(page, 'Settings');
  await page.getByRole('tab', { name: 'Stages and reasons' }).click();
  await expect(page.getByLabel('Name of stage closed_recovered')).toHaveValue('Closed - Recovered');
  await page.getByRole('tab', { name: 'Users and teams' }).click();
  await page.getByLabel('New team').fill('Enterprise East');
  await page.getByRole('button', { name: 'Add team' }).click();
  await expect(page.locator('p', { hasText: 'Enterprise East' })).toBeVisible();
  await page.getByRole('tab', { name: 'Health scorecard' }).click();
  await expect(page.getByRole('heading', { name: 'Measure weights' })).toBeVisible();
  await page.getByRole('tab', { name: 'API tokens' }).click();
  await page.getByLabel('Name').fill('warehouse sync');
  await page.getByRole('button', { name: 'Create token' }).click();
  await expect(page.getByText('New token (shown once, copy it now)')).toBeVisible();
  await expect(page.getByRole('cell', { name: 'warehouse sync' })).toBeVisible();
});

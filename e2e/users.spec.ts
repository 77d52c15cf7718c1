// Settings → Users: an admin invites someone who chooses a password by the link and logs in;
// changes a user's role and team; deactivates a user, whose open session ends; sends a reset.
import AxeBuilder from '@axe-core/playwright';
import type { Browser, Page } from '@playwright/test';
import { expect, logIn, openFromNav, test } from './fixtures';

async function openUsers(page: Page): Promise<void> {
  await logIn(page, 'admin@retain.demo');
  await openFromNav(page, 'Settings');
  await page.getByRole('tab', { name: 'Users and teams' }).click();
  await expect(page.getByRole('heading', { name: 'Users', exact: true })).toBeVisible();
}

/** The link in the notice an invitation or reset leaves, as an admin copies it. */
async function shownLink(page: Page, notice: string, field: string): Promise<string> {
  const status = page.getByRole('status', { name: notice });
  await expect(status).toBeVisible();
  const url = await status.getByLabel(field).inputValue();
  expect(url).toMatch(/\/set-password\?token=rp_/);
  return url;
}

/** Opens a link in a browser of its own, chooses a password there, and logs in with it. */
async function setPasswordAndLogIn(browser: Browser, url: string, email: string, password: string) {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(url);
  await expect(page.getByRole('heading', { name: 'Choose your password' })).toBeVisible();
  // The token leaves the address bar (and the history) as soon as the page has it.
  await expect(page).toHaveURL(/\/set-password$/);
  await expect(page.getByText('At least 10 characters')).toBeVisible();
  await page.getByLabel('New password', { exact: true }).fill(password);
  await page.getByLabel('Repeat the new password').fill(`${password}x`);
  await page.getByRole('button', { name: 'Set password' }).click();
  await expect(page.getByRole('alert')).toHaveText(/The two passwords are not the same/);
  await page.getByLabel('Repeat the new password').fill(password);
  await page.getByRole('button', { name: 'Set password' }).click();
  await expect(page.getByRole('heading', { name: 'Password set' })).toBeVisible();
  await page.getByRole('button', { name: 'Log in' }).click();
  await expect(page.getByText('Your password is set. Log in with it.')).toBeVisible();
  await expect(page.getByLabel('Email')).toHaveValue(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Log in' }).click();
  await expect(page.getByRole('heading', { name: 'Accounts at risk' })).toBeVisible({ timeout: 40_000 });
  return { context, page };
}

test('an admin adds a user, who sets a password by the link shown and logs in', async ({ page, browser }) => {
  await openUsers(page);
  const form = page.getByRole('form', { name: 'Add a user' });
  await form.getByLabel('Email').fill('nora.north@retain.demo');
  await form.getByLabel('Name').fill('Nora North');
  await form.getByLabel('Role').selectOption({ label: 'CSM' });
  await form.getByRole('button', { name: 'Add user' }).click();
  const url = await shownLink(page, 'Invitation for Nora North', 'Invitation link');
  await expect(page.getByRole('status', { name: 'Invitation for Nora North' })).toContainText(
    'Copy this link and give it to Nora North',
  );
  const row = page.getByRole('row', { name: /Nora North/ });
  await expect(row.getByText('Invited', { exact: true })).toBeVisible();
  const results = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa']).analyze();
  expect(
    results.violations.map((violation) => `${violation.id} ${violation.nodes[0]?.target.join(' ')}`),
  ).toEqual([]);

  const nora = await setPasswordAndLogIn(browser, url, 'nora.north@retain.demo', 'nora-chooses-a-password');
  await expect(nora.page.locator('.whoami')).toContainText('Nora North');
  // The link is used up.
  const again = await nora.context.newPage();
  await again.goto(url);
  await again.getByLabel('New password', { exact: true }).fill('another-long-password');
  await again.getByLabel('Repeat the new password').fill('another-long-password');
  await again.getByRole('button', { name: 'Set password' }).click();
  await expect(again.getByRole('alert')).toHaveText(/This link no longer works/);
  await nora.context.close();

  // The admin's list shows the user active, with a last login.
  await page.reload();
  await page.getByRole('tab', { name: 'Users and teams' }).click();
  await expect(
    page.getByRole('row', { name: /Nora North/ }).getByText('Active', { exact: true }),
  ).toBeVisible();
  await expect(page.getByRole('row', { name: /Nora North/ }).getByText('Never')).toHaveCount(0);
});

test("an admin changes a user's role and team, deactivates them and sends a reset", async ({
  page,
  browser,
}) => {
  await openUsers(page);
  const form = page.getByRole('form', { name: 'Add a user' });
  await form.getByLabel('Email').fill('omar.oak@retain.demo');
  await form.getByLabel('Name').fill('Omar Oak');
  await form.getByRole('button', { name: 'Add user' }).click();
  const invitation = await shownLink(page, 'Invitation for Omar Oak', 'Invitation link');
  const omar = await setPasswordAndLogIn(browser, invitation, 'omar.oak@retain.demo', 'omar-first-password');

  // Role and team, changed in the row.
  const saved = () =>
    page.waitForResponse(
      (response) => response.request().method() === 'PATCH' && response.url().includes('/api/v1/users/'),
    );
  await Promise.all([saved(), page.getByLabel('Role of Omar Oak').selectOption({ label: 'Team lead' })]);
  const team = page.getByLabel('Team of Omar Oak');
  const teamName = (await team.locator('option').nth(1).textContent()) ?? '';
  await Promise.all([saved(), team.selectOption({ label: teamName })]);
  await page.reload();
  await page.getByRole('tab', { name: 'Users and teams' }).click();
  await expect(page.getByLabel('Role of Omar Oak')).toHaveValue('lead');
  await expect(page.getByLabel('Team of Omar Oak').locator('option:checked')).toHaveText(teamName);

  // The only admin cannot demote themselves.
  await page.getByLabel('Role of Avery Admin').selectOption({ label: 'Viewer' });
  await expect(page.getByRole('row', { name: /Avery Admin/ }).getByRole('alert')).toContainText(
    'You are the only active admin',
  );
  await expect(page.getByLabel('Role of Avery Admin')).toHaveValue('admin');

  // Deactivated, with a confirmation: Omar's open session returns to the login screen.
  await page.getByRole('button', { name: 'Deactivate Omar Oak' }).click();
  await page
    .getByRole('group', { name: 'Deactivate Omar Oak?' })
    .getByRole('button', { name: 'Yes, deactivate' })
    .click();
  const row = page.getByRole('row', { name: /Omar Oak/ });
  await expect(row.getByText('Deactivated', { exact: true })).toBeVisible();
  await omar.page.getByRole('link', { name: 'Risk matrix' }).click();
  await expect(omar.page.getByText('Your session has ended. Log in again to carry on.')).toBeVisible();
  await omar.page.getByLabel('Email').fill('omar.oak@retain.demo');
  await omar.page.getByLabel('Password').fill('omar-first-password');
  await omar.page.getByRole('button', { name: 'Log in' }).click();
  await expect(omar.page.getByRole('alert')).toContainText('Email or password is wrong');
  await omar.context.close();

  // Reactivated, then sent a password reset: the new link sets a new password.
  await page.getByRole('button', { name: 'Reactivate Omar Oak' }).click();
  await expect(row.getByText('Active', { exact: true })).toBeVisible();
  // A reset asks first: the old password stops working at once.
  await page.getByRole('button', { name: 'Send password reset to Omar Oak' }).click();
  await page
    .getByRole('group', { name: 'Send a password reset to Omar Oak?' })
    .getByRole('button', { name: 'Yes, send the reset' })
    .click();
  const reset = await shownLink(page, 'Password reset for Omar Oak', 'Password reset link');
  await expect(row.getByText('Password reset sent', { exact: true })).toBeVisible();
  const again = await setPasswordAndLogIn(browser, reset, 'omar.oak@retain.demo', 'omar-second-password');
  await again.context.close();
});

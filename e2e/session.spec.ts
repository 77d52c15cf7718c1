// Logging in and out, and what happens when a session ends while the app is open.
import { expect, logIn, test } from './fixtures';
import { E2E_PASSWORD } from './constants';

test('refuses a wrong password with the reason, then logs in and out', async ({ page }) => {
  await page.goto('/');
  await page.getByLabel('Email').fill('csm1@retain.demo');
  await page.getByLabel('Password').fill(`${E2E_PASSWORD}-wrong`);
  await page.getByRole('button', { name: 'Log in' }).click();
  await expect(page.getByRole('alert')).toContainText('INVALID_CREDENTIALS');

  await page.getByLabel('Password').fill(E2E_PASSWORD);
  await page.getByRole('button', { name: 'Log in' }).click();
  await expect(page.getByRole('heading', { name: 'Accounts at risk' })).toBeVisible();
  await expect(page.getByRole('banner')).toContainText('csm');

  await page.getByRole('button', { name: 'Log out' }).click();
  await expect(page.getByRole('status')).toHaveText('You have logged out.');
  // The session is gone on the server too: a reload lands on the login screen.
  await page.reload();
  await expect(page.getByRole('button', { name: 'Log in' })).toBeVisible();
});

test('says how long to wait after too many attempts, and keeps the button off until then', async ({
  page,
}) => {
  await page.goto('/');
  // A stranger guessing at an address nobody has: five wrong passwords are checked, then it waits.
  await page.getByLabel('Email').fill('nobody-here@retain.demo');
  await page.getByLabel('Password').fill(`${E2E_PASSWORD}-guess`);
  const button = page.getByRole('button', { name: 'Log in' });
  for (let attempt = 1; attempt <= 5; attempt += 1) {
    await button.click();
    await expect(page.getByRole('alert')).toContainText('INVALID_CREDENTIALS');
    await expect(button).toBeEnabled();
  }
  await button.click();
  await expect(page.getByRole('alert')).toHaveText(
    /^Too many login attempts\. You can try again in \d+ (minutes?|seconds?)\.$/,
  );
  await expect(button).toBeDisabled();
});

test('returns to the login screen with a notice when the session ends elsewhere', async ({ page }) => {
  await logIn(page, 'lead1@retain.demo');
  // Another tab logs out: the cookie's session ends on the server.
  const csrf = (await (await page.request.get('/api/v1/auth/session')).json()) as { csrfToken: string };
  await page.request.post('/api/v1/auth/logout', { headers: { 'x-csrf-token': csrf.csrfToken } });
  await page.getByRole('link', { name: 'Risk matrix' }).click();
  await expect(page.getByText('Your session has ended. Log in again to carry on.')).toBeVisible();
  await expect(page.getByRole('button', { name: 'Log in' })).toBeVisible();
});

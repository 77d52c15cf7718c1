// What every end-to-end test shares: logging in as a demo user, failing on any error the page
// reports (a script error, a Content-Security-Policy violation), and a screenshot of where each
// test ended, under test-results/screens (and docs/screenshots when asked for).
import { mkdirSync } from 'node:fs';
import { test as base, expect, type Page } from '@playwright/test';
import { E2E_PASSWORD } from './constants';

export { expect };

export const DOCS_SCREENSHOTS = process.env.E2E_DOCS_SCREENSHOTS === '1';

export const test = base.extend<{ problems: string[] }>({
  problems: [
    async ({ page }, use, testInfo) => {
      const problems: string[] = [];
      page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
      page.on('console', (message) => {
        // The browser logs every 4xx answer; those are refusals a test provokes on purpose and checks
        // on screen. Script errors, CSP violations and 5xx answers fail the test.
        if (message.type() === 'error' && !/Failed to load resource: .* status of 4\d\d/.test(message.text()))
          problems.push(`console: ${message.text()}`);
      });
      await use(problems);
      mkdirSync('test-results/screens', { recursive: true });
      const name = testInfo.titlePath
        .slice(1)
        .join(' - ')
        .replace(/[^a-z0-9 -]+/gi, '');
      await page
        .screenshot({ path: `test-results/screens/${name}.png`, fullPage: true })
        .catch(() => undefined);
      expect(problems, 'errors reported by the page').toEqual([]);
    },
    { auto: true },
  ],
});

/** Logs in through the login screen and waits for the worklist. */
export async function logIn(page: Page, email: string): Promise<void> {
  await page.goto('/');
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(E2E_PASSWORD);
  await page.getByRole('button', { name: 'Log in' }).click();
  // The password check (scrypt) and the first load of the worklist's code and data.
  await expect(page.getByRole('heading', { name: 'Accounts at risk' })).toBeVisible({ timeout: 40_000 });
}

/**
 * Opens a screen from the main navigation and waits until that screen is the one on display (its
 * heading), not only in the address bar: while a screen's code loads on its first visit, the app
 * keeps showing the previous screen, and its controls (a Team select on both the worklist and the
 * huddle, say) still work.
 */
export async function openFromNav(page: Page, link: string, heading: string = link): Promise<void> {
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: link, exact: true }).click();
  await expect(
    page.getByRole('main').getByRole('heading', { level: 1, name: heading, exact: true }),
  ).toBeVisible();
}

/** A screenshot for the README, kept in docs/screenshots when E2E_DOCS_SCREENSHOTS=1. */
export async function docsScreenshot(page: Page, name: string, fullPage = false): Promise<void> {
  if (!DOCS_SCREENSHOTS) return;
  await page.screenshot({ path: `docs/screenshots/${name}.png`, fullPage });
}

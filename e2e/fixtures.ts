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
  await expect(page.getByRole('heading', { name: 'Accounts at risk' })).toBeVisible();
}

/** A screenshot for the README, kept in docs/screenshots when E2E_DOCS_SCREENSHOTS=1. */
export async function docsScreenshot(page: Page, name: string, fullPage = false): Promise<void> {
  if (!DOCS_SCREENSHOTS) return;
  await page.screenshot({ path: `docs/screenshots/${name}.png`, fullPage });
}

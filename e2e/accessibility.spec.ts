// The set-password screen passes axe's WCAG 2 A and AA checks (labels, names, contrast,
// structure), and the worklist can be worked from the keyboard alone.
import AxeBuilder from '@axe-core/playwright';
import { docsScreenshot, expect, logIn, test } from './fixtures';

// Every screen reached from the navigation is checked, per role and per store, in
// e2e/journeys.spec.ts; the set-password screen is reached by a link, without a login.
test('set password: passes the WCAG 2 A and AA checks', async ({ page }) => {
  await page.goto('/set-password?token=rp_not-a-real-token');
  await expect(page.getByRole('heading', { name: 'Choose your password' })).toBeVisible();
  const results = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa']).analyze();
  expect(
    results.violations.map((violation) => `${violation.id} ${violation.nodes[0]?.target.join(' ')}`),
  ).toEqual([]);
  await docsScreenshot(page, 'set-password');
});

test('the worklist works from the keyboard', async ({ page }) => {
  await logIn(page, 'admin@retain.demo');
  // Skip link first, then straight into the page.
  await page.keyboard.press('Tab');
  await expect(page.getByRole('link', { name: 'Skip to content' })).toBeFocused();
  await page.keyboard.press('Enter');
  const firstEdit = page.getByRole('button', { name: /^Edit reasons of / }).first();
  await firstEdit.focus();
  await page.keyboard.press('Enter');
  const editor = page.getByRole('form', { name: /^Reasons of / });
  await expect(editor.getByRole('checkbox').first()).toBeFocused();
  await page.keyboard.press('Escape');
  await expect(editor).toHaveCount(0);
  const sort = page.getByRole('button', { name: 'LTV' });
  await sort.focus();
  await page.keyboard.press('Enter');
  await expect(page.getByRole('columnheader', { name: 'LTV' })).toHaveAttribute('aria-sort', 'descending');
});

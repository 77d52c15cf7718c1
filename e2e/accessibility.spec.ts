// Every screen passes axe's WCAG 2 A and AA checks (labels, names, contrast, structure), and the
// worklist can be worked from the keyboard alone.
import AxeBuilder from '@axe-core/playwright';
import { openCases } from './api';
import { docsScreenshot, expect, logIn, test } from './fixtures';

const SCREENS = {
  worklist: '/',
  accounts: '/accounts',
  matrix: '/matrix',
  scorecard: '/scorecard',
  'risk trends': '/trends',
  huddle: '/huddle',
  tasks: '/tasks',
  playbooks: '/playbooks',
  segments: '/segments',
  reports: '/reports',
  'churn analysis': '/reports/churn',
  'health score backtest': '/reports/health-backtest',
  settings: '/settings',
  notifications: '/notifications',
  'set password': '/set-password?token=rp_not-a-real-token',
  'account page': null,
};

/** Screens whose docs screenshot is taken where a spec shows them at work (e2e/screens.spec.ts). */
const SHOWN_ELSEWHERE = new Set([
  'worklist',
  'matrix',
  'scorecard',
  'risk trends',
  'huddle',
  'playbooks',
  'account page',
]);

// One test per screen, so each gets its own time and a failure names the screen.
for (const [screen, screenPath] of Object.entries(SCREENS))
  test(`${screen}: passes the WCAG 2 A and AA checks`, async ({ page }) => {
    await logIn(page, 'admin@retain.demo');
    let path = screenPath;
    if (path === null) {
      const [riskCase] = await openCases(page, { limit: 1 });
      path = `/accounts/${riskCase!.accountId}`;
    }
    await page.goto(path);
    await expect(page.locator('main h1')).toBeVisible();
    await expect(page.locator('.state-loading')).toHaveCount(0);
    const results = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa']).analyze();
    const found = results.violations.map(
      (violation) =>
        `${path}: ${violation.id} (${violation.nodes.length}) ${violation.nodes[0]?.target.join(' ')}`,
    );
    expect(found).toEqual([]);
    if (!SHOWN_ELSEWHERE.has(screen)) await docsScreenshot(page, screen.replace(/ /g, '-'));
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

// A day in the app for each role, on each store: from the login screen, every screen the role has
// is reached through the navigation (the main bar, the reports' sub-navigation, a segment, an
// account, the notifications bell, each Settings tab), shows its data with no error, and passes
// axe's WCAG 2 A and AA checks. The admin's journey on SQLite also takes the docs screenshots.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { AxeResults, RunOptions } from 'axe-core';
import type { Page } from '@playwright/test';
import { E2E_PG_PORTS, E2E_PORT } from './constants';
import { docsScreenshot, expect, logIn, test } from './fixtures';

/**
 * The main bar's links, the heading each screen opens with, and its docs screenshot (none where
 * e2e/screens.spec.ts takes it with the screen at work).
 */
const MAIN_SCREENS: { link: string; heading: string; shot?: string }[] = [
  { link: 'Accounts', heading: 'Accounts', shot: 'accounts' },
  { link: 'Risk matrix', heading: 'At-Risk Matrix' },
  { link: 'Scorecard', heading: 'Scorecard' },
  { link: 'Risk trends', heading: 'Risk trends' },
  { link: 'Huddle', heading: 'Huddle' },
  { link: 'Tasks', heading: 'Tasks', shot: 'tasks' },
  { link: 'Playbooks', heading: 'Playbooks' },
  { link: 'Segments', heading: 'Segments', shot: 'segments' },
  { link: 'Reports', heading: 'Monthly risk report', shot: 'monthly-report' },
];

const REPORTS = [
  { link: 'Churn analysis', shot: 'churn-analysis' },
  { link: 'Health score backtest', shot: 'health-score-backtest' },
];

const SETTINGS_TABS: { tab: string; shot: string }[] = [
  { tab: 'Risk process', shot: 'settings' },
  { tab: 'Stages and reasons', shot: 'settings-stages' },
  { tab: 'Health scorecard', shot: 'settings-health' },
  { tab: 'Detection rules', shot: 'settings-detection-rules' },
  { tab: 'Users and teams', shot: 'settings-users' },
  { tab: 'API tokens', shot: 'settings-api-tokens' },
  { tab: 'Import CSV', shot: 'settings-import' },
];

const STORES = [
  { store: 'SQLite', port: E2E_PORT },
  { store: 'PostgreSQL', port: E2E_PG_PORTS[0] },
];

const ROLES = [
  { role: 'a CSM', email: 'csm1@retain.demo' },
  { role: 'a team lead', email: 'lead1@retain.demo' },
  { role: 'a viewer', email: 'viewer@retain.demo' },
  { role: 'an admin', email: 'admin@retain.demo' },
];

const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

/**
 * axe's WCAG 2 A and AA violations on the page as it is now. axe is loaded once per document and
 * run again on each screen the single-page app shows (what @axe-core/playwright does, without
 * loading its half-megabyte script again for every screen).
 */
async function axeViolations(page: Page): Promise<AxeResults['violations']> {
  const loaded = await page.evaluate(() => 'axe' in globalThis);
  if (!loaded) await page.evaluate(AXE_SOURCE);
  return page.evaluate(async () => {
    const axe = (globalThis as unknown as { axe: { run: (options: RunOptions) => Promise<AxeResults> } }).axe;
    const results = await axe.run({
      runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa'] },
      resultTypes: ['violations'],
    });
    return results.violations;
  });
}

/** What one journey found wrong, screen by screen, so a failure lists every screen at once. */
class Findings {
  readonly problems: string[] = [];
  readonly visited: string[] = [];

  constructor(
    private readonly page: Page,
    private readonly shoot: boolean,
  ) {}

  /** Waits until the screen shows its data, then checks it. */
  async check(screen: string, shot?: string): Promise<void> {
    const main = this.page.getByRole('main');
    await expect(main.locator('h1').first()).toBeVisible();
    await expect(this.page.locator('.state-loading')).toHaveCount(0);
    this.visited.push(screen);
    const errors = await main.locator('.state-error').allInnerTexts();
    for (const error of errors) this.problems.push(`${screen}: shows an error: ${error}`);
    const violations = await axeViolations(this.page);
    for (const violation of violations)
      this.problems.push(
        `${screen}: ${violation.id} (${violation.nodes.length}) ${violation.nodes[0]?.target.join(' ') ?? ''}`,
      );
    if (this.shoot && shot) await docsScreenshot(this.page, shot);
  }
}

/** Clicks a link of a navigation and waits for the screen's own heading. */
async function follow(page: Page, nav: string, link: string, heading: string): Promise<void> {
  await page.getByRole('navigation', { name: nav }).getByRole('link', { name: link, exact: true }).click();
  await expect(
    page.getByRole('main').getByRole('heading', { level: 1, name: heading, exact: true }),
  ).toBeVisible();
}

for (const { store, port } of STORES)
  test.describe(`on ${store}`, () => {
    test.use({ baseURL: `http://127.0.0.1:${port}` });

    for (const { role, email } of ROLES)
      test(`${role} reaches every screen from the navigation, each passing the WCAG 2 A and AA checks`, async ({
        page,
      }) => {
        const findings = new Findings(page, store === 'SQLite' && role === 'an admin');
        await logIn(page, email);
        await findings.check('worklist');
        // The check catches what it should: an image without a text alternative is a violation.
        await page.evaluate(
          "document.getElementById('main').insertAdjacentHTML('beforeend', '<img id=\"axe-self-check\" src=\"data:,\">')",
        );
        expect((await axeViolations(page)).map((violation) => violation.id)).toContain('image-alt');
        await page.evaluate("document.getElementById('axe-self-check').remove()");

        for (const screen of MAIN_SCREENS) {
          await follow(page, 'Main', screen.link, screen.heading);
          await findings.check(screen.link, screen.shot);
          if (screen.link === 'Reports')
            for (const report of REPORTS) {
              await follow(page, 'Reports', report.link, report.link);
              await findings.check(report.link, report.shot);
            }
          if (screen.link === 'Segments') {
            // A segment's own page: its definition, its members, its history.
            await page.getByRole('main').getByRole('table').getByRole('link').first().click();
            await expect(page).toHaveURL(/\/segments\/\d+$/);
            await findings.check('a segment', 'segment');
          }
          if (screen.link === 'Accounts') {
            // Any account's page, from the list of the whole book.
            await page.getByRole('main').getByRole('table').getByRole('link').first().click();
            await expect(page).toHaveURL(/\/accounts\/\d+$/);
            await findings.check('an account');
          }
        }

        await page.getByRole('link', { name: /^Notifications, / }).click();
        await expect(
          page.getByRole('main').getByRole('heading', { level: 1, name: 'Notifications' }),
        ).toBeVisible();
        await findings.check('notifications', 'notifications');

        const settings = page
          .getByRole('navigation', { name: 'Main' })
          .getByRole('link', { name: 'Settings' });
        if (role === 'an admin') {
          await follow(page, 'Main', 'Settings', 'Settings');
          for (const { tab, shot } of SETTINGS_TABS) {
            await page.getByRole('tab', { name: tab }).click();
            await expect(page.getByRole('tab', { name: tab })).toHaveAttribute('aria-selected', 'true');
            await findings.check(`Settings → ${tab}`, shot);
          }
        } else {
          // Settings are an admin's: the main bar has no link to them.
          await expect(settings).toHaveCount(0);
        }

        expect(findings.problems).toEqual([]);
        expect(findings.visited.length).toBe(
          1 + MAIN_SCREENS.length + REPORTS.length + 2 + 1 + (role === 'an admin' ? SETTINGS_TABS.length : 0),
        );
      });
  });

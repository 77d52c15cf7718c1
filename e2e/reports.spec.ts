// Reports: a lead reads a team's monthly risk report on screen with its account links and downloads
// it; the churn analysis measures attrition against the target; an admin backtests the live health
// score, fits one from history, previews the band changes and applies it.
import type { Page } from '@playwright/test';
import { me } from './api';
import { expect, logIn, openFromNav, test } from './fixtures';

/** "2026-10" for the month `back` months before the current one, as the month picker lists them. */
function monthKey(back: number): string {
  const today = new Date();
  const day = new Date(Date.UTC(today.getUTCFullYear(), today.getUTCMonth() - back, 1));
  return `${day.getUTCFullYear()}-${String(day.getUTCMonth() + 1).padStart(2, '0')}`;
}

async function openReport(page: Page, name: string): Promise<void> {
  await page.getByRole('navigation', { name: 'Reports' }).getByRole('link', { name, exact: true }).click();
  await expect(page.getByRole('main').getByRole('heading', { level: 1, name, exact: true })).toBeVisible();
}

test('a lead reads the monthly risk report of a team and month, follows an account and downloads it', async ({
  page,
}) => {
  await logIn(page, 'lead1@retain.demo');
  await openFromNav(page, 'Reports', 'Monthly risk report');
  // Opens on the lead's own team and the last full month.
  const { teamId } = await me(page);
  await expect(page.getByLabel('Team', { exact: true })).toHaveValue(String(teamId));
  await expect(page.getByLabel('Month', { exact: true })).toHaveValue(monthKey(1));

  await page.getByLabel('Team', { exact: true }).selectOption({ label: 'SMB West' });
  await page.getByLabel('Month', { exact: true }).selectOption(monthKey(2));
  const report = page.getByRole('article', { name: /^Risk report of SMB West, / });
  await expect(report.getByRole('region', { name: 'Summary' }).getByRole('table')).toContainText(
    'Open at month end',
  );
  await expect(report.getByRole('region', { name: 'Top reasons' }).getByRole('table')).toBeVisible();
  await expect(report.getByRole('region', { name: /^At-Risk Matrix/ }).getByRole('table')).toContainText(
    'Unexpected',
  );
  const newRisks = report.getByRole('region', { name: 'New risks', exact: true });
  const firstAccount = newRisks.getByRole('table').getByRole('link').first();
  await expect(firstAccount).toBeVisible();

  // Downloads ask the API for the same team and month in each format.
  const links = page.locator('.downloads');
  const href = async (name: string) =>
    new URL((await links.getByRole('link', { name, exact: true }).getAttribute('href')) ?? '', page.url());
  for (const [name, format] of [
    ['Markdown', 'md'],
    ['HTML', 'html'],
    ['CSV: Lost', 'csv'],
  ] as const) {
    const url = await href(name);
    expect(url.pathname).toBe('/api/v1/reports/monthly');
    expect(url.searchParams.get('format')).toBe(format);
    expect(url.searchParams.get('month')).toBe(monthKey(2));
  }
  const csv = await page.request.get((await href('CSV: Lost')).toString());
  expect(csv.status()).toBe(200);
  expect(csv.headers()['content-type']).toBe('text/csv; charset=utf-8');
  expect(csv.headers()['content-disposition']).toBe(
    `attachment; filename="risk-report-smb-west-${monthKey(2)}-lost.csv"`,
  );
  expect(await csv.text()).toMatch(/^account_id,account,owner,stage,reasons,arr_at_risk/);
  const markdown = await page.request.get((await href('Markdown')).toString());
  expect(markdown.headers()['content-type']).toBe('text/markdown; charset=utf-8');
  expect(await markdown.text()).toContain('# Monthly risk report: SMB West');

  // A long list shows its biggest 25 cases on screen, and all of them when asked (or printed).
  const open = report.getByRole('region', { name: 'Open at month end', exact: true });
  const openCount = Number(
    ((await open.locator('caption').innerText()).match(/^([\d,]+) cases?/)?.[1] ?? '0').replace(/,/g, ''),
  );
  expect(openCount).toBeGreaterThan(25);
  const rows = open.locator('tbody tr:not(.more-rows)');
  await expect(rows).toHaveCount(25);
  await open.getByRole('button', { name: `Show all ${openCount.toLocaleString('en-US')}` }).click();
  await expect(rows).toHaveCount(openCount);
  await open.getByRole('button', { name: 'Show the first 25' }).click();
  await expect(rows).toHaveCount(25);
  await page.evaluate("window.dispatchEvent(new Event('beforeprint'))");
  await expect(rows).toHaveCount(openCount);
  await page.evaluate("window.dispatchEvent(new Event('afterprint'))");
  await expect(rows).toHaveCount(25);

  // On paper: the report without the navigation, the pickers or the download links.
  await page.emulateMedia({ media: 'print' });
  await expect(page.getByRole('navigation', { name: 'Main' })).toBeHidden();
  await expect(page.getByRole('navigation', { name: 'Reports' })).toBeHidden();
  await expect(links).toBeHidden();
  await expect(newRisks.getByRole('table')).toBeVisible();
  await page.emulateMedia({ media: 'screen' });

  // An account name leads to its account page.
  const name = await firstAccount.innerText();
  await firstAccount.click();
  await expect(page.getByRole('heading', { level: 1, name, exact: true })).toBeVisible();
});

test('a lead sees churn against the target, when and why customers leave, and the backtest without fitting', async ({
  page,
}) => {
  await logIn(page, 'lead1@retain.demo');
  await openFromNav(page, 'Reports', 'Monthly risk report');
  await openReport(page, 'Churn analysis');
  const attrition = page.getByRole('region', { name: 'Attrition against target' });
  await expect(attrition).toContainText(/All accounts: [\d.]+% a year against the annual target of [\d.]+%/);
  const table = attrition.getByRole('table', { name: /the dashed line is the annual target/ });
  await expect(table.getByRole('row', { name: /All accounts/ })).toContainText(/On target|Off target/);
  const when = page.getByRole('region', { name: 'When customers leave' });
  await expect(when.getByRole('columnheader', { name: 'Days before renewal' })).toBeVisible();
  await expect(when.getByRole('columnheader', { name: 'Tenure' })).toBeVisible();
  await expect(
    page.getByRole('region', { name: 'Weak points in the journey' }).getByRole('columnheader', {
      name: 'Lifecycle stage',
    }),
  ).toBeVisible();
  await expect(page.getByRole('region', { name: 'Why they leave' }).getByRole('table')).toBeVisible();
  await expect(page.getByRole('region', { name: 'Separation surveys' })).toBeVisible();

  // A lead reads the backtest; fitting and applying a scorecard is for admins.
  await openReport(page, 'Health score backtest');
  await expect(
    page.getByRole('region', { name: "The live score on the store's history" }).locator('.figure').first(),
  ).toContainText(/AUC\s*0\.\d\d/);
  await expect(page.getByRole('region', { name: 'The live scorecard' }).getByRole('table')).toBeVisible();
  await expect(page.getByRole('button', { name: 'Fit from history' })).toHaveCount(0);
});

test('an admin backtests the live score, fits one from history, previews the band changes and applies it', async ({
  page,
}) => {
  await logIn(page, 'admin@retain.demo');
  const original: unknown = await (await page.request.get('/api/v1/health/scorecard')).json();
  try {
    await openFromNav(page, 'Reports', 'Monthly risk report');
    await openReport(page, 'Health score backtest');
    await expect(
      page.getByText(/^AUC: how often the score puts a customer who left below one who stayed/),
    ).toBeVisible();
    const live = page.getByRole('region', { name: "The live score on the store's history" });
    await expect(live.locator('.figure').first()).toContainText(/AUC\s*0\.\d\d/);
    await expect(live.getByRole('table', { name: /^Lift of the live score/ })).toContainText('10%');
    await expect(live.getByRole('table', { name: /^Calibration of the live score/ })).toContainText('Good');

    await page.getByRole('button', { name: 'Fit from history' }).click();
    const fit = page.getByRole('region', { name: 'Fit from history' });
    const comparison = fit.getByRole('table', { name: /^The live score on every account/ });
    await expect(comparison.getByRole('row', { name: /^AUC/ })).toContainText(/0\.\d\d.*0\.\d\d/);
    await expect(
      fit
        .getByRole('table', { name: /factors of the candidate/ })
        .getByRole('row')
        .nth(1),
    ).toBeVisible();

    await fit.getByRole('button', { name: 'Apply…' }).click();
    const changes = fit.getByRole('region', { name: 'Before you apply' });
    await expect(changes).toContainText(/[\d,]+ of [\d,]+ accounts would change band/);
    await expect(changes.getByRole('table', { name: 'Band changes, most accounts first' })).toBeVisible();
    await changes.getByRole('button', { name: 'Apply this scorecard' }).click();

    await expect(fit.getByRole('status')).toContainText(
      /The fitted scorecard is live: [\d,]+ accounts re-scored/,
    );
    await expect(page.getByRole('region', { name: 'The live scorecard' })).toContainText(
      'Fitted to churn history',
    );
    const applied = (await (await page.request.get('/api/v1/health/scorecard')).json()) as {
      churnModel?: { source: string };
    };
    expect(applied.churnModel?.source).toMatch(/^fitted through the API on losses within 60 days of/);
  } finally {
    // The demo's own scorecard back, so the screens tested after this one read the book they expect.
    const session = (await (await page.request.get('/api/v1/auth/session')).json()) as { csrfToken: string };
    const headers = { 'x-csrf-token': session.csrfToken };
    await page.request.put('/api/v1/health/scorecard', { data: original, headers });
    await page.request.post('/api/v1/health/rescore', { headers });
  }
});

// Two people on the worklist at once: what one changes, the other sees without reloading. Once on
// one server (SQLite), once with each person on a different API process over one PostgreSQL store.
import type { Browser } from '@playwright/test';
import { me, openCases } from './api';
import { DEMO_REASON_NAMES, E2E_PG_PORTS, E2E_PORT } from './constants';
import { expect, logIn, test } from './fixtures';

const at = (port: number) => `http://127.0.0.1:${port}`;

test('a change in one session appears in another without a reload', async ({ browser }) => {
  await twoSessions(browser, at(E2E_PORT), at(E2E_PORT), 'live - second session');
});

test('a change through one API process appears in a session on another (PostgreSQL)', async ({ browser }) => {
  await twoSessions(browser, at(E2E_PG_PORTS[0]), at(E2E_PG_PORTS[1]), 'live - second process');
});

async function twoSessions(browser: Browser, csmServer: string, leadServer: string, screenshot: string) {
  const csmContext = await browser.newContext({ baseURL: csmServer });
  const leadContext = await browser.newContext({ baseURL: leadServer });
  const csm = await csmContext.newPage();
  const lead = await leadContext.newPage();
  try {
    await logIn(csm, 'csm4@retain.demo');
    await logIn(lead, 'lead1@retain.demo');
    const user = await me(csm);
    const [riskCase] = await openCases(csm, { stage: 'at_risk', ownerId: user.id, limit: 1 });
    if (!riskCase) throw new Error('the demo book gives csm4 a case at risk');
    const name = riskCase.account.name;
    for (const page of [csm, lead]) {
      await page.getByLabel('Search').fill(name);
      await expect(page.getByLabel(`Stage of ${name}`)).toHaveValue('at_risk');
      await expect(page.getByRole('status').filter({ hasText: 'Live' })).toBeVisible();
    }
    // Mark the lead's page: a reload would lose this.
    await lead.evaluate(() => {
      (globalThis as unknown as { notReloaded: boolean }).notReloaded = true;
    });

    await csm.getByLabel(`Stage of ${name}`).selectOption('saving');
    await expect(lead.getByLabel(`Stage of ${name}`)).toHaveValue('saving');
    await expect(lead.locator(`tr[data-case-id="${riskCase.id}"]`)).toHaveClass(/changed/);

    // And the other way round: the lead adds a reason, the CSM sees it.
    await lead.getByRole('button', { name: `Edit reasons of ${name}` }).click();
    const editor = lead.getByRole('form', { name: `Reasons of ${name}` });
    const added = DEMO_REASON_NAMES.find(
      (reasonName) => !riskCase.reasons.some((one) => one.name === reasonName),
    )!;
    await editor.getByRole('checkbox', { name: added }).check();
    await editor.getByRole('button', { name: 'Save reasons' }).click();
    const csmRow = csm.locator(`tr[data-case-id="${riskCase.id}"]`);
    await expect(csmRow.locator('.chip', { hasText: added })).toBeVisible();
    await expect(csmRow).toHaveClass(/changed/);

    expect(await lead.evaluate(() => (globalThis as unknown as { notReloaded?: boolean }).notReloaded)).toBe(
      true,
    );
    await lead.screenshot({ path: `test-results/screens/${screenshot}.png` });
  } finally {
    await csmContext.close();
    await leadContext.close();
  }
}

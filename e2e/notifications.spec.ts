// The in-app inbox: while csm1 works, an admin opens a case by hand on one of csm1's accounts and
// gives csm1 a task there. csm1's bell counts them without a reload, the inbox lists both by account
// name, opening one marks it read, and "Mark all as read" clears the count.
import AxeBuilder from '@axe-core/playwright';
import type { APIRequestContext, Locator } from '@playwright/test';
import { me, openCases } from './api';
import { expect, logIn, test } from './fixtures';

/** The unread count a bell's accessible name tells ("Notifications, 3 unread"). */
async function unreadOf(bell: Locator): Promise<number> {
  const name = (await bell.getAttribute('aria-label')) ?? '';
  const match = /Notifications, (\d+) unread/.exec(name);
  return match ? Number(match[1]) : 0;
}

async function csrfOf(request: APIRequestContext): Promise<string> {
  const session = (await (await request.get('/api/v1/auth/session')).json()) as { csrfToken: string };
  return session.csrfToken;
}

test('a case opened and a task given by an admin reach the inbox of the CSM live', async ({
  page,
  browser,
}) => {
  await logIn(page, 'csm1@retain.demo');
  const csm = await me(page);
  const bell = page.getByRole('link', { name: /^Notifications, / });
  await expect(bell).toBeVisible();
  const before = await unreadOf(bell);

  const adminContext = await browser.newContext();
  try {
    const admin = await adminContext.newPage();
    await logIn(admin, 'admin@retain.demo');
    const headers = { 'x-csrf-token': await csrfOf(admin.request) };
    // One of csm1's accounts without an open case.
    const accounts = (await (
      await admin.request.get(`/api/v1/accounts?ownerId=${csm.id}&limit=200`)
    ).json()) as { items: { id: number; name: string }[] };
    const withCase = new Set(
      (await openCases(admin, { ownerId: csm.id, limit: 500 })).map((c) => c.accountId),
    );
    const [reason] = (
      (await (await admin.request.get('/api/v1/risk-reasons')).json()) as { items: { key: string }[] }
    ).items;
    let account: { id: number; name: string } | undefined;
    for (const candidate of accounts.items.filter((a) => !withCase.has(a.id))) {
      const opened = await admin.request.post('/api/v1/risk-cases', {
        headers,
        data: { accountId: candidate.id, reasons: [reason?.key] },
      });
      // Detection may have opened one meanwhile: take the next account.
      if (opened.status() === 201) {
        account = candidate;
        break;
      }
    }
    if (!account) throw new Error('csm1 has no account without an open case');
    const title = `Call the sponsor of ${account.name} about the renewal`;
    const task = await admin.request.post('/api/v1/tasks', {
      headers,
      data: { accountId: account.id, assigneeId: csm.id, title, dueInDays: 2 },
    });
    expect(task.status()).toBe(201);

    // The bell counts both without a reload (the daily run may add overdue updates too).
    await expect.poll(() => unreadOf(bell)).toBeGreaterThanOrEqual(before + 2);
    await bell.click();
    await expect(page.getByRole('heading', { level: 1, name: 'Notifications' })).toBeVisible();
    const caseNotice = page.locator('.notification', { hasText: `New risk case on ${account.name}` });
    const taskNotice = page.locator('.notification', { hasText: title });
    await expect(caseNotice).toContainText('Unread');
    await expect(taskNotice).toContainText(`New task on ${account.name}`);
    await expect(taskNotice).toContainText('Unread');
    const accessibility = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa']).analyze();
    expect(accessibility.violations.map((violation) => violation.id)).toEqual([]);

    // Opening the case's notice marks it read and leads to the account.
    await caseNotice.getByRole('link', { name: `New risk case on ${account.name}` }).click();
    await expect(page.getByRole('heading', { level: 1, name: account.name })).toBeVisible();
    await bell.click();
    await expect(caseNotice).toBeVisible();
    await expect(caseNotice).not.toContainText('Unread');
    await expect(taskNotice).toContainText('Unread');

    // Mark all as read clears the count (again, should the daily run have added one meanwhile).
    await expect(async () => {
      const markAll = page.getByRole('button', { name: 'Mark all as read' });
      if (await markAll.isEnabled()) await markAll.click();
      await expect(bell).toHaveAccessibleName('Notifications, none unread', { timeout: 3000 });
    }).toPass();
    await expect(taskNotice).not.toContainText('Unread');
  } finally {
    await adminContext.close();
  }
});

// A play creates tasks while the CSM is on their inbox: the tasks arrive without a reload, and
// marking one done records it on the account.
import { expect, logIn, openFromNav, test } from './fixtures';

test('tasks from a play arrive in the inbox live and are marked done', async ({ browser }) => {
  const adminContext = await browser.newContext();
  const csmContext = await browser.newContext();
  const admin = await adminContext.newPage();
  const csm = await csmContext.newPage();
  try {
    await logIn(csm, 'csm6@retain.demo');
    await openFromNav(csm, 'Tasks');

    // The weekly reminder play: every open case without an update for a week gets a task.
    await logIn(admin, 'admin@retain.demo');
    const session = (await (await admin.request.get('/api/v1/auth/session')).json()) as { csrfToken: string };
    const play = (await (await admin.request.get('/api/v1/plays/update_risk_status_reminder')).json()) as {
      active: boolean;
      version: number;
    };
    if (!play.active) {
      const on = await admin.request.patch('/api/v1/plays/update_risk_status_reminder', {
        headers: { 'x-csrf-token': session.csrfToken },
        data: { active: true, version: play.version },
      });
      expect(on.ok()).toBe(true);
    }

    // The server's play runner picks the play up within a couple of seconds; the inbox updates itself.
    const arrived = csm.locator('.task', { hasText: 'Write the weekly risk update for' }).first();
    await expect(arrived).toBeVisible({ timeout: 60_000 });
    // More tasks keep arriving while the runner works through the book: hold on to this one by its title.
    const title = await arrived.locator('strong').innerText();
    const account = title.replace('Write the weekly risk update for ', '');
    const task = csm.locator('.task').filter({ has: csm.getByText(title, { exact: true }) });
    await expect(task).toHaveCount(1);
    await task.getByRole('button', { name: 'Mark done' }).click();
    await expect(task).toHaveCount(0);

    await csm.getByLabel('Show', { exact: true }).selectOption('done');
    const done = csm.locator('.task').filter({ has: csm.getByText(title, { exact: true }) });
    await expect(done).toBeVisible();
    await done.getByRole('link', { name: account }).click();
    await expect(csm.getByRole('heading', { level: 1, name: account })).toBeVisible();
    const tasks = csm.getByRole('region', { name: 'Tasks' });
    await expect(tasks.locator('.task-done', { hasText: title })).toContainText('Done');
  } finally {
    await adminContext.close();
    await csmContext.close();
  }
});

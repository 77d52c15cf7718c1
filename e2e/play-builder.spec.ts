// An admin builds a digital play in the form builder: the server's check names a missing field,
// the play is created off, previewed with a dry run, then edited into a second version.
import { expect, logIn, openFromNav, test } from './fixtures';

test('builds a play from a trigger and steps, previews it, and saves a new version', async ({ page }) => {
  await logIn(page, 'admin@retain.demo');
  await openFromNav(page, 'Playbooks');
  await page.getByRole('button', { name: 'New play' }).click();
  const form = page.getByRole('form', { name: 'New play' });
  await form.getByLabel('Name', { exact: true }).fill('Digital nudge for small accounts');
  await form.getByLabel('Trigger', { exact: true }).selectOption('segment_entered');
  await form.getByLabel('Segment', { exact: true }).selectOption('accounts_at_risk');
  await form.getByLabel(/Only for accounts matching/).fill('arr < 20000');
  await form.getByLabel(/Hold out/).fill('20');

  // Step 1 stays a task with no title: the API refuses and says which field.
  await form.getByRole('button', { name: /^Create play/ }).click();
  await expect(form.getByRole('alert')).toContainText('title');

  await form.getByLabel('Step 1', { exact: true }).selectOption('email');
  await form.getByLabel('To', { exact: true }).selectOption('contacts');
  await form.getByLabel('Subject', { exact: true }).fill('Getting more from {{account.name}}');
  await form
    .getByLabel(/^Body/)
    .fill('Hello {{contact.name}}, here are three things teams like yours use every week.');
  await form.getByRole('button', { name: 'Add a step' }).click();
  await form.getByLabel('Step 2', { exact: true }).selectOption('wait');
  await form.getByLabel('Days', { exact: true }).fill('7');
  await form.getByRole('button', { name: 'Add a step' }).click();
  await form.getByLabel('Step 3', { exact: true }).selectOption('action');
  await form.getByLabel('Case change', { exact: true }).selectOption('set_stage');
  await form.getByLabel('Stage', { exact: true }).selectOption('saving');
  await form.getByRole('button', { name: 'Move step 3 up' }).click();
  await expect(form.getByLabel('Step 2', { exact: true })).toHaveValue('action');
  await form.getByRole('button', { name: /^Create play/ }).click();

  const play = page.locator('.play', { hasText: 'Digital nudge for small accounts' });
  await expect(play.locator('.status')).toHaveText('off');
  await expect(play).toContainText('When: An account enters the segment Accounts at Risk');
  await expect(play.locator('.steps li')).toHaveText([
    'Email to the contacts: Getting more from {{account.name}}',
    'Case: move to Saving',
    'Wait 7 days',
  ]);
  await play.getByRole('button', { name: 'Who would enter now?' }).click();
  await expect(play.locator('.panel')).toContainText(
    /\d+ accounts would enter now: \d+ treated, \d+ held out/,
  );

  await play.getByRole('button', { name: 'Edit definition' }).click();
  await play.getByLabel('Days', { exact: true }).fill('14');
  await play.getByRole('button', { name: 'Save new version' }).click();
  await expect(play.locator('.steps li').nth(2)).toHaveText('Wait 14 days');
  const versions = await page.request.get('/api/v1/plays/digital_nudge_for_small_accounts/versions');
  expect(((await versions.json()) as { items: unknown[] }).items).toHaveLength(2);
});

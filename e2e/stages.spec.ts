// Settings → Stages: an admin adds a stage, which goes after the open stages, and moves it; the
// closed stages stay last.
import AxeBuilder from '@axe-core/playwright';
import { expect, logIn, openFromNav, test } from './fixtures';

test('an admin adds a stage and changes the order of the stages', async ({ page }) => {
  await logIn(page, 'admin@retain.demo');
  await openFromNav(page, 'Settings');
  await page.getByRole('tab', { name: 'Stages and reasons' }).click();
  const list = page.getByRole('list', { name: 'Stages in order' });
  const names = () => list.getByRole('textbox');
  await expect(names()).toHaveCount(5);

  const form = page.getByRole('form', { name: 'Add a stage' });
  await form.getByLabel('Stage name').fill('Executive escalation');
  await expect(form.getByLabel('Key (for imports and the API)')).toHaveValue('executive_escalation');
  await form.getByRole('button', { name: 'Add stage' }).click();
  await expect(names()).toHaveCount(6);
  await expect(list.getByRole('listitem').nth(3).getByRole('textbox')).toHaveValue('Executive escalation');

  // Closed stages move only among themselves: the first closed one cannot go up, the last open one
  // cannot go down.
  await expect(page.getByRole('button', { name: 'Move Closed - Recovered up' })).toBeDisabled();
  await expect(page.getByRole('button', { name: 'Move Executive escalation down' })).toBeDisabled();
  await page.getByRole('button', { name: 'Move Executive escalation up' }).click();
  await expect(list.getByRole('listitem').nth(2).getByRole('textbox')).toHaveValue('Executive escalation');
  await expect(list.getByRole('listitem').nth(3).getByRole('textbox')).toHaveValue('Saving');
  await page.getByRole('button', { name: 'Move Closed - Lost up' }).click();
  await expect(list.getByRole('listitem').nth(4).getByRole('textbox')).toHaveValue('Closed - Lost');

  // The order holds after a reload.
  await page.reload();
  await page.getByRole('tab', { name: 'Stages and reasons' }).click();
  await expect(list.getByRole('listitem').nth(2).getByRole('textbox')).toHaveValue('Executive escalation');
  const results = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa']).analyze();
  expect(
    results.violations.map((violation) => `${violation.id} ${violation.nodes[0]?.target.join(' ')}`),
  ).toEqual([]);

  // Put back as the demo had it, with the new stage retired, for the tests that follow.
  await page.getByRole('button', { name: 'Move Executive escalation down' }).click();
  await expect(list.getByRole('listitem').nth(3).getByRole('textbox')).toHaveValue('Executive escalation');
  await page.getByRole('button', { name: 'Move Closed - Recovered up' }).click();
  await expect(list.getByRole('listitem').nth(4).getByRole('textbox')).toHaveValue('Closed - Recovered');
  // The box shows what the server holds, so it changes once the change is saved.
  const inUse = list.getByRole('listitem').nth(3).getByRole('checkbox', { name: 'In use' });
  await inUse.click();
  await expect(inUse).not.toBeChecked();
});

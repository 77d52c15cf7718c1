// A CSM works one of their cases from the worklist through every stage, writing the weekly update
// on the way, and the account page shows all of it.
import { me, openCases } from './api';
import { expect, logIn, test } from './fixtures';

test('moves a case through every stage and writes the weekly update', async ({ page }) => {
  await logIn(page, 'csm2@retain.demo');
  const user = await me(page);
  const [riskCase] = await openCases(page, { stage: 'at_risk', ownerId: user.id, limit: 1 });
  if (!riskCase) throw new Error('the demo book gives csm2 a case at risk');
  const name = riskCase.account.name;

  // Find it on the worklist and move it on in place.
  await page.getByLabel('Search').fill(name);
  const row = page.locator('tr', { has: page.getByRole('link', { name }) });
  await expect(row).toHaveCount(1);
  const stage = row.getByLabel(`Stage of ${name}`);
  await expect(stage).toBeEnabled();
  await stage.selectOption('plan_in_place');
  await expect(stage).toHaveValue('plan_in_place');

  // On the account page: the rest of the stages, and the weekly update.
  await row.getByRole('link', { name }).click();
  await expect(page.getByRole('heading', { level: 1, name })).toBeVisible();
  const caseStage = page.getByLabel(`Stage of ${name}`);
  await expect(caseStage).toHaveValue('plan_in_place');
  await caseStage.selectOption('saving');
  await expect(page.locator('.stage-times')).toContainText('Saving');

  const form = page.getByRole('form', { name: 'Write the weekly update' });
  await form.getByLabel('Background').fill('Usage fell after their admin left; renewal in 90 days.');
  await form.getByLabel("What we've done so far").fill('Met the new admin and booked a training session.');
  await form.getByLabel('Next steps').fill('Run the training on Tuesday and review usage a week later.');
  await form.getByRole('button', { name: 'Save update' }).click();
  const updates = page.locator('.updates');
  await expect(updates).toContainText('Met the new admin and booked a training session.');
  await page.reload();
  await expect(page.locator('.updates .update').first()).toContainText('Run the training on Tuesday');

  await caseStage.selectOption('closed_recovered');
  await expect(page.locator('#case-title')).toContainText('closed');
  // A closed case takes no weekly update; reopening it brings the form back.
  await expect(page.getByRole('form', { name: 'Write the weekly update' })).toHaveCount(0);
  await caseStage.selectOption('at_risk');
  await expect(page.locator('#case-title')).toContainText('open');
  await expect(page.getByRole('form', { name: 'Write the weekly update' })).toBeVisible();
  await caseStage.selectOption('closed_lost');
  await expect(page.locator('#case-title')).toContainText('closed');

  // Every move is in the stage times and the audit trail.
  const times = page.locator('.stage-times');
  for (const label of ['At Risk', 'Plan in Place', 'Saving', 'Closed - Recovered', 'Closed - Lost'])
    await expect(times).toContainText(label);
  const audit = page.locator('.audit');
  await expect(audit).toContainText('at risk → plan in place');
  await expect(audit).toContainText('plan in place → saving');
  await expect(audit).toContainText('saving → closed recovered');
  await expect(audit).toContainText('closed recovered → at risk');
  await expect(audit).toContainText('at risk → closed lost');
  await expect(audit).toContainText('weekly update');
});

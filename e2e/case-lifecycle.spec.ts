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

  // Closing is confirmed, with a note.
  await caseStage.selectOption('closed_recovered');
  const closeRecovered = page.getByRole('form', { name: `Close the case of ${name}` });
  await expect(closeRecovered).toContainText('Close the case as Closed - Recovered?');
  await closeRecovered.getByLabel('How it was saved').fill('Training landed; usage back to normal.');
  await closeRecovered.getByRole('button', { name: 'Close as Closed - Recovered' }).click();
  await expect(page.locator('#case-title')).toContainText('closed');
  // A closed case takes no weekly update; reopening it brings the form back.
  await expect(page.getByRole('form', { name: 'Write the weekly update' })).toHaveCount(0);
  await caseStage.selectOption('at_risk');
  await expect(page.locator('#case-title')).toContainText('open');
  await expect(page.getByRole('form', { name: 'Write the weekly update' })).toBeVisible();
  // Choosing Closed - Lost closes nothing until the loss note and the separation survey are given;
  // cancelling leaves the case as it was.
  await caseStage.selectOption('closed_lost');
  const closeLost = page.getByRole('form', { name: `Close the case of ${name}` });
  await expect(closeLost).toContainText('The account counts as churned from today');
  await closeLost.getByRole('button', { name: 'Cancel' }).click();
  await expect(closeLost).toBeHidden();
  await expect(caseStage).toHaveValue('at_risk');
  await expect(page.locator('#case-title')).toContainText('open');
  await caseStage.selectOption('closed_lost');
  await closeLost.getByRole('button', { name: 'Close as Closed - Lost' }).click();
  // The loss note is required: the browser keeps the form open.
  await expect(closeLost).toBeVisible();
  await expect(page.locator('#case-title')).toContainText('open');
  await closeLost.getByLabel('What happened (loss note)').fill('Moved to a competitor after a price review.');
  await closeLost.getByLabel('Main reason they gave').selectOption({ label: 'Poor financial standing' });
  await closeLost.getByLabel('Would they come back?').selectOption('yes');
  await closeLost.getByLabel('Leaving for (competitor)').fill('Acme Analytics');
  await closeLost.getByLabel('Their words').fill('Budget was cut by half this year.');
  await closeLost.getByRole('button', { name: 'Close as Closed - Lost' }).click();
  await expect(page.locator('#case-title')).toContainText('closed');
  const survey = page.locator('section[aria-labelledby="case-title"]');
  await expect(survey).toContainText('Separation survey');
  await expect(survey).toContainText('Poor financial standing');
  await expect(survey).toContainText('Acme Analytics');
  await expect(survey).toContainText('Budget was cut by half this year.');

  // Every move is in the stage times and the audit trail.
  const times = page.locator('.stage-times');
  for (const label of ['At Risk', 'Plan in Place', 'Saving', 'Closed - Recovered', 'Closed - Lost'])
    await expect(times).toContainText(label);
  // The audit trail speaks in names, with who did it.
  const audit = page.locator('.audit');
  await expect(audit).toContainText('Stage changed At Risk → Plan in Place.');
  await expect(audit).toContainText('Plan in Place → Saving.');
  await expect(audit).toContainText(
    'Case closed Saving → Closed - Recovered. Note: “Training landed; usage back to normal.”',
  );
  await expect(audit).toContainText('Case reopened Closed - Recovered → At Risk.');
  await expect(audit).toContainText(
    'At Risk → Closed - Lost. Note: “Moved to a competitor after a price review.” The separation survey was recorded.',
  );
  await expect(audit).toContainText('Weekly update Next steps: “Run the training on Tuesday');
  await expect(audit).toContainText(`by ${user.name}`);
  await expect(audit).not.toContainText('_');
});

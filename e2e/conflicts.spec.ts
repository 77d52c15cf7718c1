// Two people editing the same thing at once: the second save never silently undoes the first. It
// gets a conflict that says what the other person changed, and can save both changes together.
import { me, openCases } from './api';
import { DEMO_REASON_NAMES } from './constants';
import { expect, logIn, test } from './fixtures';

test('reasons: a save over someone else’s change shows their change and keeps both', async ({ browser }) => {
  const csmContext = await browser.newContext();
  const leadContext = await browser.newContext();
  const csm = await csmContext.newPage();
  const lead = await leadContext.newPage();
  try {
    await logIn(csm, 'csm1@retain.demo');
    await logIn(lead, 'lead1@retain.demo');
    const user = await me(csm);
    const [riskCase] = await openCases(csm, { ownerId: user.id, limit: 1 });
    if (!riskCase) throw new Error('the demo book gives csm1 an open case');
    const name = riskCase.account.name;
    const [csmAdds, leadAdds] = DEMO_REASON_NAMES.filter(
      (reason) => !riskCase.reasons.some((one) => one.name === reason),
    );
    if (!csmAdds || !leadAdds) throw new Error('the case has room for two more reasons');
    for (const page of [csm, lead]) {
      await page.getByLabel('Search').fill(name);
      await expect(page.getByRole('button', { name: `Edit reasons of ${name}` })).toBeVisible();
    }

    // The lead opens the editor first; the CSM adds a reason meanwhile.
    await lead.getByRole('button', { name: `Edit reasons of ${name}` }).click();
    const leadEditor = lead.getByRole('form', { name: `Reasons of ${name}` });
    await csm.getByRole('button', { name: `Edit reasons of ${name}` }).click();
    const csmEditor = csm.getByRole('form', { name: `Reasons of ${name}` });
    await csmEditor.getByRole('checkbox', { name: csmAdds }).check();
    await csmEditor.getByRole('button', { name: 'Save reasons' }).click();
    await expect(csmEditor).toBeHidden();

    // The lead saves what they chose from the reasons they opened with: a conflict, not an overwrite.
    await leadEditor.getByRole('checkbox', { name: leadAdds }).check();
    await leadEditor.getByRole('button', { name: 'Save reasons' }).click();
    const conflict = leadEditor.getByRole('alert');
    await expect(conflict).toContainText('changed these reasons while you were editing');
    await expect(conflict).toContainText(`Added: ${csmAdds}`);
    await expect(conflict).toContainText(`Your change: added ${leadAdds}`);
    const onCase = await openCases(lead, { ownerId: user.id, limit: 50 });
    const between = onCase.find((one) => one.id === riskCase.id);
    expect(between?.reasons.map((reason) => reason.name)).toContain(csmAdds);
    expect(between?.reasons.map((reason) => reason.name)).not.toContain(leadAdds);

    await conflict.getByRole('button', { name: 'Save both changes' }).click();
    await expect(leadEditor).toBeHidden();
    const row = csm.locator(`tr[data-case-id="${riskCase.id}"]`);
    await expect(row.locator('.chip', { hasText: leadAdds })).toBeVisible();
    await expect(row.locator('.chip', { hasText: csmAdds })).toBeVisible();
    const after = (await openCases(csm, { ownerId: user.id, limit: 50 })).find(
      (one) => one.id === riskCase.id,
    );
    expect(after?.reasons.map((reason) => reason.name)).toEqual(expect.arrayContaining([csmAdds, leadAdds]));
    await lead.screenshot({ path: 'test-results/screens/conflicts - reasons.png' });
  } finally {
    await csmContext.close();
    await leadContext.close();
  }
});

// Two people editing the same thing at once: the second save never silently undoes the first. It
// gets a conflict that says what the other person changed, and can save both changes together.
import type { Browser, Page } from '@playwright/test';
import { me, openCases } from './api';
import { DEMO_REASON_NAMES } from './constants';
import { expect, logIn, openFromNav, test } from './fixtures';

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

/**
 * Keeps a page's view as it was loaded: the live change stream answers but never delivers, as on
 * a flaky connection, so the page acts on what it shows while others change it.
 */
async function staleView(page: Page): Promise<void> {
  await page.route('**/api/v1/events', (route) =>
    route.fulfill({ status: 200, contentType: 'text/event-stream', body: 'retry: 600000\n: paused\n\n' }),
  );
}

async function twoPages(
  browser: Browser,
  first: string,
  second: string,
  run: (a: Page, b: Page) => Promise<void>,
) {
  const contexts = [await browser.newContext(), await browser.newContext()];
  try {
    const [a, b] = await Promise.all(contexts.map((context) => context.newPage()));
    if (!a || !b) throw new Error('two pages');
    await staleView(b);
    await logIn(a, first);
    await logIn(b, second);
    await run(a, b);
  } finally {
    for (const context of contexts) await context.close();
  }
}

async function caseOf(page: Page, id: number) {
  const response = await page.request.get(`/api/v1/risk-cases/${id}`);
  return (await response.json()) as {
    stage: { key: string };
    matrix: { expected: boolean | null; avoidable: boolean | null };
    updates: { background: string }[];
  };
}

test('stage and matrix: a choice made on a stale view is checked against what changed', async ({
  browser,
}) => {
  await twoPages(browser, 'csm1@retain.demo', 'lead1@retain.demo', async (csm, lead) => {
    const user = await me(csm);
    const [riskCase] = await openCases(csm, { ownerId: user.id, stage: 'at_risk', limit: 1 });
    if (!riskCase) throw new Error('the demo book gives csm1 a case at risk');
    const name = riskCase.account.name;
    for (const page of [csm, lead]) {
      await page.goto(`/accounts/${riskCase.accountId}`);
      await expect(page.getByLabel(`Stage of ${name}`)).toHaveValue('at_risk');
    }

    // The CSM moves the case on; the lead, still seeing it at risk, picks another stage.
    await csm.getByLabel(`Stage of ${name}`).selectOption('plan_in_place');
    await expect.poll(async () => (await caseOf(csm, riskCase.id)).stage.key).toBe('plan_in_place');
    await lead.getByLabel(`Stage of ${name}`).selectOption('saving');
    const conflict = lead.getByRole('alert').filter({ hasText: 'changed the stage' });
    await expect(conflict).toContainText('it is now Plan in Place. Yours, Saving, was not saved.');
    expect((await caseOf(lead, riskCase.id)).stage.key).toBe('plan_in_place');
    await conflict.getByRole('button', { name: 'Use mine: Saving' }).click();
    await expect(lead.getByLabel(`Stage of ${name}`)).toHaveValue('saving');
    expect((await caseOf(lead, riskCase.id)).stage.key).toBe('saving');
    await expect(csm.getByLabel(`Stage of ${name}`)).toHaveValue('saving');

    // The matrix: answers to different questions both stand; the same question asks.
    await csm.getByLabel('Expected?').selectOption('yes');
    await expect.poll(async () => (await caseOf(csm, riskCase.id)).matrix.expected).toBe(true);
    await lead.getByLabel('Avoidable?').selectOption('yes');
    await expect
      .poll(async () => (await caseOf(lead, riskCase.id)).matrix)
      .toEqual({
        expected: true,
        avoidable: true,
        quadrant: expect.any(String) as unknown,
      });
    await expect(lead.getByRole('alert')).toHaveCount(0);
    await csm.getByLabel('Expected?').selectOption('no');
    await expect.poll(async () => (await caseOf(csm, riskCase.id)).matrix.expected).toBe(false);
    await lead.getByLabel('Expected?').selectOption('');
    const matrixConflict = lead.getByRole('alert').filter({ hasText: 'Expected?' });
    await expect(matrixConflict).toContainText('it is now Unexpected. Yours, not decided, was not saved.');
    await matrixConflict.getByRole('button', { name: 'Keep theirs' }).click();
    await expect(lead.getByLabel('Expected?')).toHaveValue('no');
    expect((await caseOf(lead, riskCase.id)).matrix.expected).toBe(false);
    await lead.screenshot({ path: 'test-results/screens/conflicts - stage and matrix.png' });
  });
});

test('weekly update: the second writer sees the first one’s update and keeps their own', async ({
  browser,
}) => {
  await twoPages(browser, 'csm1@retain.demo', 'lead1@retain.demo', async (csm, lead) => {
    const user = await me(csm);
    const [riskCase] = await openCases(csm, { ownerId: user.id, stage: 'plan_in_place', limit: 1 });
    if (!riskCase) throw new Error('the demo book gives csm1 a case with a plan in place');
    const before = (await caseOf(csm, riskCase.id)).updates.length;
    const write = async (page: Page, who: string) => {
      await page.goto(`/accounts/${riskCase.accountId}`);
      const form = page.getByRole('form', { name: 'Write the weekly update' });
      await form.getByLabel('Background').fill(`${who}: the sponsor changed roles.`);
      await form.getByLabel("What we've done so far").fill(`${who}: met the new sponsor.`);
      await form.getByLabel('Next steps').fill(`${who}: agree a success plan.`);
      return form;
    };
    const csmForm = await write(csm, 'CSM');
    const leadForm = await write(lead, 'Lead');
    await csmForm.getByRole('button', { name: 'Save update' }).click();
    await expect(csm.locator('.updates .update').first()).toContainText('CSM: met the new sponsor.');

    await leadForm.getByRole('button', { name: 'Save update' }).click();
    const notice = leadForm.getByRole('alert');
    await expect(notice).toContainText('Someone wrote an update while you were writing yours');
    await expect(notice).toContainText('CSM: met the new sponsor.');
    await expect(leadForm.getByLabel("What we've done so far")).toHaveValue('Lead: met the new sponsor.');
    expect((await caseOf(lead, riskCase.id)).updates).toHaveLength(before + 1);
    await notice.getByRole('button', { name: 'Save mine as well' }).click();
    await expect(lead.locator('.updates .update').first()).toContainText('Lead: met the new sponsor.');
    const after = (await caseOf(lead, riskCase.id)).updates.map((update) => update.background);
    expect(after.slice(0, 2)).toEqual([
      'Lead: the sponsor changed roles.',
      'CSM: the sponsor changed roles.',
    ]);
  });
});

test('settings: another admin’s save is merged, and the same setting changed by both asks', async ({
  browser,
}) => {
  await twoPages(browser, 'admin@retain.demo', 'admin@retain.demo', async (first, second) => {
    const original = (await (await first.request.get('/api/v1/settings')).json()) as Record<string, unknown>;
    try {
      for (const page of [first, second]) {
        await openFromNav(page, 'Settings');
        await expect(page.getByLabel('Weekly update overdue after (days)')).toBeVisible();
      }
      await first.getByLabel('Weekly update overdue after (days)').fill('9');
      await first.getByLabel('Log out after idle (hours)').fill('10');
      await first.getByRole('button', { name: 'Save settings' }).click();
      await expect(first.getByText('Your changes are saved.')).toBeVisible();

      // The second admin changed one setting the first also changed, and one they did not.
      await second.getByLabel('Weekly update overdue after (days)').fill('12');
      await second.getByLabel('Closed case stays closed for (days)').fill('45');
      await second.getByRole('button', { name: 'Save settings' }).click();
      const notice = second.getByRole('alert');
      await expect(notice).toContainText('Someone saved the settings while you were editing');
      const row = notice.getByRole('row', { name: /Weekly update overdue/ });
      await expect(row.getByRole('cell')).toHaveText(['9', '12']);
      await expect(notice.getByRole('row')).toHaveCount(2);
      await notice.getByRole('button', { name: 'Keep theirs' }).click();
      await expect(second.getByLabel('Weekly update overdue after (days)')).toHaveValue('9');
      await expect(second.getByLabel('Closed case stays closed for (days)')).toHaveValue('45');
      await second.getByRole('button', { name: 'Save settings' }).click();
      await expect(second.getByText('Your changes are saved.')).toBeVisible();
      const saved = (await (await second.request.get('/api/v1/settings')).json()) as Record<string, unknown>;
      expect(saved).toMatchObject({ updateOverdueDays: 9, sessionIdleHours: 10, detectionQuietDays: 45 });
    } finally {
      const { updateOverdueDays, sessionIdleHours, detectionQuietDays } = original;
      await first.request.patch('/api/v1/settings', {
        data: { updateOverdueDays, sessionIdleHours, detectionQuietDays },
        headers: { 'x-csrf-token': await csrfOf(first) },
      });
    }
  });
});

test('scorecard weights, detection rules and plays: nothing another admin saved is undone', async ({
  browser,
}) => {
  await twoPages(browser, 'admin@retain.demo', 'admin@retain.demo', async (first, second) => {
    interface Card {
      measures: { name: string; weight: number }[];
    }
    const scorecard = (await (await first.request.get('/api/v1/health/scorecard')).json()) as Card;
    const rules = (await (await first.request.get('/api/v1/detection/rules')).json()) as {
      items: { key: string; name: string; cooldownDays: number }[];
    };
    const csrf = await csrfOf(first);
    const plays = (await (await first.request.get('/api/v1/plays')).json()) as {
      items: { key: string; definition: unknown }[];
    };
    try {
      // Weights: different measures merge; the same measure asks.
      const [one, two] = scorecard.measures;
      if (!one || !two) throw new Error('the scorecard has two measures');
      for (const page of [first, second]) {
        await openFromNav(page, 'Settings');
        await page.getByRole('tab', { name: 'Health scorecard' }).click();
        await expect(page.getByLabel(`Weight of ${one.name}`)).toBeVisible();
      }
      await first.getByLabel(`Weight of ${one.name}`).fill(String(one.weight + 5));
      await first.getByRole('button', { name: 'Save weights' }).click();
      await expect(first.getByLabel(`Weight of ${one.name}`)).toHaveValue(String(one.weight + 5));
      await expect(first.getByText('Your changes are saved.')).toBeVisible();
      await second.getByLabel(`Weight of ${two.name}`).fill(String(two.weight + 7));
      await second.getByRole('button', { name: 'Save weights' }).click();
      const weights = async () =>
        ((await (await first.request.get('/api/v1/health/scorecard')).json()) as Card).measures.map(
          (measure) => measure.weight,
        );
      await expect.poll(async () => (await weights()).slice(0, 2)).toEqual([one.weight + 5, two.weight + 7]);
      await first.getByLabel(`Weight of ${one.name}`).fill(String(one.weight + 1));
      await first.getByRole('button', { name: 'Save weights' }).click();
      await expect.poll(async () => (await weights())[0]).toBe(one.weight + 1);
      await second.getByLabel(`Weight of ${one.name}`).fill(String(one.weight + 2));
      await second.getByRole('button', { name: 'Save weights' }).click();
      const notice = second.getByRole('alert');
      await expect(
        notice.getByRole('row', { name: new RegExp(`Weight of ${one.name}`) }).getByRole('cell'),
      ).toHaveText([String(one.weight + 1), String(one.weight + 2)]);
      await notice.getByRole('button', { name: 'Save mine over theirs' }).click();
      await expect(notice).toBeHidden();
      await expect.poll(async () => (await weights()).slice(0, 2)).toEqual([one.weight + 2, two.weight + 7]);

      // Rules as JSON: each admin changes a different rule; both changes are kept.
      const [ruleA, ruleB] = rules.items;
      if (!ruleA || !ruleB) throw new Error('two detection rules');
      for (const page of [first, second]) {
        await page.getByRole('tab', { name: 'Detection rules' }).click();
        await page.getByRole('button', { name: 'Edit as JSON' }).click();
        await expect(page.getByLabel('Detection rules as JSON')).toContainText(ruleA.key);
      }
      const edited = (change: (rule: (typeof rules.items)[number]) => (typeof rules.items)[number]) =>
        JSON.stringify(rules.items.map(change), null, 2);
      await first
        .getByLabel('Detection rules as JSON')
        .fill(
          edited((rule) =>
            rule.key === ruleA.key ? { ...rule, cooldownDays: ruleA.cooldownDays + 3 } : rule,
          ),
        );
      await first.getByRole('button', { name: 'Save', exact: true }).click();
      await expect(first.getByText('Your changes are saved.')).toBeVisible();
      await second
        .getByLabel('Detection rules as JSON')
        .fill(
          edited((rule) =>
            rule.key === ruleB.key ? { ...rule, cooldownDays: ruleB.cooldownDays + 4 } : rule,
          ),
        );
      await second.getByRole('button', { name: 'Save', exact: true }).click();
      await expect(second.getByText('Your changes are saved.')).toBeVisible();
      const stored = (await (await first.request.get('/api/v1/detection/rules')).json()) as typeof rules;
      expect(stored.items.find((rule) => rule.key === ruleA.key)?.cooldownDays).toBe(ruleA.cooldownDays + 3);
      expect(stored.items.find((rule) => rule.key === ruleB.key)?.cooldownDays).toBe(ruleB.cooldownDays + 4);

      // A play's definition: a version saved meanwhile is shown, and the second becomes the next one.
      for (const page of [first, second]) {
        await openFromNav(page, 'Playbooks');
        await page.locator('.play').first().getByRole('button', { name: 'Edit definition' }).click();
      }
      const played = first.locator('.play').first();
      const key = await played.getAttribute('data-play-key');
      const versionsOf = async () =>
        ((await (await first.request.get(`/api/v1/plays/${key}/versions`)).json()) as { items: unknown[] })
          .items.length;
      const versions = await versionsOf();
      await played.getByLabel(/Hold out/).fill('10');
      await played.getByRole('button', { name: 'Save new version' }).click();
      await expect(played.getByRole('button', { name: 'Save new version' })).toBeHidden();
      const other = second.locator('.play').first();
      await other.getByLabel(/Hold out/).fill('15');
      await other.getByRole('button', { name: 'Save new version' }).click();
      const playNotice = other.getByRole('alert');
      await expect(playNotice).toContainText(`Someone saved version ${versions + 1} of this play`);
      await playNotice.getByRole('button', { name: `Save mine as version ${versions + 2}` }).click();
      await expect(other.getByRole('button', { name: 'Save new version' })).toBeHidden();
      expect(await versionsOf()).toBe(versions + 2);
      const saved = (await (await first.request.get(`/api/v1/plays/${key}`)).json()) as {
        definition: { holdoutPercent: number };
      };
      expect(saved.definition.holdoutPercent).toBe(15);
    } finally {
      await first.request.put('/api/v1/health/scorecard', {
        data: scorecard,
        headers: { 'x-csrf-token': csrf },
      });
      await first.request.put('/api/v1/detection/rules', { data: rules, headers: { 'x-csrf-token': csrf } });
      const [play] = plays.items;
      if (play)
        await first.request.patch(`/api/v1/plays/${play.key}`, {
          data: { definition: play.definition },
          headers: { 'x-csrf-token': csrf },
        });
    }
  });
});

async function csrfOf(page: Page): Promise<string> {
  const response = await page.request.get('/api/v1/auth/session');
  return ((await response.json()) as { csrfToken: string }).csrfToken;
}

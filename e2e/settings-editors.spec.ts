// An admin tunes detection and scoring in forms: a rule is changed and added without writing JSON
// (the server's check names what is wrong), and new weights are previewed as band counts before
// they are saved, then the book is re-scored on demand.
import { expect, logIn, openFromNav, test } from './fixtures';

test('detection rules in a form, and scorecard weights previewed before saving', async ({ page }) => {
  await logIn(page, 'admin@retain.demo');
  const csrf = ((await (await page.request.get('/api/v1/auth/session')).json()) as { csrfToken: string })
    .csrfToken;
  const rules = (await (await page.request.get('/api/v1/detection/rules')).json()) as {
    items: { key: string; name: string; cooldownDays: number }[];
  };
  const scorecard: unknown = await (await page.request.get('/api/v1/health/scorecard')).json();
  const [first] = rules.items;
  if (!first) throw new Error('the demo has detection rules');
  try {
    await openFromNav(page, 'Settings');
    await page.getByRole('tab', { name: 'Detection rules' }).click();
    const form = page.getByRole('form', { name: 'Detection rules' });
    await form.getByLabel(`Cool-down (days) (${first.name})`).fill(String(first.cooldownDays + 2));

    // A new rule on a measure with neither bound: the server says what is missing.
    await form.getByRole('button', { name: 'Add a rule' }).click();
    await form.getByLabel('Name (New rule)').fill('Quiet account');
    await form.getByLabel('When (Quiet account)').selectOption('measure');
    await form.getByLabel('Measure (Quiet account)').selectOption('days_since');
    await form.getByLabel('At most (empty: no upper bound) (Quiet account)').fill('');
    await form.getByRole('button', { name: 'Save rules' }).click();
    await expect(form.getByRole('alert')).toContainText('a measure rule needs a min or a max');
    await form.getByLabel('At least (empty: no lower bound) (Quiet account)').fill('21');
    await form.getByRole('button', { name: 'Save rules' }).click();
    await expect(form.getByText('Your changes are saved.')).toBeVisible();
    const saved = (await (await page.request.get('/api/v1/detection/rules')).json()) as {
      items: { key: string; name: string; cooldownDays: number; active: boolean; condition: unknown }[];
    };
    expect(saved.items.find((rule) => rule.key === first.key)?.cooldownDays).toBe(first.cooldownDays + 2);
    expect(saved.items.find((rule) => rule.name === 'Quiet account')).toMatchObject({
      active: false,
      condition: {
        kind: 'measure',
        input: { kind: 'days_since', metric: 'usage.active_users' },
        min: 21,
        max: null,
      },
    });

    // Weights: the band counts with the new weights, before anything is saved.
    await page.getByRole('tab', { name: 'Health scorecard' }).click();
    const weight = page.getByLabel(/^Weight of /).first();
    await weight.fill('90');
    await page.getByRole('button', { name: 'Preview the bands' }).click();
    const preview = page.getByRole('table', {
      name: /With these weights, [\d,]+ of [\d,]+ accounts would change band/,
    });
    await expect(preview).toBeVisible();
    await expect(preview.getByRole('columnheader', { name: 'With these weights' })).toBeVisible();
    expect(await page.request.get('/api/v1/health/scorecard').then((r) => r.json())).toEqual(scorecard);
    await page.getByRole('button', { name: 'Re-score now' }).click();
    await expect(page.getByText(/^Re-scored [\d,]+ accounts: [\d,]+ changed band/)).toBeVisible({
      timeout: 60_000,
    });
  } finally {
    await page.request.put('/api/v1/detection/rules', { data: rules, headers: { 'x-csrf-token': csrf } });
    await page.request.put('/api/v1/health/scorecard', {
      data: scorecard,
      headers: { 'x-csrf-token': csrf },
    });
  }
});

test('an admin tries a change to the rules on the stored history before saving it', async ({ page }) => {
  await logIn(page, 'admin@retain.demo');
  const before: unknown = await (await page.request.get('/api/v1/detection/rules')).json();
  await openFromNav(page, 'Settings');
  await page.getByRole('tab', { name: 'Detection rules' }).click();
  const trial = page.getByRole('region', { name: 'Try the rules on history' });
  await trial.getByRole('button', { name: 'Backtest the live rules' }).click();
  const result = trial.getByTestId('rules-backtest');
  await expect(result).toContainText(
    /180 days, [\d,]+ accounts, \d+ left\. Replayed in [\d.]+ s; nothing was written\./,
    {
      timeout: 60_000,
    },
  );
  await expect(result.getByRole('columnheader', { name: 'Live rules' })).toBeVisible();
  await expect(result.getByRole('rowheader', { name: 'Active users declining' })).toBeVisible();

  // A change in the form is replayed beside the live rules, and nothing is saved.
  const form = page.getByRole('form', { name: 'Detection rules' });
  await form.getByLabel('Holds for (days in a row) (Active users declining)').fill('1');
  await trial.getByRole('button', { name: 'Try my changes on history' }).click();
  await expect(result.getByRole('columnheader', { name: 'Your changes' })).toBeVisible({ timeout: 60_000 });
  await expect(result.getByRole('heading', { name: 'What your changes would change' })).toBeVisible();
  await expect(result.getByRole('row', { name: /^Accounts flagged \d+ \d+$/ })).toBeVisible();
  expect(await (await page.request.get('/api/v1/detection/rules')).json()).toEqual(before);
});

// Segments: an admin finds the saved segments with their counts, writes a new one with a mistake
// in its filter (told where it is), fixes it (sees how many accounts match and the first of them),
// saves it (counted at once), reads its members and who entered, is told when someone else changed
// it meanwhile, and takes it into a new play. A viewer reads the same screens without a way to change them.
import AxeBuilder from '@axe-core/playwright';
import type { Page } from '@playwright/test';
import { expect, logIn, openFromNav, test } from './fixtures';

interface SegmentRow {
  id: number;
  key: string;
  name: string;
  memberCount: number;
  version: number;
}

async function csrf(page: Page): Promise<string> {
  const session = (await (await page.request.get('/api/v1/auth/session')).json()) as { csrfToken: string };
  return session.csrfToken;
}

async function segments(page: Page): Promise<SegmentRow[]> {
  const response = await page.request.get('/api/v1/segments');
  return ((await response.json()) as { items: SegmentRow[] }).items;
}

async function axeViolations(page: Page): Promise<string[]> {
  const results = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa']).analyze();
  return results.violations.map(
    (violation) => `${violation.id} (${violation.nodes.length}) ${violation.nodes[0]?.target.join(' ')}`,
  );
}

const FIXED = 'arr >= 100000 and health.score is not empty';

test('an admin writes a segment, checked as typed, opens it and takes it into a play', async ({ page }) => {
  await logIn(page, 'admin@retain.demo');
  await openFromNav(page, 'Segments');
  const atRisk = (await segments(page)).find((segment) => segment.key === 'accounts_at_risk');
  if (!atRisk) throw new Error('the demo book has the Accounts at Risk segment');
  const row = page.locator('tr[data-segment-key="accounts_at_risk"]');
  await expect(row.getByRole('link', { name: atRisk.name })).toBeVisible();
  await expect(row.locator('td.num')).toHaveText(atRisk.memberCount.toLocaleString('en-US'));

  await page.getByRole('button', { name: 'New segment' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'New segment' })).toBeVisible();
  const form = page.getByRole('form', { name: 'New segment' });
  await form.getByLabel('Name', { exact: true }).fill('Six-figure accounts');
  await form.getByLabel('Description', { exact: true }).fill('Our biggest customers, once scored');
  const filter = form.getByLabel('Filter', { exact: true });
  await filter.fill('arr >= 100000 and seats > 5');
  // The mistake: the message names the field and its position, and the caret points at it.
  await expect(form.getByText('Unknown field "seats" (at position 19).')).toBeVisible();
  await expect(filter).toHaveAttribute('aria-invalid', 'true');
  const caret = form.getByTestId('filter-caret');
  await expect(caret.locator('mark')).toHaveText('seats');
  // Under the offending word, column for column (the text as written, not whitespace-collapsed).
  await expect.poll(() => caret.textContent()).toBe(`arr >= 100000 and seats > 5\n${' '.repeat(18)}^^^^^`);
  // The help lists the fields the language knows.
  await form.getByText('How to write a filter').click();
  await expect(form.locator('.field-names')).toContainText('health.change(<n>d)');
  expect(await axeViolations(page)).toEqual([]);

  await filter.fill(FIXED);
  const preview = await page.request.post('/api/v1/segments/preview?limit=5', {
    headers: { 'x-csrf-token': await csrf(page) },
    data: { filter: FIXED },
  });
  const expected = (await preview.json()) as { count: number; items: { name: string }[] };
  expect(expected.count).toBeGreaterThan(0);
  await expect(form.locator('.filter-preview')).toContainText(
    `Matches ${expected.count.toLocaleString('en-US')} account`,
  );
  await expect(filter).toHaveAttribute('aria-invalid', 'false');
  const first = form.locator('.filter-preview tbody tr').first();
  await expect(first.locator('td').first()).toHaveText(expected.items[0]!.name);
  await expect(first.locator('td.num')).toHaveText(/^\$\d{3},\d{3}|^\$\d,\d{3},\d{3}/);
  await expect(first.locator('.band')).toBeVisible();
  await form.getByRole('button', { name: 'Save segment' }).click();

  // Its page: counted as it was saved, so its members and who entered are there at once.
  await expect(page.getByRole('heading', { level: 1, name: 'Six-figure accounts' })).toBeVisible();
  const facts = page.locator('dl.facts');
  await expect(facts).toContainText(`Members${expected.count.toLocaleString('en-US')}`);
  const members = page.locator('section', { has: page.getByRole('heading', { name: 'Members' }) });
  await expect(members.locator('tbody tr')).toHaveCount(Math.min(expected.count, 25));
  await expect(members.getByRole('link', { name: expected.items[0]!.name })).toHaveAttribute(
    'href',
    /^\/accounts\/\d+$/,
  );
  const history = page.locator('section', { has: page.getByRole('heading', { name: 'Entries and exits' }) });
  await expect(history.locator('li').first()).toContainText('Entered');
  await expect(history.getByRole('link', { name: expected.items[0]!.name })).toBeVisible();
  await page.getByRole('button', { name: 'Count now' }).click();
  await expect(page.getByTestId('live-count')).toHaveText(expected.count.toLocaleString('en-US'));
  await page.getByRole('button', { name: 'Refresh membership' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'Membership refreshed' })).toHaveText(
    'Membership refreshed: 0 entered, 0 left.',
  );
  expect(await axeViolations(page)).toEqual([]);

  // Someone else renames it while this admin edits the name too: the save says so and loses nothing.
  const saved = (await segments(page)).find((segment) => segment.name === 'Six-figure accounts');
  if (!saved) throw new Error('the segment was saved');
  await page.getByRole('link', { name: 'Edit segment' }).click();
  const edit = page.getByRole('form', { name: 'Edit Six-figure accounts' });
  await edit.getByLabel('Name', { exact: true }).fill('Largest accounts');
  const theirs = await page.request.patch(`/api/v1/segments/${saved.id}`, {
    headers: { 'x-csrf-token': await csrf(page) },
    data: { name: 'Top accounts', version: saved.version },
  });
  expect(theirs.ok()).toBe(true);
  await edit.getByRole('button', { name: 'Save changes' }).click();
  const conflict = edit.getByRole('alert').filter({ hasText: 'Someone else changed this segment' });
  await expect(conflict).toContainText('Name is now Top accounts; yours: Largest accounts');
  await conflict.getByRole('button', { name: 'Save mine over theirs' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Largest accounts' })).toBeVisible();

  await page.getByRole('link', { name: 'Use in a play' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Playbooks' })).toBeVisible();
  const play = page.getByRole('form', { name: 'New play' });
  await expect(play.getByLabel('Trigger', { exact: true })).toHaveValue('segment_entered');
  await expect(play.getByLabel('Segment', { exact: true })).toHaveValue(saved.key);
  await expect(play.getByLabel('Segment', { exact: true }).locator('option:checked')).toHaveText(
    'Largest accounts',
  );

  // Deleting asks first, and says what uses the segment.
  await page.goto(`/segments/${saved.id}/edit`);
  await page.getByRole('button', { name: 'Delete segment' }).click();
  const question = page.getByRole('alertdialog');
  await expect(question).toContainText('Delete “Largest accounts”?');
  await question.getByRole('button', { name: 'Keep it' }).click();
  await expect(question).toHaveCount(0);
  await page.getByRole('button', { name: 'Delete segment' }).click();
  await page.getByRole('alertdialog').getByRole('button', { name: 'Delete for good' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Segments' })).toBeVisible();
  await expect(page.locator('tr[data-segment-key="accounts_at_risk"]')).toBeVisible();
  await expect(page.getByRole('link', { name: 'Largest accounts' })).toHaveCount(0);
});

test('a viewer reads segments and their members, with nothing to change', async ({ page }) => {
  await logIn(page, 'viewer@retain.demo');
  await openFromNav(page, 'Segments');
  await expect(page.locator('tr[data-segment-key="accounts_at_risk"]')).toBeVisible();
  await expect(page.getByRole('button', { name: 'New segment' })).toHaveCount(0);
  await page.locator('tr[data-segment-key="accounts_at_risk"]').getByRole('link').click();
  await expect(page.getByRole('heading', { name: 'Members' })).toBeVisible();
  await expect(
    page
      .locator('section', { has: page.getByRole('heading', { name: 'Members' }) })
      .locator('tbody tr')
      .first(),
  ).toBeVisible();
  await expect(page.getByRole('link', { name: 'Edit segment' })).toHaveCount(0);
  await expect(page.getByRole('button', { name: 'Refresh membership' })).toHaveCount(0);
  await expect(page.getByRole('link', { name: 'Use in a play' })).toHaveCount(0);
  // Anyone may count it now; the figure appears beside the one from the last refresh.
  await page.getByRole('button', { name: 'Count now' }).click();
  await expect(page.getByTestId('live-count')).toHaveText(/^\d[\d,]*$/);
  await page.goto('/segments/new');
  await expect(page.getByText('Only leads and admins change segments.')).toBeVisible();
  await expect(page.getByRole('form', { name: 'New segment' })).toHaveCount(0);
});

// The scorecard on the demo book (six months of case history, no daily snapshots before today):
// the cards case history can answer for show a trend backfilled from it, labelled as such; the
// others say why their trend starts with the first daily snapshot.
import { expect, logIn, openFromNav, test } from './fixtures';

test('scorecard: accounts at risk has a trend backfilled from case history', async ({ page }) => {
  await logIn(page, 'admin@retain.demo');
  await openFromNav(page, 'Scorecard');
  const card = page.getByRole('listitem').filter({
    has: page.getByRole('heading', { level: 2, name: 'Accounts at risk', exact: true }),
  });
  // A team's view has no derived history: past team membership is not kept.
  await page.getByLabel('Team').selectOption({ index: 1 });
  await expect(card.getByText(/Which team each account belonged to on past days is not kept/)).toBeVisible();
  await page.getByLabel('Team').selectOption({ label: 'All teams' });

  // The whole book: the trend comes from case history, dashed and labelled.
  await expect(
    card.getByRole('img', {
      name: /^Accounts at risk over the last \d+ days, \d+ of them from case history, backfilled$/,
    }),
  ).toBeVisible();
  await expect(card.getByText('From case history, backfilled')).toBeVisible();
  // No daily snapshot was taken before today, so every past day is a backfilled one.
  await expect(card.getByText('Recorded daily')).toHaveCount(0);
  // The line is drawn: uPlot paints into a canvas inside the trend.
  await expect(card.locator('.sparkline canvas')).toHaveCount(1);

  // Gross revenue churn depends on account ARR, which is not kept day by day.
  const churn = page.getByRole('listitem').filter({
    has: page.getByRole('heading', { level: 2, name: 'Gross revenue churn', exact: true }),
  });
  await expect(churn.getByText(/^No trend yet\. It depends on account ARR/)).toBeVisible();
  await expect(churn.getByRole('img')).toHaveCount(0);
});

// The model figures in docs/churn-model.md are what a fresh run prints: this reruns the documented
// commands on the vendored datasets and compares.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { retain } from '../helpers/cli';

const ROOT = resolve(import.meta.dirname, '../..');
const dir = mkdtempSync(join(tmpdir(), 'retain-figures-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const db = join(dir, 'retain.db');
const data = (path: string) => join(ROOT, 'datasets', path);

/** The documented table row that starts with `label`, split into its cells. */
function documented(label: string): string[] {
  const doc = readFileSync(join(ROOT, 'docs/churn-model.md'), 'utf8');
  const line = doc.split('\n').find((row) => row.startsWith(`| ${label}`));
  if (!line) throw new Error(`docs/churn-model.md has no row for ${label}`);
  return line
    .split('|')
    .slice(1, -1)
    .map((cell) => cell.trim());
}

/** Held-out rows, AUC, top-10% lift and (with repeats) mean AUC, as printed. */
async function figures(args: string[]) {
  const run = await retain([...args, '--db', db]);
  expect(run.stderr).toBe('');
  const out = run.stdout;
  const rows = /Accounts (\d+), churned/.exec(out)?.[1] ?? '';
  return {
    rows: Number(rows).toLocaleString('en-US'),
    auc: /ROC AUC (\d\.\d{3})/.exec(out)?.[1],
    lift: /top 10% +\d+ +\d+ +[\d.]+% +[\d.]+% +([\d.]+x)/.exec(out)?.[1],
    mean: /Mean held-out AUC (\d\.\d{3})/.exec(out)?.[1] ?? '-',
  };
}

describe('documented model figures', () => {
  it('bank and RavenStack', async () => {
    const bank = await figures([
      'fit',
      data('bank-churn-modelling/Churn_Modelling.csv'),
      '--label',
      'Exited',
      '--id',
      'CustomerId',
      '--repeats',
      '5',
    ]);
    expect(documented('bank')).toEqual([
      'bank `Churn_Modelling.csv`',
      bank.rows,
      bank.auc,
      bank.lift,
      bank.mean,
    ]);
    // The figure that the bar is set against: above plain logistic regression, near boosting.
    expect(Number(bank.mean)).toBeGreaterThan(0.836);
    const raven = await figures([
      'fit',
      data('ravenstack-saas/ravenstack_accounts.csv'),
      '--label',
      'churn_flag',
      '--id',
      'account_id',
      '--repeats',
      '5',
    ]);
    expect(documented('RavenStack')).toEqual([
      'RavenStack `ravenstack_accounts.csv`',
      raven.rows,
      raven.auc,
      raven.lift,
      raven.mean,
    ]);
  });

  it('telecom, on repeated splits of the 80% file and on the 20% file', async () => {
    const split = await figures([
      'fit',
      data('telecom-bigml-churn/churn-bigml-80.csv'),
      '--label',
      'Churn',
      '--repeats',
      '5',
    ]);
    expect(documented('telecom `churn-bigml-80.csv`')).toEqual([
      'telecom `churn-bigml-80.csv`',
      split.rows,
      split.auc,
      split.lift,
      split.mean,
    ]);
    expect(Number(split.mean)).toBeGreaterThan(0.908);
    const card = join(dir, 'telecom.json');
    const full = await retain([
      'fit',
      data('telecom-bigml-churn/churn-bigml-80.csv'),
      '--label',
      'Churn',
      '--test-share',
      '0',
      '--out',
      card,
      '--db',
      db,
    ]);
    expect(full.code).toBe(0);
    const twenty = await figures([
      'backtest',
      data('telecom-bigml-churn/churn-bigml-20.csv'),
      '--label',
      'Churn',
      '--test-share',
      '0',
      '--scorecard',
      card,
    ]);
    expect(documented('telecom fit on 80%')).toEqual([
      'telecom fit on 80%, backtest on `-20.csv`',
      twenty.rows,
      twenty.auc,
      twenty.lift,
      '-',
    ]);
  });
});

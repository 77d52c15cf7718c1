// `retain fit` and `retain backtest` on the shared bank churn data, against a real store: the fitted
// scorecard becomes the live health score and each account's score names the inputs behind it.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { scorecardSchema } from '../../src/domain/health';
import { retain } from '../helpers/cli';
import { forEachStore } from '../helpers/stores';

const BANK = resolve(import.meta.dirname, '../../datasets/bank-churn-modelling/Churn_Modelling.csv');
const dir = mkdtempSync(join(tmpdir(), 'retain-fit-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const aucOf = (text: string) => Number(/ROC AUC (\d\.\d+)/.exec(text)?.[1] ?? 'NaN');

forEachStore('retain fit and backtest', (current) => {
  it('fits a scorecard on bank churn, backtests it on the held-out rows, and applies it as the live score', async () => {
    const { target, services, clock } = current();
    const imported = await retain([
      'import',
      'accounts',
      BANK,
      '--map',
      'CustomerId=externalId,Surname=name,Exited=ignore',
      '--db',
      target,
    ]);
    expect(imported.code).toBe(0);

    const card = join(dir, `card-${current().kind}.json`);
    const fit = await retain([
      'fit',
      BANK,
      '--label',
      'Exited',
      '--id',
      'CustomerId',
      '--out',
      card,
      '--apply',
      '--db',
      target,
    ]);
    expect(fit.stderr).toBe('');
    expect(fit.stdout).toContain('Left out "RowNumber": a running number');
    expect(fit.stdout).toContain(
      'Held-out test: 2500 held-out rows (stratified split, 25.0%, seed 1; 7500 training rows)',
    );
    expect(aucOf(fit.stdout)).toBeGreaterThan(0.85);
    expect(fit.stdout).toMatch(/top 10% +250 +\d+ +[\d.]+% +[\d.]+% +[3-9]\.\d\dx/);
    expect(fit.stdout).toContain(
      'Applied as the live health score; re-scored 10000 accounts (0 without data).',
    );
    const written = scorecardSchema.parse(JSON.parse(readFileSync(card, 'utf8')));
    expect(written.measures.map((m) => m.name)).toEqual(
      expect.arrayContaining(['Age', 'NumOfProducts', 'IsActiveMember']),
    );

    // The live scorecard, tested on the same held-out rows, gives the same figure.
    const live = await retain(['backtest', BANK, '--label', 'Exited', '--id', 'CustomerId', '--db', target]);
    expect(live.code).toBe(0);
    expect(aucOf(live.stdout)).toBe(aucOf(fit.stdout));

    // Each account's score explains itself by the inputs that cost it most.
    clock.set('2026-06-01T12:00:00.000Z');
    const account = await services.accounts.getByExternalId('15634602'); // 42, one product, churned
    const health = await services.health.accountHealth(account.id);
    expect(health.current?.band).toBe('Poor');
    expect(health.current?.churnProbability).toBeGreaterThan(0.2);
    const factors = health.current?.factors ?? [];
    expect(factors.length).toBeGreaterThan(0);
    expect(factors[0]?.text).toMatch(
      /^(Age|NumOfProducts|IsActiveMember|Balance|Geography|Gender)[^:]*: .+ \(-\d+ points\)$/,
    );
    expect(health.current?.explanation.join('\n')).toContain('Age: 42');
  });

  it('reports a clear error for a missing label column and a constant label', async () => {
    const missing = await retain(['fit', BANK, '--label', 'Churned', '--db', current().target]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(
      /^error MODEL_COLUMN_UNKNOWN: The label column "Churned" is not in the data\./,
    );
    const constant = join(dir, 'constant.csv');
    writeFileSync(constant, `a,churn\n${Array.from({ length: 60 }, (_, i) => `${i},0`).join('\n')}\n`);
    const flat = await retain(['backtest', constant, '--label', 'churn', '--db', current().target]);
    expect(flat.stderr).toMatch(/^error MODEL_LABEL_CONSTANT: /);
  });
});

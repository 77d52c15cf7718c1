import { describe, expect, it } from 'vitest';
import { backtest } from '../../src/domain/churn-model/backtest';
import { binOf } from '../../src/domain/churn-model/binning';
import { fitChurnModel, modelLogOdds, type ChurnModel } from '../../src/domain/churn-model/fit';
import { fitLogistic, solveSpd } from '../../src/domain/churn-model/logistic';
import { rocAuc, topShares } from '../../src/domain/churn-model/metrics';
import { toScorecard } from '../../src/domain/churn-model/scorecard';
import { seededRandom, stratifiedSplit, timeSplit } from '../../src/domain/churn-model/split';
import { buildTable, subset, type ChurnTable } from '../../src/domain/churn-model/table';
import { AppError } from '../../src/domain/errors';
import { attributeInputs, computeHealth, scoreFactors, type Scorecard } from '../../src/domain/health';

const codeOf = (work: () => unknown) => {
  try {
    work();
  } catch (error) {
    if (error instanceof AppError) return { code: error.code, message: error.message };
    throw error;
  }
  return null;
};

/** Draws a churned/stayed label with the given log-odds. */
const draw = (random: () => number, logOdds: number): 0 | 1 =>
  random() < 1 / (1 + Math.exp(-logOdds)) ? 1 : 0;

/** The weight range of a term across its populated bins. */
function spread(
  model: ChurnModel,
  column: string,
): { low: number; high: number; first: number; last: number } {
  const term = model.terms.find((t) => t.binning.column === column && !t.when);
  if (!term) throw new Error(`no term for ${column}`);
  const used = term.weights.filter((_, bin) => (term.counts[bin] ?? 0) > 0);
  return {
    low: Math.min(...used),
    high: Math.max(...used),
    first: used[0] ?? 0,
    last: used.at(-1) ?? 0,
  };
}

describe('churn metrics', () => {
  it('ROC AUC is 1 for a perfect ranking, 0 for a reversed one, 0.5 for ties, and counts pairs', () => {
    expect(rocAuc([0.1, 0.2, 0.8, 0.9], [0, 0, 1, 1])).toBe(1);
    expect(rocAuc([0.9, 0.8, 0.2, 0.1], [0, 0, 1, 1])).toBe(0);
    expect(rocAuc([0.5, 0.5, 0.5, 0.5], [0, 1, 0, 1])).toBe(0.5);
    const random = seededRandom(7);
    const risk = Array.from({ length: 300 }, () => Math.round(random() * 20));
    const labels = risk.map((r) => draw(random, (r - 10) / 4));
    let wins = 0;
    let pairs = 0;
    risk.forEach((a, i) =>
      risk.forEach((b, j) => {
        if (labels[i] !== 1 || labels[j] !== 0) return;
        pairs += 1;
        wins += a > b ? 1 : a === b ? 0.5 : 0;
      }),
    );
    expect(rocAuc(risk, labels)).toBeCloseTo(wins / pairs, 10);
  });

  it('flags the riskiest share with precision, recall and lift over the base rate', () => {
    const risk = [10, 9, 8, 7, 6, 5, 4, 3, 2, 1];
    const labels: (0 | 1)[] = [1, 1, 0, 0, 1, 0, 0, 0, 0, 0];
    const [top20, top50] = topShares(risk, labels, [0.2, 0.5]);
    expect(top20).toMatchObject({ accounts: 2, churned: 2, precision: 1, recall: 1 / 1.5 });
    expect(top20?.lift).toBeCloseTo(1 / 0.3, 10);
    expect(top50).toMatchObject({ accounts: 5, churned: 3, recall: 1 });
  });
});

describe('churn tables', () => {
  const rows = (n: number, make: (i: number) => Record<string, string>) =>
    Array.from({ length: n }, (_, i) => make(i));
  const good = rows(100, (i) => ({
    id: `C-${i}`,
    row: String(i + 1),
    plan: i % 3 ? 'pro' : 'basic',
    seats: String(i % 17),
    note: `free text ${i}`,
    churned: i % 4 === 0 ? 'Yes' : 'No',
  }));

  it('infers types, leaves out running numbers and free text, and reads yes/no labels', () => {
    const table = buildTable(good, { label: 'churned', id: 'id' });
    expect(table.columns.map((c) => [c.name, c.type])).toEqual([
      ['plan', 'category'],
      ['seats', 'number'],
    ]);
    expect(table.skipped.map((s) => s.column)).toEqual(['row', 'note']);
    expect(table.labels.filter((l) => l === 1)).toHaveLength(25);
    expect(table.ids[3]).toBe('C-3');
  });

  it('leaves out a number that only restates another (a charge computed from minutes)', () => {
    const calls = rows(100, (i) => ({
      minutes: String((i * 37) % 101),
      charge: (((i * 37) % 101) * 0.17).toFixed(2),
      calls: String(i % 9),
      churned: i % 5 === 0 ? '1' : '0',
    }));
    const table = buildTable(calls, { label: 'churned' });
    expect(table.columns.map((c) => c.name)).toEqual(['minutes', 'calls']);
    expect(table.skipped).toEqual([
      { column: 'charge', reason: 'moves in step with "minutes" (no information of its own)' },
    ]);
  });

  it('names the column and line of bad data, and refuses data a model cannot learn from', () => {
    expect(codeOf(() => buildTable(good, { label: 'Exited' }))).toMatchObject({
      code: 'MODEL_COLUMN_UNKNOWN',
      message: expect.stringContaining('"Exited"') as unknown,
    });
    const badLabel = good.map((r, i) => (i === 6 ? { ...r, churned: 'maybe' } : r));
    expect(codeOf(() => buildTable(badLabel, { label: 'churned' }))).toMatchObject({
      code: 'MODEL_LABEL_INVALID',
      message: expect.stringContaining('Line 8, column "churned"') as unknown,
    });
    const constant = good.map((r) => ({ ...r, churned: '0' }));
    expect(codeOf(() => buildTable(constant, { label: 'churned' }))?.code).toBe('MODEL_LABEL_CONSTANT');
    expect(codeOf(() => buildTable(good.slice(0, 30), { label: 'churned' }))?.code).toBe(
      'MODEL_TOO_FEW_ROWS',
    );
    const text = good.map((r, i) => (i === 41 ? { ...r, seats: 'twelve' } : r));
    expect(codeOf(() => buildTable(text, { label: 'churned', types: { seats: 'number' } }))).toMatchObject({
      code: 'MODEL_VALUE_INVALID',
      message: expect.stringContaining('Line 43, column "seats": "twelve" is not a number') as unknown,
    });
    // Without the override the column is read as categories instead.
    expect(buildTable(text, { label: 'churned' }).columns.find((c) => c.name === 'seats')?.type).toBe(
      'category',
    );
  });
});

describe('splits', () => {
  it('a stratified split is repeatable by seed, disjoint, complete, and keeps the churn rate', () => {
    const labels = Array.from({ length: 1000 }, (_, i) => (i % 5 === 0 ? 1 : 0));
    const a = stratifiedSplit(labels, 0.25, 3);
    expect(stratifiedSplit(labels, 0.25, 3)).toEqual(a);
    expect(stratifiedSplit(labels, 0.25, 4).test).not.toEqual(a.test);
    expect(new Set([...a.train, ...a.test]).size).toBe(1000);
    expect(a.test).toHaveLength(250);
    expect(a.test.filter((row) => labels[row] === 1)).toHaveLength(50);
  });

  it('a time split tests on the latest rows', () => {
    const days = ['2024-01-05', '2024-03-01', null, '2024-02-01', '2024-04-01'];
    expect(timeSplit(days, 0.5)).toEqual({ train: [0, 2, 3], test: [1, 4], kind: 'time' });
  });
});

describe('penalised logistic regression', () => {
  it('solves a symmetric positive-definite system', () => {
    const x = solveSpd(Float64Array.from([4, 2, 2, 3]), Float64Array.from([2, 1]), 2);
    expect(Array.from(x).map((v) => Math.round(v * 1e9) / 1e9)).toEqual([0.5, 0]);
  });

  it('recovers one bin weight: log-odds of churn in a group against the rest', () => {
    // 400 rows in group 1 with 50% churn, 400 in group 0 with 20%: the log odds ratio is ln(4) = 1.386.
    const labels = Array.from({ length: 800 }, (_, i) => ((i < 400 ? i % 2 === 0 : i % 5 === 0) ? 1 : 0));
    const bins = [Int32Array.from(labels.map((_, i) => (i < 400 ? 1 : 0)))];
    const fit = fitLogistic(
      [{ size: 2, ordered: 0 }],
      bins,
      labels,
      labels.map((_, i) => i),
      { ridge: 1e-6, smooth: 0 },
    );
    expect(fit.converged).toBe(true);
    expect((fit.weights[0]?.[1] ?? 0) - (fit.weights[0]?.[0] ?? 0)).toBeCloseTo(Math.log(4), 3);
  });
});

/** 4000 accounts whose churn depends on seats (falling), age (peaking in the middle) and plan; noise is noise. */
function syntheticBook(seed: number, rows = 4000): ChurnTable {
  const random = seededRandom(seed);
  const records = Array.from({ length: rows }, (_, i) => {
    const seats = Math.floor(random() * 100);
    const age = 20 + Math.floor(random() * 50);
    const plan = random() < 0.3 ? 'basic' : 'pro';
    const noise = random() * 1000;
    const logOdds =
      -1 - 0.03 * (seats - 50) + (Math.abs(age - 45) < 8 ? 1.2 : 0) + (plan === 'basic' ? 0.8 : 0);
    return { id: String(i), seats, age, plan, noise, churned: draw(random, logOdds) };
  });
  return buildTable(records, { label: 'churned', id: 'id' });
}

describe('fitted scorecards', () => {
  const table = syntheticBook(11);
  const split = stratifiedSplit(table.labels, 0.25, 1);
  const train = subset(table, split.train);
  const test = subset(table, split.test);
  const model = fitChurnModel(train, { seed: 1 });

  it('recovers the sign and size of a known signal, and a bump in the middle', () => {
    // Seats: from 0 to 99 the true log-odds fall by 0.03 x 99 = 3.
    const seats = spread(model, 'seats');
    expect(seats.first).toBeGreaterThan(seats.last);
    expect(seats.first - seats.last).toBeGreaterThan(1.5);
    expect(seats.first - seats.last).toBeLessThan(5);
    // Age: churn peaks between 38 and 52, lower at both ends.
    const age = model.terms.find((t) => t.binning.column === 'age' && !t.when);
    const weightAt = (value: number) => (age ? (age.weights[binOf(age.binning, value)] ?? 0) : 0);
    expect(weightAt(45)).toBeGreaterThan(weightAt(22) + 0.6);
    expect(weightAt(45)).toBeGreaterThan(weightAt(68) + 0.6);
    // Plan: basic adds about 0.8 to the log-odds.
    const plan = model.terms.find((t) => t.binning.column === 'plan' && !t.when);
    const basic = plan?.weights[binOf(plan.binning, 'basic')] ?? 0;
    const pro = plan?.weights[binOf(plan.binning, 'pro')] ?? 0;
    expect(basic - pro).toBeGreaterThan(0.4);
    expect(basic - pro).toBeLessThan(1.4);
    // Noise moves the odds far less than any real input.
    const noise = spread(model, 'noise');
    expect(noise.high - noise.low).toBeLessThan(0.5);
  });

  it('writes the model as a scorecard whose score ranks and predicts exactly as the model does', () => {
    const scorecard = toScorecard(model, { baseRate: 0.3, source: 'synthetic' });
    const byWeight = [...scorecard.measures].sort((a, b) => b.weight - a.weight);
    expect(byWeight[0]?.input).toMatchObject({ kind: 'attribute', attribute: 'seats' });
    expect(scorecard.measures.find((m) => m.key === 'plan')?.scoring.kind).toBe('categories');
    const modelAuc = rocAuc(modelLogOdds(model, test), test.labels);
    const report = backtest(scorecard, test);
    expect(report.auc).toBeCloseTo(modelAuc, 2);
    expect(report.auc).toBeGreaterThan(0.7);
    expect(report.top[1]?.lift).toBeGreaterThan(1.8);
    // Calibration: each band's predicted churn is near what happened.
    for (const row of report.calibration.filter((r) => r.accounts > 100))
      expect(Math.abs((row.predicted ?? 0) - row.churnRate)).toBeLessThan(0.08);
  });

  it('on pure noise the held-out AUC stays near 0.5', () => {
    const random = seededRandom(5);
    const records = Array.from({ length: 3000 }, () => ({
      a: random() * 100,
      b: Math.floor(random() * 5),
      c: random() < 0.5 ? 'x' : 'y',
      churned: random() < 0.25 ? 1 : 0,
    }));
    const noise = buildTable(records, { label: 'churned' });
    const cut = stratifiedSplit(noise.labels, 0.3, 2);
    const fitted = fitChurnModel(subset(noise, cut.train), { seed: 2 });
    const heldOut = subset(noise, cut.test);
    expect(Math.abs(rocAuc(modelLogOdds(fitted, heldOut), heldOut.labels) - 0.5)).toBeLessThan(0.05);
  });
});

describe('attribute measures', () => {
  const scorecard: Scorecard = {
    measures: [
      {
        key: 'seats',
        name: 'Seats',
        label: 'seats',
        unit: 'value',
        weight: 30,
        input: { kind: 'attribute', attribute: 'seats' },
        scoring: {
          kind: 'bands',
          bands: [
            { upTo: 5, score: 0 },
            { upTo: null, score: 100 },
          ],
        },
        missingScore: 50,
      },
      {
        key: 'plan',
        name: 'Plan',
        label: 'plan',
        unit: 'value',
        weight: 10,
        input: { kind: 'attribute', attribute: 'tier' },
        scoring: { kind: 'categories', categories: [{ value: 'basic', score: 20 }], otherwise: 100 },
      },
      {
        key: 'intl',
        name: 'Intl minutes (when on the intl plan)',
        label: 'intl minutes',
        unit: 'value',
        weight: 20,
        input: { kind: 'attribute', attribute: 'intl', when: { attribute: 'intlPlan', values: ['yes'] } },
        scoring: {
          kind: 'bands',
          bands: [
            { upTo: 13, score: 100 },
            { upTo: null, score: 0 },
          ],
        },
        missingScore: 100,
      },
    ],
    bands: [
      { name: 'Poor', min: 0 },
      { name: 'Good', min: 60 },
    ],
  };
  const account = (tier: string | null, attributes: Record<string, string | number | null>) => ({
    arr: 1000,
    tier,
    lifecycleStage: null,
    attributes,
  });

  it('reads attributes (text numbers too) and account fields, and applies a condition', () => {
    expect(
      attributeInputs(scorecard.measures, account('basic', { seats: '3', intl: 20, intlPlan: 'no' })),
    ).toEqual({
      seats: '3',
      plan: 'basic',
      intl: null,
    });
    const health = computeHealth(
      scorecard,
      attributeInputs(scorecard.measures, account('basic', { seats: '3', intl: 20, intlPlan: 'yes' })),
    );
    // seats 3 -> 0, plan basic -> 20, intl 20 on the plan -> 0: (0x30 + 20x10 + 0x20) / 60.
    expect(health?.score).toBe(3);
    expect(health && scoreFactors(scorecard, health).map((f) => f.text)).toEqual([
      'Seats: 3 (-50 points)',
      'Intl minutes (when on the intl plan): 20 (-33 points)',
      'Plan: basic (-13 points)',
    ]);
  });

  it('scores a missing value with missingScore, and gives no score without any value', () => {
    const health = computeHealth(scorecard, attributeInputs(scorecard.measures, account('pro', {})));
    // seats missing -> 50, plan pro -> 100, intl not applicable -> 100.
    expect(health?.score).toBe(Math.round((50 * 30 + 100 * 10 + 100 * 20) / 60));
    expect(computeHealth(scorecard, attributeInputs(scorecard.measures, account(null, {})))).toBeNull();
  });
});

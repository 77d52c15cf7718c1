// Penalised logistic regression over binned inputs: one weight per bin, a ridge penalty that keeps
// rare bins near zero, and a smoothness penalty between neighbouring ranges of a numeric column so
// that the fitted bands follow the data without jumping from bin to bin. Fitted by Newton's method;
// every row touches only one bin per column, so each step costs rows x columns^2.

export interface DesignBlock {
  /** Number of bins (parameters) of this column. */
  size: number;
  /** Bins 0..ordered-1 are ranges in order and are smoothed against each other. */
  ordered: number;
}

export interface Penalty {
  /** Ridge strength on every bin weight. */
  ridge: number;
  /** Strength of the penalty on differences between neighbouring ranges. */
  smooth: number;
}

export interface LogisticFit {
  intercept: number;
  /** weights[c][bin]: added to the log-odds of churn. */
  weights: number[][];
  iterations: number;
  converged: boolean;
}

const add = (array: Float64Array, index: number, value: number) => {
  array[index] = (array[index] ?? 0) + value;
};

const sigmoid = (x: number) => (x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x)));

/** Log-odds of churn for each row. */
export function predictLogOdds(fit: LogisticFit, bins: readonly Int32Array[], rows: number): Float64Array {
  const out = new Float64Array(rows);
  for (let row = 0; row < rows; row += 1) {
    let z = fit.intercept;
    for (let c = 0; c < bins.length; c += 1) z += fit.weights[c]?.[bins[c]?.[row] ?? -1] ?? 0;
    out[row] = z;
  }
  return out;
}

export const probability = sigmoid;

/** Solves A x = b for a symmetric positive-definite A (row-major, n x n) by Cholesky; A is overwritten. */
export function solveSpd(a: Float64Array, b: Float64Array, n: number): Float64Array {
  for (let j = 0; j < n; j += 1) {
    let diagonal = a[j * n + j] ?? 0;
    for (let k = 0; k < j; k += 1) diagonal -= (a[j * n + k] ?? 0) ** 2;
    if (diagonal <= 0) throw new Error('matrix is not positive definite');
    const root = Math.sqrt(diagonal);
    a[j * n + j] = root;
    for (let i = j + 1; i < n; i += 1) {
      let sum = a[i * n + j] ?? 0;
      for (let k = 0; k < j; k += 1) sum -= (a[i * n + k] ?? 0) * (a[j * n + k] ?? 0);
      a[i * n + j] = sum / root;
    }
  }
  const y = new Float64Array(n);
  for (let i = 0; i < n; i += 1) {
    let sum = b[i] ?? 0;
    for (let k = 0; k < i; k += 1) sum -= (a[i * n + k] ?? 0) * (y[k] ?? 0);
    y[i] = sum / (a[i * n + i] ?? 1);
  }
  const x = new Float64Array(n);
  for (let i = n - 1; i >= 0; i -= 1) {
    let sum = y[i] ?? 0;
    for (let k = i + 1; k < n; k += 1) sum -= (a[k * n + i] ?? 0) * (x[k] ?? 0);
    x[i] = sum / (a[i * n + i] ?? 1);
  }
  return x;
}

/**
 * Fits the model on the given rows (`rows` indexes into the bin arrays and labels). A bin of -1 means
 * the column does not apply to the row (an interaction whose condition fails): it adds nothing.
 */
export function fitLogistic(
  blocks: readonly DesignBlock[],
  bins: readonly Int32Array[],
  labels: readonly (0 | 1)[],
  rows: readonly number[],
  penalty: Penalty,
  options: { maxIterations?: number; tolerance?: number } = {},
): LogisticFit {
  const offsets: number[] = [];
  let n = 1;
  for (const block of blocks) {
    offsets.push(n);
    n += block.size;
  }
  const beta = new Float64Array(n);
  const positives = rows.filter((row) => labels[row] === 1).length;
  beta[0] = Math.log(Math.max(positives, 0.5) / Math.max(rows.length - positives, 0.5));

  // The penalty matrix P (without the intercept): ridge on the diagonal plus D'D on ordered blocks.
  const penaltyMatrix = new Float64Array(n * n);
  blocks.forEach((block, c) => {
    const o = offsets[c] ?? 0;
    for (let k = 0; k < block.size; k += 1) add(penaltyMatrix, (o + k) * n + o + k, penalty.ridge);
    for (let k = 0; k + 1 < block.ordered; k += 1) {
      const i = o + k;
      const j = o + k + 1;
      add(penaltyMatrix, i * n + i, penalty.smooth);
      add(penaltyMatrix, j * n + j, penalty.smooth);
      add(penaltyMatrix, i * n + j, -penalty.smooth);
      add(penaltyMatrix, j * n + i, -penalty.smooth);
    }
  });

  const active = new Int32Array(blocks.length + 1);
  const objective = (candidate: Float64Array) => {
    let loss = 0;
    for (const row of rows) {
      let z = candidate[0] ?? 0;
      for (let c = 0; c < blocks.length; c += 1) {
        const bin = bins[c]?.[row] ?? -1;
        if (bin >= 0) z += candidate[(offsets[c] ?? 0) + bin] ?? 0;
      }
      // log(1 + e^z) - y z, computed without overflow.
      loss += (z > 0 ? z + Math.log1p(Math.exp(-z)) : Math.log1p(Math.exp(z))) - (labels[row] === 1 ? z : 0);
    }
    let quadratic = 0;
    for (let i = 1; i < n; i += 1) {
      const bi = candidate[i] ?? 0;
      if (bi === 0) continue;
      for (let j = 1; j < n; j += 1) quadratic += bi * (penaltyMatrix[i * n + j] ?? 0) * (candidate[j] ?? 0);
    }
    return loss + quadratic / 2;
  };

  const maxIterations = options.maxIterations ?? 50;
  const tolerance = options.tolerance ?? 1e-7;
  let current = objective(beta);
  let iterations = 0;
  let converged = false;
  while (iterations < maxIterations && !converged) {
    iterations += 1;
    const gradient = new Float64Array(n);
    const hessian = new Float64Array(n * n);
    for (const row of rows) {
      active[0] = 0;
      let count = 1;
      let z = beta[0] ?? 0;
      for (let c = 0; c < blocks.length; c += 1) {
        const bin = bins[c]?.[row] ?? -1;
        if (bin < 0) continue;
        const index = (offsets[c] ?? 0) + bin;
        active[count] = index;
        count += 1;
        z += beta[index] ?? 0;
      }
      const p = sigmoid(z);
      const residual = p - (labels[row] === 1 ? 1 : 0);
      const w = Math.max(p * (1 - p), 1e-10);
      for (let a = 0; a < count; a += 1) {
        const i = active[a] ?? 0;
        add(gradient, i, residual);
        for (let b = 0; b < count; b += 1) add(hessian, i * n + (active[b] ?? 0), w);
      }
    }
    for (let i = 1; i < n; i += 1) {
      for (let j = 1; j < n; j += 1) {
        const pij = penaltyMatrix[i * n + j] ?? 0;
        if (pij === 0) continue;
        add(gradient, i, pij * (beta[j] ?? 0));
        add(hessian, i * n + j, pij);
      }
    }
    // Bins no row reaches and an unpenalised model could leave singular: a tiny ridge keeps H definite.
    for (let i = 0; i < n; i += 1) add(hessian, i * n + i, 1e-9);
    const step = solveSpd(hessian, gradient, n);
    let scale = 1;
    let next = beta;
    let nextObjective = current;
    for (let halving = 0; halving < 30; halving += 1) {
      next = beta.map((value, i) => value - scale * (step[i] ?? 0));
      nextObjective = objective(next);
      if (nextObjective <= current + 1e-12) break;
      scale /= 2;
    }
    const change = Math.abs(current - nextObjective);
    beta.set(next);
    converged = change < tolerance * Math.max(1, Math.abs(current));
    current = nextObjective;
  }
  return {
    intercept: beta[0] ?? 0,
    weights: blocks.map((block, c) =>
      Array.from(beta.subarray(offsets[c] ?? 0, (offsets[c] ?? 0) + block.size)),
    ),
    iterations,
    converged,
  };
}

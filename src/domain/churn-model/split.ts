// Train/test splits that can be repeated: the same seed gives the same split on any machine, so a
// scorecard fitted on one run is tested on exactly the rows it never saw.

/** A small seeded generator (mulberry32): uniform in [0, 1). */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

function shuffled(items: readonly number[], random: () => number): number[] {
  const list = [...items];
  for (let i = list.length - 1; i > 0; i -= 1) {
    const j = Math.floor(random() * (i + 1));
    [list[i], list[j]] = [list[j] as number, list[i] as number];
  }
  return list;
}

export interface Split {
  train: number[];
  test: number[];
  kind: 'stratified' | 'time';
}

/** Holds out `testShare` of the churned and of the stayed rows alike, chosen by `seed`. */
export function stratifiedSplit(labels: readonly (0 | 1)[], testShare: number, seed: number): Split {
  const random = seededRandom(seed);
  const train: number[] = [];
  const test: number[] = [];
  for (const outcome of [0, 1] as const) {
    const rows = shuffled(
      labels.flatMap((label, row) => (label === outcome ? [row] : [])),
      random,
    );
    const held = Math.round(rows.length * testShare);
    test.push(...rows.slice(0, held));
    train.push(...rows.slice(held));
  }
  return { train: train.sort((a, b) => a - b), test: test.sort((a, b) => a - b), kind: 'stratified' };
}

/** Tests on the latest `testShare` of rows by day, trains on the earlier ones (rows without a day train). */
export function timeSplit(days: readonly (string | null)[], testShare: number): Split {
  const dated = days.flatMap((day, row) => (day === null ? [] : [{ day, row }]));
  dated.sort((a, b) => (a.day < b.day ? -1 : a.day > b.day ? 1 : a.row - b.row));
  const held = new Set(dated.slice(dated.length - Math.round(dated.length * testShare)).map((d) => d.row));
  const train: number[] = [];
  const test: number[] = [];
  days.forEach((_, row) => (held.has(row) ? test : train).push(row));
  return { train, test, kind: 'time' };
}

/** `k` stratified folds for choosing the regularisation on the training rows. */
export function stratifiedFolds(labels: readonly (0 | 1)[], k: number, seed: number): number[][] {
  const random = seededRandom(seed);
  const folds: number[][] = Array.from({ length: k }, () => []);
  for (const outcome of [0, 1] as const) {
    const rows = shuffled(
      labels.flatMap((label, row) => (label === outcome ? [row] : [])),
      random,
    );
    rows.forEach((row, i) => folds[i % k]?.push(row));
  }
  return folds;
}

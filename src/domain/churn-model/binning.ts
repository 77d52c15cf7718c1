// Turns each input column into bins, the way a health measure's bands read a value: numeric columns
// into ranges cut at training quantiles (so a U-shaped effect such as churn peaking in middle age is
// kept), category columns into their common values plus "other", and a bin of its own for missing.
import type { ChurnTable, Column } from './table';

export type Binning =
  | {
      column: string;
      type: 'number';
      /** Upper bounds, inclusive: bin k holds values <= cuts[k]; the last bin holds the rest. */
      cuts: number[];
    }
  | {
      column: string;
      type: 'category';
      /** Values with a bin of their own; anything else falls in "other". */
      levels: string[];
    };

export interface BinningOptions {
  /** Most bins a numeric column is cut into. */
  maxBins: number;
  /** Fewest training rows a bin or a kept category holds. */
  minRows: number;
}

export const DEFAULT_BINNING: BinningOptions = { maxBins: 12, minRows: 40 };

/** How many bins the column has: its ranges or levels, then "other" (categories), then missing. */
export function binCount(binning: Binning): number {
  return binning.type === 'number' ? binning.cuts.length + 2 : binning.levels.length + 2;
}

/** Index of the missing-value bin. */
export const missingBin = (binning: Binning) => binCount(binning) - 1;

/** The bin a value falls into. */
export function binOf(binning: Binning, value: number | string | null): number {
  if (value === null) return missingBin(binning);
  if (binning.type === 'number') {
    const number = typeof value === 'number' ? value : Number(value);
    if (!Number.isFinite(number)) return missingBin(binning);
    // Binary search: first cut the value does not exceed.
    let lo = 0;
    let hi = binning.cuts.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (number <= (binning.cuts[mid] ?? Infinity)) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  }
  const index = binning.levels.indexOf(String(value));
  return index >= 0 ? index : binning.levels.length;
}

function numberCuts(values: readonly (number | null)[], options: BinningOptions): number[] {
  const sorted = values.filter((value): value is number => value !== null).sort((a, b) => a - b);
  const cuts: number[] = [];
  let start = 0;
  for (let q = 1; q < options.maxBins; q += 1) {
    const target = Math.floor((q * sorted.length) / options.maxBins);
    const cut = sorted[Math.max(target - 1, 0)];
    if (cut === undefined) continue;
    // Everything equal to the cut stays in this bin; a bin must hold enough rows on both sides.
    let end = target;
    while (end < sorted.length && sorted[end] === cut) end += 1;
    if (end - start < options.minRows || sorted.length - end < options.minRows) continue;
    if (cuts.length > 0 && cut <= (cuts.at(-1) ?? -Infinity)) continue;
    cuts.push(cut);
    start = end;
  }
  return cuts;
}

function categoryLevels(values: readonly (string | null)[], options: BinningOptions): string[] {
  const counts = new Map<string, number>();
  for (const value of values) if (value !== null) counts.set(value, (counts.get(value) ?? 0) + 1);
  return [...counts.entries()]
    .filter(([, count]) => count >= options.minRows)
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
    .map(([value]) => value);
}

/** Bins for one column, learned from the training rows only. */
export function binColumn(column: Column, options: BinningOptions = DEFAULT_BINNING): Binning {
  return column.type === 'number'
    ? { column: column.name, type: 'number', cuts: numberCuts(column.values, options) }
    : { column: column.name, type: 'category', levels: categoryLevels(column.values, options) };
}

/** Which rows an interaction applies to: a set of values of another column, or a range of it. */
export type Condition =
  | { column: string; type: 'category'; values: string[] }
  /** `above < value <= upTo`; either end may be open. */
  | { column: string; type: 'number'; above: number | null; upTo: number | null };

/** Whether the condition holds for a value; a missing value never satisfies it. */
export function holds(condition: Condition, value: number | string | null): boolean {
  if (value === null) return false;
  if (condition.type === 'category') return condition.values.includes(String(value));
  const number = typeof value === 'number' ? value : Number(value);
  if (!Number.isFinite(number)) return false;
  return (
    (condition.above === null || number > condition.above) &&
    (condition.upTo === null || number <= condition.upTo)
  );
}

/** A model input: a column's bins, optionally only for the rows where a condition on another column holds. */
export interface TermSpec {
  binning: Binning;
  when?: Condition | undefined;
}

/** Each row's bin in each term: `bins[t][row]`, -1 where a conditional term does not apply. */
export function assignBins(table: ChurnTable, terms: readonly TermSpec[]): Int32Array[] {
  const valuesOf = (name: string) => table.columns.find((c) => c.name === name)?.values;
  return terms.map(({ binning, when }) => {
    const values = valuesOf(binning.column);
    const gate = when ? valuesOf(when.column) : undefined;
    const out = new Int32Array(table.labels.length);
    for (let row = 0; row < out.length; row += 1) {
      const value = values?.[row] ?? null;
      // A conditional term does not apply where its condition fails or its own value is missing.
      out[row] = when && (value === null || !holds(when, gate?.[row] ?? null)) ? -1 : binOf(binning, value);
    }
    return out;
  });
}

// Risk Trends: cases by reason over time (weeks or months), optionally split by an account
// attribute, where every cell can be opened to the exact cases and accounts it counts.
//
// A case counts once in each of its reasons' rows. `opened` counts cases opened in the period;
// `open` counts cases open at the end of the period (or now, for the current period).
import { AppError } from './errors';

export type TrendInterval = 'week' | 'month';
export type TrendMeasure = 'opened' | 'open';

export interface TrendCase {
  caseId: number;
  accountId: number;
  externalId: string;
  accountName: string;
  openedAt: string;
  closedAt: string | null;
  reasons: string[];
  /** The breakdown value of the case's account; null when it has none. */
  group: string | null;
}

export interface TrendPeriod {
  /** `2026-03` for a month; the Monday (`2026-03-02`) for a week. */
  key: string;
  start: string;
  /** Exclusive. */
  end: string;
}

export interface TrendCell {
  period: string;
  reason: string;
  group: string | null;
  cases: number;
}

const DAY = 86_400_000;
const NO_REASON = '(no reason)';
export const NO_GROUP = '(none)';

const iso = (ms: number) => new Date(ms).toISOString();

/** The periods from the one containing `from` to the one containing `to`. */
export function periodsBetween(from: string, to: string, interval: TrendInterval): TrendPeriod[] {
  const startMs = Date.parse(from);
  const endMs = Date.parse(to);
  if (Number.isNaN(startMs) || Number.isNaN(endMs) || endMs < startMs)
    throw new AppError('INVALID_DATE', `"${from}" to "${to}" is not a range of dates.`, { from, to });
  const periods: TrendPeriod[] = [];
  let cursor = periodStart(startMs, interval);
  while (cursor <= endMs) {
    const next = nextPeriod(cursor, interval);
    const key = interval === 'month' ? iso(cursor).slice(0, 7) : iso(cursor).slice(0, 10);
    periods.push({ key, start: iso(cursor), end: iso(next) });
    cursor = next;
    if (periods.length > 520) throw new AppError('VALIDATION_FAILED', 'At most 520 periods at a time.', {});
  }
  return periods;
}

function periodStart(ms: number, interval: TrendInterval): number {
  const date = new Date(ms);
  if (interval === 'month') return Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), 1);
  const day = Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), date.getUTCDate());
  const weekday = (new Date(day).getUTCDay() + 6) % 7; // Monday = 0
  return day - weekday * DAY;
}

function nextPeriod(start: number, interval: TrendInterval): number {
  if (interval === 'week') return start + 7 * DAY;
  const date = new Date(start);
  return Date.UTC(date.getUTCFullYear(), date.getUTCMonth() + 1, 1);
}

/** Whether a case counts in a period for the measure; `now` caps the current period. */
function countsIn(row: TrendCase, period: TrendPeriod, measure: TrendMeasure, now: string): boolean {
  if (measure === 'opened') return row.openedAt >= period.start && row.openedAt < period.end;
  const at = period.end < now ? period.end : now;
  return row.openedAt < at && (row.closedAt === null || row.closedAt >= at);
}

/** Every non-empty cell: cases per period, reason and (when `grouped`) group. */
export function trendCells(
  rows: readonly TrendCase[],
  periods: readonly TrendPeriod[],
  measure: TrendMeasure,
  now: string,
  grouped: boolean,
): TrendCell[] {
  const cells = new Map<string, TrendCell>();
  for (const period of periods) {
    for (const row of rows) {
      if (!countsIn(row, period, measure, now)) continue;
      for (const reason of row.reasons.length > 0 ? row.reasons : [NO_REASON]) {
        const group = grouped ? (row.group ?? NO_GROUP) : null;
        const key = JSON.stringify([period.key, reason, group]);
        const cell = cells.get(key) ?? { period: period.key, reason, group, cases: 0 };
        cell.cases += 1;
        cells.set(key, cell);
      }
    }
  }
  return [...cells.values()];
}

/** The cases one cell counts: the drill-down. */
export function cellCases(
  rows: readonly TrendCase[],
  period: TrendPeriod,
  cell: { reason: string; group: string | null },
  measure: TrendMeasure,
  now: string,
): TrendCase[] {
  return rows.filter(
    (row) =>
      countsIn(row, period, measure, now) &&
      (row.reasons.length > 0 ? row.reasons.includes(cell.reason) : cell.reason === NO_REASON) &&
      (cell.group === null || (row.group ?? NO_GROUP) === cell.group),
  );
}

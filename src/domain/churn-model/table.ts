// A churn dataset as the model sees it: one row per account, a churned/stayed label, and typed
// input columns. Built from plain records (a CSV file or accounts in the store); every problem with
// the data is reported by column and line before any fitting starts.
import { AppError } from '../errors';
import { parseCalendarDate } from '../values';

export type ColumnType = 'number' | 'category';

export type Column =
  | { name: string; type: 'number'; values: (number | null)[] }
  | { name: string; type: 'category'; values: (string | null)[] };

export interface ChurnTable {
  ids: string[];
  /** 1 = churned. */
  labels: (0 | 1)[];
  columns: Column[];
  /** Day (`YYYY-MM-DD`) of each row, when a date column was named: enables a time split. */
  days: (string | null)[] | null;
  /** Columns left out and why, for the report. */
  skipped: { column: string; reason: string }[];
}

export interface TableOptions {
  label: string;
  id?: string | undefined;
  /** Column -> type, overriding inference. */
  types?: Record<string, ColumnType> | undefined;
  ignore?: readonly string[] | undefined;
  /** A date column for a time split; it is not used as an input. */
  date?: string | undefined;
  /** Line number of the first record, for messages (2 for a CSV with a header). */
  firstLine?: number | undefined;
}

export const MIN_ROWS = 50;
export const MIN_PER_CLASS = 10;
/** A category column with more distinct values than this share of rows is an identifier or free text. */
const MAX_CATEGORY_SHARE = 0.5;
const MAX_CATEGORY_LEVELS = 200;

const CHURNED = new Set(['1', 'true', 'yes', 'y', 'churned', 'lost', 't']);
const STAYED = new Set(['0', 'false', 'no', 'n', 'retained', 'active', 'f']);

/** Reads a churn label: 1/0, true/false, yes/no (any case); null when it is none of them. */
export function parseLabel(raw: string | number | boolean | null | undefined): 0 | 1 | null {
  if (raw === null || raw === undefined) return null;
  if (typeof raw === 'boolean') return raw ? 1 : 0;
  const text = String(raw).trim().toLowerCase();
  if (CHURNED.has(text)) return 1;
  if (STAYED.has(text)) return 0;
  return null;
}

type RawValue = string | number | boolean | null | undefined;

const isBlank = (raw: RawValue) => raw === null || raw === undefined || String(raw).trim() === '';

function asNumber(raw: RawValue): number | null {
  if (raw === null || raw === undefined) return null;
  if (typeof raw === 'number') return Number.isFinite(raw) ? raw : null;
  if (typeof raw === 'boolean') return raw ? 1 : 0;
  const text = String(raw).trim();
  if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(text)) return null;
  return Number(text);
}

/** Builds the table, inferring each column's type unless given; rejects data a model cannot learn from. */
export function buildTable(records: readonly Record<string, RawValue>[], options: TableOptions): ChurnTable {
  const firstLine = options.firstLine ?? 2;
  const headers = records.length > 0 ? Object.keys(records[0] ?? {}) : [];
  const requireColumn = (column: string, role: string) => {
    if (!headers.includes(column))
      throw new AppError('MODEL_COLUMN_UNKNOWN', `The ${role} column "${column}" is not in the data.`, {
        column,
        columns: headers,
      });
  };
  requireColumn(options.label, 'label');
  if (options.id) requireColumn(options.id, 'id');
  if (options.date) requireColumn(options.date, 'date');
  for (const column of [...Object.keys(options.types ?? {}), ...(options.ignore ?? [])])
    requireColumn(column, 'named');

  const labels: (0 | 1)[] = [];
  records.forEach((record, index) => {
    const label = parseLabel(record[options.label]);
    if (label === null)
      throw new AppError(
        'MODEL_LABEL_INVALID',
        `Line ${index + firstLine}, column "${options.label}": ${JSON.stringify(record[options.label] ?? '')} is not a churn label (1/0, true/false, yes/no).`,
        { line: index + firstLine, column: options.label },
      );
    labels.push(label);
  });
  const churned = labels.filter((label) => label === 1).length;
  if (records.length > 0 && (churned === 0 || churned === records.length))
    throw new AppError(
      'MODEL_LABEL_CONSTANT',
      `Every row of "${options.label}" says ${churned === 0 ? 'stayed' : 'churned'}: there is nothing to learn from.`,
      { column: options.label },
    );
  const minority = Math.min(churned, records.length - churned);
  if (records.length < MIN_ROWS || minority < MIN_PER_CLASS)
    throw new AppError(
      'MODEL_TOO_FEW_ROWS',
      `${records.length} rows with ${churned} churned: at least ${MIN_ROWS} rows and ${MIN_PER_CLASS} of each outcome are needed.`,
      { rows: records.length, churned },
    );

  const reserved = new Set([options.label, options.id, options.date, ...(options.ignore ?? [])]);
  const columns: Column[] = [];
  const skipped: ChurnTable['skipped'] = [];
  for (const name of headers) {
    if (reserved.has(name)) continue;
    const raw = records.map((record) => record[name]);
    const declared = options.types && Object.hasOwn(options.types, name) ? options.types[name] : undefined;
    const numbers = raw.map((value) => (isBlank(value) ? null : asNumber(value)));
    const firstBad = raw.findIndex((value, i) => !isBlank(value) && numbers[i] === null);
    const present = raw.filter((value) => !isBlank(value)).length;
    if (present === 0) {
      skipped.push({ column: name, reason: 'no values' });
      continue;
    }
    if (declared === 'number' && firstBad >= 0)
      throw new AppError(
        'MODEL_VALUE_INVALID',
        `Line ${firstBad + firstLine}, column "${name}": ${JSON.stringify(raw[firstBad])} is not a number.`,
        { line: firstBad + firstLine, column: name },
      );
    if (declared === 'number' || (declared === undefined && firstBad < 0)) {
      const distinct = new Set(numbers.filter((value) => value !== null)).size;
      if (
        declared === undefined &&
        distinct === present &&
        present === records.length &&
        isSequence(numbers)
      ) {
        skipped.push({ column: name, reason: 'a running number (row index or identifier)' });
        continue;
      }
      if (distinct < 2) {
        skipped.push({ column: name, reason: 'the same value on every row' });
        continue;
      }
      columns.push({ name, type: 'number', values: numbers });
      continue;
    }
    const values = raw.map((value) => (isBlank(value) ? null : String(value).trim()));
    const levels = new Set(values.filter((value) => value !== null)).size;
    if (declared === undefined && (levels > MAX_CATEGORY_LEVELS || levels > present * MAX_CATEGORY_SHARE)) {
      skipped.push({ column: name, reason: `${levels} distinct values (an identifier or free text)` });
      continue;
    }
    if (levels < 2) {
      skipped.push({ column: name, reason: 'the same value on every row' });
      continue;
    }
    columns.push({ name, type: 'category', values });
  }
  const kept = dropEchoes(columns, skipped);
  if (kept.length === 0)
    throw new AppError('MODEL_NOT_APPLICABLE', 'No column can be used as an input to the model.', {
      skipped,
    });

  const days = options.date
    ? records.map((record, index) => {
        const raw = record[options.date ?? ''];
        if (isBlank(raw)) return null;
        const parsed = parseCalendarDate(String(raw));
        if (!parsed.ok)
          throw new AppError(
            'MODEL_VALUE_INVALID',
            `Line ${index + firstLine}, column "${options.date}": ${parsed.message}.`,
            { line: index + firstLine, column: options.date },
          );
        return parsed.value;
      })
    : null;

  const ids = records.map((record, index) => {
    const raw = options.id ? record[options.id] : undefined;
    return isBlank(raw) ? String(index + firstLine) : String(raw).trim();
  });
  return { ids, labels, columns: kept, days, skipped };
}

/**
 * Leaves out numeric columns that only restate an earlier one (a charge that is minutes x a rate): a
 * column whose values never go down, or never go up, as the earlier column's values rise, and that is
 * missing on the same rows. Two measures for one fact would split its weight and confuse a reader.
 */
function dropEchoes(columns: Column[], skipped: ChurnTable['skipped']): Column[] {
  const kept: Column[] = [];
  const orders = new Map<Column, number[]>();
  for (const column of columns) {
    if (column.type !== 'number') {
      kept.push(column);
      continue;
    }
    const echoOf = kept.find(
      (earlier) =>
        earlier.type === 'number' && restates(earlier.values, column.values, orders.get(earlier) ?? []),
    );
    if (echoOf) {
      skipped.push({
        column: column.name,
        reason: `moves in step with "${echoOf.name}" (no information of its own)`,
      });
      continue;
    }
    const values = column.values;
    orders.set(
      column,
      values.map((_, row) => row).sort((a, b) => (values[a] ?? -Infinity) - (values[b] ?? -Infinity)),
    );
    kept.push(column);
  }
  return kept;
}

/** Whether `b` is a monotone function of `a` (given `a`'s row order), missing on the same rows. */
function restates(
  a: readonly (number | null)[],
  b: readonly (number | null)[],
  order: readonly number[],
): boolean {
  if (a.some((value, row) => (value === null) !== (b[row] === null))) return false;
  let rising = true;
  let falling = true;
  let previousA: number | null = null;
  let previousB: number | null = null;
  for (const row of order) {
    const x = a[row] ?? null;
    const y = b[row] ?? null;
    if (x === null || y === null) continue;
    if (previousA !== null && previousB !== null) {
      if (x === previousA && y !== previousB) return false; // one value of a, two of b
      if (y < previousB) rising = false;
      if (y > previousB) falling = false;
      if (!rising && !falling) return false;
    }
    previousA = x;
    previousB = y;
  }
  return true;
}

/** Sorted, all distinct and evenly spaced by one: a row number rather than a measurement. */
function isSequence(values: readonly (number | null)[]): boolean {
  const sorted = values.filter((value): value is number => value !== null).sort((a, b) => a - b);
  return sorted.every((value, i) => i === 0 || value - (sorted[i - 1] ?? 0) === 1);
}

/** The rows at the given indexes, as a table of their own. */
export function subset(table: ChurnTable, rows: readonly number[]): ChurnTable {
  const pick = <T>(list: readonly T[]) => rows.map((row) => list[row] as T);
  return {
    ids: pick(table.ids),
    labels: pick(table.labels),
    columns: table.columns.map((column) =>
      column.type === 'number'
        ? { ...column, values: pick(column.values) }
        : { ...column, values: pick(column.values) },
    ),
    days: table.days ? pick(table.days) : null,
    skipped: table.skipped,
  };
}

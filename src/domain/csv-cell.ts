// CSV cells as Retain writes them: a spreadsheet must show user text as text, never run it as a
// formula (OWASP "CSV injection"). Every CSV Retain writes for people goes through `csvRows`.
import { stringify } from 'csv-stringify/sync';

export type CsvValue = string | number | boolean | null | undefined;

/** A cell a spreadsheet would read as a formula: it starts with =, +, -, @, tab or carriage return. */
const FORMULA_START = /^[=+\-@\t\r]/;
/** A cell `neutralisedCell` prefixed; always quoted, as OWASP advises. */
const NEUTRALISED = /^'[=+\-@\t\r]/;

/**
 * The cell with a leading `'` when its text could start a formula. Numbers Retain writes as numbers
 * (ARR, counts, numeric attributes) stay as they are: a number, negative or not, is no formula. Text
 * that merely looks numeric ("-5") is text and is neutralised like any other.
 */
export function neutralisedCell(value: CsvValue): string | number | boolean {
  if (value === null || value === undefined) return '';
  if (typeof value !== 'string') return value;
  return FORMULA_START.test(value) ? `'${value}` : value;
}

export interface CsvOptions {
  /** Write every cell verbatim, for machines that read the file back (never for spreadsheets). */
  raw?: boolean;
}

/** Rows as CSV text, each cell neutralised unless `raw`. */
export function csvRows(rows: readonly (readonly CsvValue[])[], options: CsvOptions = {}): string {
  const cells = rows.map((row) => row.map((value) => (options.raw ? (value ?? '') : neutralisedCell(value))));
  return stringify(cells, options.raw ? {} : { quoted_match: NEUTRALISED });
}

// Parsing of the plain values users type or export from a CRM: money, calendar dates, booleans.
// Each parser returns a result rather than throwing so importers can report every bad cell.
import { format, isValid, parse } from 'date-fns';

export type Parsed<T> = { ok: true; value: T } | { ok: false; message: string };

const DATE_FORMATS = ['yyyy-MM-dd', 'M/d/yyyy', 'yyyy/MM/dd', 'd MMM yyyy', 'MMM d, yyyy'];
const REFERENCE = new Date(Date.UTC(2000, 0, 1));

/** A calendar date as `YYYY-MM-DD`; ISO, US `M/D/YYYY` and a few CRM formats are accepted. */
export function parseCalendarDate(text: string): Parsed<string> {
  const trimmed = text.trim();
  const isoPrefix = /^(\d{4}-\d{2}-\d{2})T/.exec(trimmed);
  const candidate = isoPrefix?.[1] ?? trimmed;
  for (const pattern of DATE_FORMATS) {
    const date = parse(candidate, pattern, REFERENCE);
    if (isValid(date)) return { ok: true, value: format(date, 'yyyy-MM-dd') };
  }
  return { ok: false, message: `"${trimmed}" is not a valid date (use YYYY-MM-DD)` };
}

/** A non-negative amount of money; currency symbols, spaces and thousands separators are ignored. */
export function parseMoney(text: string): Parsed<number> {
  const cleaned = text
    .trim()
    .replace(/^[A-Z]{3}\s*/, '')
    .replace(/[$€£\s,]/g, '');
  if (!/^\d+(\.\d+)?$/.test(cleaned))
    return { ok: false, message: `"${text.trim()}" is not a non-negative amount` };
  return { ok: true, value: Number(cleaned) };
}

const TRUE_WORDS = new Set(['true', 'yes', 'y', '1', 'x']);
const FALSE_WORDS = new Set(['false', 'no', 'n', '0', '']);

export function parseFlag(text: string): Parsed<boolean> {
  const lower = text.trim().toLowerCase();
  if (TRUE_WORDS.has(lower)) return { ok: true, value: true };
  if (FALSE_WORDS.has(lower)) return { ok: true, value: false };
  return { ok: false, message: `"${text.trim()}" is not yes/no` };
}

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

export function parseEmail(text: string): Parsed<string> {
  const trimmed = text.trim().toLowerCase();
  return EMAIL.test(trimmed)
    ? { ok: true, value: trimmed }
    : { ok: false, message: `"${text.trim()}" is not an email address` };
}

/** A configuration key from a name: lower-case letters, digits and `_` ("Team A at risk" -> "team_a_at_risk"). */
export function keyFromName(name: string, fallback: string): string {
  return (
    name
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '_')
      .replace(/^_+|_+$/g, '') || fallback
  );
}

// Parsing of the plain values users type or export from a CRM: money, calendar dates, booleans.
// Each parser returns a result rather than throwing so importers can report every bad cell.
import { format, isValid, parse } from 'date-fns';

export type Parsed<T> = { ok: true; value: T } | { ok: false; message: string };

/**
 * How a file writes numbers and dates. Only needed where a value could be read two ways: `2.000`
 * (two, or two thousand) and `03/04/2026` (3 April or 4 March) are refused without one.
 */
export interface ValueLocale {
  tag: string;
  decimal: '.' | ',';
  dayOrder: 'MDY' | 'DMY';
}

const LOCALES: readonly ValueLocale[] = [
  { tag: 'en-US', decimal: '.', dayOrder: 'MDY' },
  { tag: 'en-CA', decimal: '.', dayOrder: 'DMY' },
  { tag: 'en-GB', decimal: '.', dayOrder: 'DMY' },
  { tag: 'en-IE', decimal: '.', dayOrder: 'DMY' },
  { tag: 'en-AU', decimal: '.', dayOrder: 'DMY' },
  { tag: 'en-IN', decimal: '.', dayOrder: 'DMY' },
  { tag: 'de-DE', decimal: ',', dayOrder: 'DMY' },
  { tag: 'de-CH', decimal: '.', dayOrder: 'DMY' },
  { tag: 'fr-FR', decimal: ',', dayOrder: 'DMY' },
  { tag: 'es-ES', decimal: ',', dayOrder: 'DMY' },
  { tag: 'it-IT', decimal: ',', dayOrder: 'DMY' },
  { tag: 'nl-NL', decimal: ',', dayOrder: 'DMY' },
  { tag: 'pt-BR', decimal: ',', dayOrder: 'DMY' },
  { tag: 'sv-SE', decimal: ',', dayOrder: 'DMY' },
];

export const LOCALE_TAGS: readonly string[] = LOCALES.map((locale) => locale.tag);

/** The locale named by a tag (`en-US`, `de-DE` …), or null when Retain does not know it. */
export function valueLocale(tag: string): ValueLocale | null {
  return LOCALES.find((locale) => locale.tag.toLowerCase() === tag.trim().toLowerCase()) ?? null;
}

const NAMED_MONTH_FORMATS = ['d MMM yyyy', 'd MMMM yyyy', 'MMM d, yyyy', 'MMMM d, yyyy', 'yyyy/MM/dd'];
const REFERENCE = new Date(Date.UTC(2000, 0, 1));
/** Month names, January first. */
export const MONTH_NAMES = [
  'January',
  'February',
  'March',
  'April',
  'May',
  'June',
  'July',
  'August',
  'September',
  'October',
  'November',
  'December',
];

function isoDay(year: number, month: number, day: number): string | null {
  const date = new Date(Date.UTC(year, month - 1, day));
  if (date.getUTCFullYear() !== year || date.getUTCMonth() !== month - 1 || date.getUTCDate() !== day)
    return null;
  return date.toISOString().slice(0, 10);
}

/**
 * A calendar date as `YYYY-MM-DD`. Accepted: ISO dates and date-times (`2026-03-04T10:11:00Z`,
 * HubSpot's `2026-03-04 10:11`), `YYYY/MM/DD`, named months (`4 Mar 2026`, `March 4, 2026`), and
 * numeric day and month in either order when the values or the locale say which is which. A
 * two-digit year is refused, and so is `03/04/2026` without a locale.
 */
export function parseCalendarDate(text: string, locale?: ValueLocale): Parsed<string> {
  const trimmed = text.trim();
  const iso =
    /^(\d{4})-(\d{2})-(\d{2})(?:[T ]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?$/.exec(
      trimmed,
    );
  if (iso) {
    const day = isoDay(Number(iso[1]), Number(iso[2]), Number(iso[3]));
    return day
      ? { ok: true, value: day }
      : { ok: false, message: `"${trimmed}" is not a day of the calendar` };
  }
  const numeric = /^(\d{1,2})[/.-](\d{1,2})[/.-](\d{2,4})$/.exec(trimmed);
  if (numeric) {
    const [first, second, year] = [Number(numeric[1]), Number(numeric[2]), numeric[3] ?? ''];
    if (year.length !== 4)
      return {
        ok: false,
        message: `"${trimmed}" has a two-digit year: write the year in full (e.g. 20${year.padStart(2, '0')})`,
      };
    if (first > 12 && second > 12) return { ok: false, message: `"${trimmed}" is not a day of the calendar` };
    let order: ValueLocale['dayOrder'] | null = null;
    if (first > 12 && second <= 12) order = 'DMY';
    else if (second > 12 && first <= 12) order = 'MDY';
    else if (first === second) order = 'MDY';
    if (locale && order !== null && order !== locale.dayOrder && first !== second)
      return {
        ok: false,
        message: `"${trimmed}" is not a date in ${locale.tag} (${locale.dayOrder === 'MDY' ? 'M/D/YYYY' : 'D/M/YYYY'})`,
      };
    order ??= locale?.dayOrder ?? null;
    if (order === null) {
      return {
        ok: false,
        message:
          `"${trimmed}" could be ${first} ${MONTH_NAMES[second - 1] ?? '?'} or ${second} ${MONTH_NAMES[first - 1] ?? '?'}: ` +
          "give the file's locale (en-US reads month first, en-GB day first) or write YYYY-MM-DD",
      };
    }
    const [month, day] = order === 'MDY' ? [first, second] : [second, first];
    const value = isoDay(Number(year), month, day);
    return value ? { ok: true, value } : { ok: false, message: `"${trimmed}" is not a day of the calendar` };
  }
  for (const pattern of NAMED_MONTH_FORMATS) {
    const date = parse(trimmed, pattern, REFERENCE);
    if (!isValid(date)) continue;
    // date-fns reads `4 Mar 26` as the year 26: a year must be written in full.
    if (!/(^|\D)\d{4}(\D|$)/.test(trimmed))
      return {
        ok: false,
        message: `"${trimmed}" has no four-digit year: write the year in full (e.g. 2026)`,
      };
    return { ok: true, value: format(date, 'yyyy-MM-dd') };
  }
  return {
    ok: false,
    message: `"${trimmed}" is not a date: write YYYY-MM-DD, or D/M/YYYY or M/D/YYYY with the file's locale`,
  };
}

const GROUPED = (separator: string) => new RegExp(`^\\d{1,3}(\\${separator}\\d{3})+$`);
/** India groups the last three digits, then by two: 12,34,567 is twelve lakh thirty-four thousand. */
const LAKH = /^\d{1,2}(,\d{2})*,\d{3}$/;

/** Whether `whole` is grouped as the locale groups thousands (en-IN also by lakh). */
function grouped(whole: string, grouping: string, locale: ValueLocale | undefined): boolean {
  return GROUPED(grouping).test(whole) || (locale?.tag === 'en-IN' && grouping === ',' && LAKH.test(whole));
}

/**
 * A non-negative amount of money. Currency symbols and codes and spaces are ignored. Thousands
 * separators and the decimal mark are read from the value where it shows them (`12,500.50`,
 * `12.500,50`, `1.234.567`), and from the locale where it does not: `2.000` and `12,000` are
 * refused without one, as each could be read two ways.
 */
export function parseMoney(text: string, locale?: ValueLocale): Parsed<number> {
  const shown = text.trim();
  // Dollars and pounds are written with a decimal point wherever they are used (R$ with a comma),
  // so their sign says how to read `$250,000`; a euro amount says nothing about it.
  const hint: ValueLocale['decimal'] | null = /^(R\$|BRL)/.test(shown)
    ? ','
    : /^(US\$|CA\$|A\$|\$|£|USD|GBP|CAD|AUD)/.test(shown)
      ? '.'
      : null;
  const cleaned = shown
    .replace(/^R\$|^[A-Z]{1,2}\$/, '')
    .replace(/^[A-Z]{3}\s*|\s*[A-Z]{3}$/g, '')
    .replace(/[$€£¥₹\s\u00a0\u202f']/g, '');
  const bad: Parsed<number> = { ok: false, message: `"${shown}" is not a non-negative amount` };
  if (!/^[\d.,]+$/.test(cleaned) || !/\d/.test(cleaned)) return bad;
  const dots = cleaned.split('.').length - 1;
  const commas = cleaned.split(',').length - 1;
  const read = (decimal: '.' | ',' | null): Parsed<number> => {
    const grouping = decimal === '.' ? ',' : decimal === ',' ? '.' : null;
    const [whole = '', fraction, extra] = decimal ? cleaned.split(decimal) : [cleaned];
    if (extra !== undefined) return bad;
    const intPart =
      grouping && whole.includes(grouping)
        ? grouped(whole, grouping, locale)
          ? whole.split(grouping).join('')
          : null
        : whole;
    if (intPart === null || !/^\d*$/.test(intPart) || (fraction !== undefined && !/^\d+$/.test(fraction)))
      return bad;
    return { ok: true, value: Number(`${intPart || '0'}${fraction === undefined ? '' : `.${fraction}`}`) };
  };
  if (dots > 0 && commas > 0) {
    const decimal = cleaned.lastIndexOf('.') > cleaned.lastIndexOf(',') ? '.' : ',';
    if (locale && locale.decimal !== decimal)
      return {
        ok: false,
        message: `"${shown}" is not an amount in ${locale.tag} (decimal mark "${locale.decimal}")`,
      };
    return read(decimal);
  }
  if (dots + commas === 0) return read(null);
  // The file's locale says what its one kind of mark is: `12,50` is not an amount in en-US.
  if (locale) {
    const result = read(locale.decimal);
    return result.ok
      ? result
      : {
          ok: false,
          message: `"${shown}" is not an amount in ${locale.tag} (decimal mark "${locale.decimal}")`,
        };
  }
  const separator = dots > 0 ? '.' : ',';
  if (dots + commas > 1) {
    const result = read(separator === '.' ? ',' : '.');
    if (!result.ok && LAKH.test(cleaned))
      return { ok: false, message: `"${shown}" is grouped in lakhs: give the locale en-IN to read it` };
    return result;
  }
  const [whole = '', fraction = ''] = cleaned.split(separator);
  // One mark with three digits after it: a decimal mark or a thousands separator.
  if (fraction.length !== 3 || whole === '' || whole === '0') return read(separator);
  const decimal = hint;
  if (decimal) return read(decimal === separator ? separator : separator === '.' ? ',' : '.');
  const asDecimal = Number(`${whole}.${fraction}`);
  const asThousands = Number(`${whole}${fraction}`);
  return {
    ok: false,
    message:
      `"${shown}" could be ${asDecimal.toLocaleString('en-US')} or ${asThousands.toLocaleString('en-US')}: ` +
      `give the file's locale (en-US reads "${separator}" as ${separator === '.' ? 'the decimal mark' : 'thousands'}, ` +
      `de-DE as ${separator === ',' ? 'the decimal mark' : 'thousands'})`,
  };
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

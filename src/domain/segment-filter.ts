// The segment filter language: what a CS admin writes to say which accounts belong together.
//
//   tier = "Enterprise" and renewal within 90 days
//   health.score < 50 or health.change(30d) <= -20%
//   tickets.opened(30d) > 5 and not (risk.stage in ("saving", "plan_in_place"))
//   attributes.region = "EMEA" and risk.days_in_stage >= 14
//
// Parsed into a typed tree and checked against the field catalog; every error names the offending
// token and its position. The store compiles the tree to SQL (never by pasting text).
import { AppError } from './errors';
import { QUADRANTS } from './matrix';
import { METRICS, metricOp } from './signals';

export type CompareOp = '=' | '!=' | '<' | '<=' | '>' | '>=';

export type Literal = { kind: 'number'; value: number; percent: boolean } | { kind: 'text'; value: string };

export type FieldType = 'text' | 'number' | 'percent' | 'days' | 'date' | 'attribute';

/** A resolved field: what it is, and for windowed fields the window. */
export type FieldRef =
  | {
      kind: 'account';
      name: 'name' | 'external_id' | 'tier' | 'lifecycle_stage' | 'owner' | 'team';
      type: 'text';
    }
  | { kind: 'account'; name: 'arr'; type: 'number' }
  | { kind: 'account'; name: 'renewal'; type: 'date' }
  | { kind: 'attribute'; key: string; type: 'attribute' }
  | { kind: 'health'; name: 'score'; type: 'number' }
  | { kind: 'health'; name: 'band'; type: 'text' }
  | { kind: 'health'; name: 'change'; windowDays: number; type: 'percent' }
  | { kind: 'metric'; metric: string; windowDays: number; type: 'number' }
  | { kind: 'risk'; name: 'stage' | 'reason' | 'quadrant' | 'track'; type: 'text' }
  | { kind: 'risk'; name: 'days_in_stage' | 'days_open' | 'days_since_update'; type: 'days' }
  | { kind: 'risk'; name: 'arr_at_risk' | 'ltv'; type: 'number' };

export type Filter =
  | { kind: 'and' | 'or'; items: Filter[] }
  | { kind: 'not'; item: Filter }
  | { kind: 'compare'; field: FieldRef; op: CompareOp; value: Literal }
  | { kind: 'in'; field: FieldRef; values: Literal[] }
  | { kind: 'within'; field: FieldRef; days: number }
  | { kind: 'empty'; field: FieldRef };

export const MAX_FILTER_LENGTH = 4000;
const MAX_DEPTH = 32;
const MAX_WINDOW_DAYS = 730;

// ---------------------------------------------------------------------------------------------
// Tokens

type Token =
  | { kind: 'word'; text: string; pos: number }
  | { kind: 'string'; text: string; pos: number }
  | { kind: 'number'; value: number; percent: boolean; text: string; pos: number }
  | { kind: 'op'; text: CompareOp; pos: number }
  | { kind: 'punct'; text: '(' | ')' | ','; pos: number }
  | { kind: 'end'; pos: number };

function filterError(message: string, pos: number, token?: string): AppError {
  return new AppError('INVALID_FILTER', `${message} (at position ${pos + 1}).`, {
    position: pos + 1,
    ...(token !== undefined ? { token } : {}),
  });
}

function tokenize(source: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < source.length) {
    const ch = source.charAt(i);
    if (/\s/.test(ch)) {
      i += 1;
      continue;
    }
    const start = i;
    if (ch === '"' || ch === "'") {
      let text = '';
      i += 1;
      while (i < source.length && source.charAt(i) !== ch) {
        if (source.charAt(i) === '\\' && i + 1 < source.length) i += 1;
        text += source.charAt(i);
        i += 1;
      }
      if (i >= source.length) throw filterError('Unclosed quote', start, source.slice(start, start + 20));
      i += 1;
      tokens.push({ kind: 'string', text, pos: start });
      continue;
    }
    const number = /^-?(\d+(\.\d+)?|\.\d+)(%?)/.exec(source.slice(i));
    if (number && (ch !== '-' || /[\d.]/.test(source.charAt(i + 1)))) {
      const text = number[0];
      i += text.length;
      if (/[A-Za-z_]/.test(source.charAt(i))) {
        // `30d` inside a window is read by the field parser; a number glued to letters is a word.
        while (/[A-Za-z0-9_]/.test(source.charAt(i))) i += 1;
        tokens.push({ kind: 'word', text: source.slice(start, i), pos: start });
        continue;
      }
      tokens.push({
        kind: 'number',
        value: Number(text.replace('%', '')),
        percent: text.endsWith('%'),
        text,
        pos: start,
      });
      continue;
    }
    const op = /^(<=|>=|!=|<>|=|<|>)/.exec(source.slice(i));
    if (op) {
      i += op[0].length;
      tokens.push({ kind: 'op', text: op[0] === '<>' ? '!=' : (op[0] as CompareOp), pos: start });
      continue;
    }
    if (ch === '(' || ch === ')' || ch === ',') {
      i += 1;
      tokens.push({ kind: 'punct', text: ch, pos: start });
      continue;
    }
    if (/[A-Za-z_]/.test(ch)) {
      while (i < source.length && /[A-Za-z0-9_.]/.test(source.charAt(i))) i += 1;
      tokens.push({ kind: 'word', text: source.slice(start, i), pos: start });
      continue;
    }
    throw filterError(`Unexpected character "${ch}"`, start, ch);
  }
  tokens.push({ kind: 'end', pos: source.length });
  return tokens;
}

// ---------------------------------------------------------------------------------------------
// Fields

const ACCOUNT_TEXT = ['name', 'external_id', 'tier', 'lifecycle_stage', 'owner', 'team'] as const;
const RISK_TEXT = ['stage', 'reason', 'quadrant', 'track'] as const;

/** Every field a filter can name, for error messages and the docs. */
export const FIELD_NAMES = [
  ...ACCOUNT_TEXT,
  'arr',
  'renewal',
  'attributes.<name>',
  'health.score',
  'health.band',
  'health.change(<n>d)',
  ...Object.keys(METRICS).map((metric) => `${metric}(<n>d)`),
  'events.<event>(<n>d)',
  'events.<event>.<property>(<n>d)',
  ...RISK_TEXT.map((name) => `risk.${name}`),
  'risk.days_in_stage',
  'risk.days_open',
  'risk.days_since_update',
  'risk.arr_at_risk',
  'risk.ltv',
];

function resolveField(name: string, windowDays: number | null, pos: number): FieldRef {
  const lower = name.toLowerCase();
  const noWindow = () => {
    if (windowDays !== null) throw filterError(`Field "${name}" takes no window`, pos, name);
  };
  if (lower.startsWith('attributes.') || lower.startsWith('attribute.')) {
    const key = name.slice(name.indexOf('.') + 1);
    if (!key) throw filterError('Name the attribute after "attributes."', pos, name);
    noWindow();
    return { kind: 'attribute', key, type: 'attribute' };
  }
  const accountText = ACCOUNT_TEXT.find((field) => field === lower);
  if (accountText) {
    noWindow();
    return { kind: 'account', name: accountText, type: 'text' };
  }
  if (lower === 'arr') {
    noWindow();
    return { kind: 'account', name: 'arr', type: 'number' };
  }
  if (lower === 'renewal' || lower === 'renewal_date') {
    noWindow();
    return { kind: 'account', name: 'renewal', type: 'date' };
  }
  if (lower === 'health.score' || lower === 'health') {
    noWindow();
    return { kind: 'health', name: 'score', type: 'number' };
  }
  if (lower === 'health.band') {
    noWindow();
    return { kind: 'health', name: 'band', type: 'text' };
  }
  if (lower === 'health.change') {
    if (windowDays === null)
      throw filterError('health.change needs a window, e.g. health.change(30d)', pos, name);
    return { kind: 'health', name: 'change', windowDays, type: 'percent' };
  }
  if (metricOp(lower) !== null) {
    if (windowDays === null) throw filterError(`${lower} needs a window, e.g. ${lower}(30d)`, pos, name);
    return { kind: 'metric', metric: lower, windowDays, type: 'number' };
  }
  if (lower.startsWith('risk.')) {
    const part = lower.slice('risk.'.length);
    noWindow();
    const text = RISK_TEXT.find((field) => field === part);
    if (text) return { kind: 'risk', name: text, type: 'text' };
    if (part === 'days_in_stage' || part === 'days_open' || part === 'days_since_update')
      return { kind: 'risk', name: part, type: 'days' };
    if (part === 'arr_at_risk' || part === 'ltv') return { kind: 'risk', name: part, type: 'number' };
  }
  throw new AppError('INVALID_FILTER', `Unknown field "${name}" (at position ${pos + 1}).`, {
    position: pos + 1,
    token: name,
    fields: FIELD_NAMES,
  });
}

// ---------------------------------------------------------------------------------------------
// Parser (recursive descent): or > and > not > comparison

class Parser {
  private index = 0;
  private depth = 0;

  constructor(private readonly tokens: Token[]) {}

  private peek(): Token {
    return this.tokens[this.index] ?? { kind: 'end', pos: 0 };
  }

  private next(): Token {
    const token = this.peek();
    this.index += 1;
    return token;
  }

  private isWord(token: Token, word: string): boolean {
    return token.kind === 'word' && token.text.toLowerCase() === word;
  }

  private describe(token: Token): string {
    switch (token.kind) {
      case 'end':
        return 'the end of the filter';
      case 'string':
        return `"${token.text}"`;
      case 'number':
        return token.text;
      case 'op':
      case 'punct':
      case 'word':
        return `"${token.text}"`;
    }
  }

  private expected(what: string, token: Token): AppError {
    return filterError(
      `Expected ${what} but found ${this.describe(token)}`,
      token.pos,
      'text' in token ? String(token.text) : '',
    );
  }

  parse(): Filter {
    if (this.peek().kind === 'end') throw filterError('The filter is empty', 0);
    const filter = this.or();
    const rest = this.peek();
    if (rest.kind !== 'end') throw this.expected('"and", "or" or the end of the filter', rest);
    return filter;
  }

  private or(): Filter {
    const items = [this.and()];
    while (this.isWord(this.peek(), 'or')) {
      this.next();
      items.push(this.and());
    }
    return items.length === 1 ? (items[0] as Filter) : { kind: 'or', items };
  }

  private and(): Filter {
    const items = [this.unary()];
    while (this.isWord(this.peek(), 'and')) {
      this.next();
      items.push(this.unary());
    }
    return items.length === 1 ? (items[0] as Filter) : { kind: 'and', items };
  }

  private unary(): Filter {
    const token = this.peek();
    this.depth += 1;
    if (this.depth > MAX_DEPTH)
      throw filterError(`The filter nests deeper than ${MAX_DEPTH} levels`, token.pos);
    try {
      if (this.isWord(token, 'not')) {
        this.next();
        return { kind: 'not', item: this.unary() };
      }
      if (token.kind === 'punct' && token.text === '(') {
        this.next();
        const inner = this.or();
        const close = this.next();
        if (!(close.kind === 'punct' && close.text === ')')) throw this.expected('")"', close);
        return inner;
      }
      return this.condition();
    } finally {
      this.depth -= 1;
    }
  }

  private field(): FieldRef {
    const token = this.next();
    if (
      token.kind !== 'word' ||
      ['and', 'or', 'not', 'in', 'is', 'within'].includes(token.text.toLowerCase())
    )
      throw this.expected('a field name', token);
    let name = token.text;
    // attributes."Area code": a quoted attribute name after the dot.
    const quoted = this.peek();
    if (/^attributes?\.$/i.test(name) && quoted.kind === 'string') {
      this.next();
      name += quoted.text;
    }
    let windowDays: number | null = null;
    const open = this.peek();
    if (open.kind === 'punct' && open.text === '(') {
      this.next();
      const window = this.next();
      const match = window.kind === 'word' ? /^(\d+)d$/i.exec(window.text) : null;
      if (!match) throw this.expected('a window such as 30d', window);
      windowDays = Number(match[1]);
      if (windowDays < 1 || windowDays > MAX_WINDOW_DAYS)
        throw filterError(`A window runs from 1 to ${MAX_WINDOW_DAYS} days`, window.pos, match[0]);
      const close = this.next();
      if (!(close.kind === 'punct' && close.text === ')')) throw this.expected('")"', close);
    }
    return resolveField(name, windowDays, token.pos);
  }

  private literal(field: FieldRef, fieldName: string): Literal {
    const token = this.next();
    if (token.kind === 'string') {
      if (field.type === 'number' || field.type === 'percent' || field.type === 'days')
        throw filterError(`${fieldName} is a number; "${token.text}" is text`, token.pos, token.text);
      if (field.type === 'date' && !isDay(token.text))
        throw filterError(`"${token.text}" is not a date (YYYY-MM-DD)`, token.pos, token.text);
      return { kind: 'text', value: token.text };
    }
    if (token.kind === 'number') {
      if (field.type === 'text' || field.type === 'date')
        throw filterError(`${fieldName} is ${field.type}; put the value in quotes`, token.pos, token.text);
      if (token.percent && field.type !== 'percent')
        throw filterError(
          `Only a change (health.change) is compared with a percentage`,
          token.pos,
          token.text,
        );
      if (field.type === 'days' && !Number.isInteger(token.value))
        throw filterError(`Days are whole numbers`, token.pos, token.text);
      return { kind: 'number', value: token.value, percent: token.percent };
    }
    if (token.kind === 'word')
      throw filterError(`Put text in quotes: "${token.text}"`, token.pos, token.text);
    throw this.expected('a value (a number or quoted text)', token);
  }

  private condition(): Filter {
    const start = this.peek();
    const field = this.field();
    const name = 'text' in start ? String(start.text) : 'field';
    const token = this.next();
    if (token.kind === 'op') {
      if (field.type === 'text' && token.text !== '=' && token.text !== '!=')
        throw filterError(`${name} is text: compare it with = or != (or "in")`, token.pos, token.text);
      return { kind: 'compare', field, op: token.text, value: this.literal(field, name) };
    }
    if (this.isWord(token, 'in')) {
      const open = this.next();
      if (!(open.kind === 'punct' && open.text === '(')) throw this.expected('"(" after "in"', open);
      const values = [this.literal(field, name)];
      for (;;) {
        const separator = this.next();
        if (separator.kind === 'punct' && separator.text === ')') break;
        if (!(separator.kind === 'punct' && separator.text === ','))
          throw this.expected('"," or ")"', separator);
        values.push(this.literal(field, name));
      }
      if (values.length > 500) throw filterError('A list holds at most 500 values', open.pos);
      return { kind: 'in', field, values };
    }
    if (this.isWord(token, 'within')) {
      if (field.type !== 'date')
        throw filterError(`"within" applies to dates, not ${name}`, token.pos, 'within');
      const days = this.next();
      if (
        days.kind !== 'number' ||
        days.percent ||
        !Number.isInteger(days.value) ||
        days.value < 0 ||
        days.value > 3650
      )
        throw this.expected('a whole number of days', days);
      const unit = this.next();
      if (!this.isWord(unit, 'days') && !this.isWord(unit, 'day')) throw this.expected('"days"', unit);
      return { kind: 'within', field, days: days.value };
    }
    if (this.isWord(token, 'is')) {
      let negated = false;
      if (this.isWord(this.peek(), 'not')) {
        this.next();
        negated = true;
      }
      const empty = this.next();
      if (!this.isWord(empty, 'empty')) throw this.expected('"empty"', empty);
      const filter: Filter = { kind: 'empty', field };
      return negated ? { kind: 'not', item: filter } : filter;
    }
    throw this.expected('a comparison (=, !=, <, <=, >, >=, in, within, is empty)', token);
  }
}

const isDay = (text: string) =>
  /^\d{4}-\d{2}-\d{2}$/.test(text) &&
  !Number.isNaN(Date.parse(`${text}T00:00:00Z`)) &&
  new Date(`${text}T00:00:00Z`).toISOString().startsWith(text);

/** Parses and checks a filter; throws INVALID_FILTER naming the offending token and position. */
export function parseFilter(source: string): Filter {
  if (source.length > MAX_FILTER_LENGTH)
    throw new AppError('INVALID_FILTER', `A filter is at most ${MAX_FILTER_LENGTH} characters.`, {
      length: source.length,
    });
  const filter = new Parser(tokenize(source)).parse();
  checkValues(filter);
  return filter;
}

/** Value checks that need the whole condition: known stage keys are not known here, but quadrants and tracks are. */
function checkValues(filter: Filter): void {
  switch (filter.kind) {
    case 'and':
    case 'or':
      filter.items.forEach(checkValues);
      return;
    case 'not':
      checkValues(filter.item);
      return;
    case 'compare':
    case 'in': {
      const values = filter.kind === 'compare' ? [filter.value] : filter.values;
      if (
        filter.field.kind === 'risk' &&
        (filter.field.name === 'quadrant' || filter.field.name === 'track')
      ) {
        const allowed: readonly string[] =
          filter.field.name === 'quadrant' ? QUADRANTS : ['human', 'digital'];
        for (const value of values)
          if (value.kind === 'text' && !allowed.includes(value.value.toLowerCase()))
            throw new AppError(
              'INVALID_FILTER',
              `risk.${filter.field.name} is one of ${allowed.join(', ')}; "${value.value}" is not.`,
              { token: value.value, allowed },
            );
      }
      return;
    }
    case 'within':
    case 'empty':
      return;
  }
}

/** Whether the filter reads health scores, signal metrics or risk cases (what an ingest can change). */
export function readsActivity(filter: Filter): boolean {
  switch (filter.kind) {
    case 'and':
    case 'or':
      return filter.items.some(readsActivity);
    case 'not':
      return readsActivity(filter.item);
    case 'compare':
    case 'in':
    case 'within':
    case 'empty':
      return filter.field.kind === 'health' || filter.field.kind === 'metric' || filter.field.kind === 'risk';
  }
}

/** Writes a filter back as text (normalised): what the store keeps next to the source. */
export function formatFilter(filter: Filter): string {
  const field = (ref: FieldRef): string => {
    switch (ref.kind) {
      case 'account':
        return ref.name;
      case 'attribute':
        return /^[A-Za-z_][A-Za-z0-9_]*$/.test(ref.key)
          ? `attributes.${ref.key}`
          : `attributes.${JSON.stringify(ref.key)}`;
      case 'health':
        return ref.name === 'change' ? `health.change(${ref.windowDays}d)` : `health.${ref.name}`;
      case 'metric':
        return `${ref.metric}(${ref.windowDays}d)`;
      case 'risk':
        return `risk.${ref.name}`;
    }
  };
  const literal = (value: Literal) =>
    value.kind === 'text' ? JSON.stringify(value.value) : `${value.value}${value.percent ? '%' : ''}`;
  const wrap = (inner: Filter) =>
    inner.kind === 'and' || inner.kind === 'or' ? `(${formatFilter(inner)})` : formatFilter(inner);
  switch (filter.kind) {
    case 'and':
    case 'or':
      return filter.items.map(wrap).join(` ${filter.kind} `);
    case 'not':
      return filter.item.kind === 'empty'
        ? `${field(filter.item.field)} is not empty`
        : `not ${wrap(filter.item)}`;
    case 'compare':
      return `${field(filter.field)} ${filter.op} ${literal(filter.value)}`;
    case 'in':
      return `${field(filter.field)} in (${filter.values.map(literal).join(', ')})`;
    case 'within':
      return `${field(filter.field)} within ${filter.days} days`;
    case 'empty':
      return `${field(filter.field)} is empty`;
  }
}

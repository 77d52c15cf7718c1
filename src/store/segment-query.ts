// Segment filters as SQL over `accounts`, on SQLite and PostgreSQL alike. Every value is a bound
// parameter; operators and column names come from the parsed filter's closed sets, never from text.
// Each condition is two-valued (missing data makes it false, never null), so `not` is a true complement.
import { sql, type RawBuilder, type SqlBool } from 'kysely';
import type { CompareOp, FieldRef, Filter, Literal } from '../domain/segment-filter';
import { daysBefore } from '../domain/health';
import { METRICS, type Metric } from '../domain/signals';

export interface FilterContext {
  now: Date;
  postgres: boolean;
}

type Sql = RawBuilder<unknown>;

const OPS: Record<CompareOp, string> = { '=': '=', '!=': '<>', '<': '<', '<=': '<=', '>': '>', '>=': '>=' };
const op = (value: CompareOp) => sql.raw(OPS[value]);
const twoValued = (condition: Sql): RawBuilder<SqlBool> => sql<SqlBool>`coalesce(${condition}, false)`;
const literalValue = (literal: Literal) => literal.value;

const ACCOUNT_COLUMNS = {
  name: 'accounts.name',
  external_id: 'accounts.external_id',
  tier: 'accounts.tier',
  lifecycle_stage: 'accounts.lifecycle_stage',
} as const;

/** The account's open case, if any: the risk fields read it. */
const OPEN_CASE = sql`(select rc.id from risk_cases rc where rc.account_id = accounts.id and rc.closed_at is null)`;

class Compiler {
  private readonly today: string;
  private readonly nowIso: string;

  constructor(private readonly context: FilterContext) {
    this.nowIso = context.now.toISOString();
    this.today = this.nowIso.slice(0, 10);
  }

  compile(filter: Filter): RawBuilder<SqlBool> {
    switch (filter.kind) {
      case 'and':
      case 'or':
        return sql<SqlBool>`(${sql.join(
          filter.items.map((item) => this.compile(item)),
          sql.raw(` ${filter.kind} `),
        )})`;
      case 'not':
        return sql<SqlBool>`(not ${this.compile(filter.item)})`;
      case 'compare':
        return this.compare(filter.field, filter.op, filter.value);
      case 'in':
        return this.inList(filter.field, filter.values);
      case 'within':
        return twoValued(
          sql`accounts.renewal_date >= ${this.today} and accounts.renewal_date <= ${daysBefore(this.today, -filter.days)}`,
        );
      case 'empty':
        return this.empty(filter.field);
    }
  }

  /** An attribute's text, or null. */
  private attribute(key: string): Sql {
    return this.context.postgres
      ? sql`(accounts.attributes::jsonb ->> ${key})`
      : sql`cast(json_extract(accounts.attributes, ${`$."${key.replace(/["\\]/g, (c) => `\\${c}`)}"`}) as text)`;
  }

  /** An attribute as a number when it is one ("42", "-3.5"), else null. */
  private attributeNumber(key: string): Sql {
    const text = this.attribute(key);
    return this.context.postgres
      ? sql`(case when ${text} ~ '^\\s*-?[0-9]+(\\.[0-9]+)?\\s*$' then (${text})::numeric end)`
      : sql`retain_number(${text})`;
  }

  /** The value of a text or number field as SQL (null where the account has none). */
  private value(field: FieldRef, asNumber: boolean): Sql {
    switch (field.kind) {
      case 'account':
        if (field.name === 'owner') return sql`(select u.email from users u where u.id = accounts.owner_id)`;
        if (field.name === 'team') return sql`(select t.name from teams t where t.id = accounts.team_id)`;
        if (field.name === 'arr') return sql.ref('accounts.arr');
        if (field.name === 'renewal') return sql.ref('accounts.renewal_date');
        return sql.ref(ACCOUNT_COLUMNS[field.name]);
      case 'attribute':
        return asNumber ? this.attributeNumber(field.key) : this.attribute(field.key);
      case 'health':
        if (field.name === 'change') {
          const latest = this.latestScore(this.today);
          const past = this.latestScore(daysBefore(this.today, field.windowDays));
          return sql`(case when ${past} > 0 then (${latest} - ${past}) * 100.0 / ${past} end)`;
        }
        return sql`(select h.${sql.raw(field.name)} from health_scores h where h.account_id = accounts.id and h.day <= ${this.today} order by h.day desc limit 1)`;
      case 'metric':
        return this.metric(field.metric as Metric, field.windowDays);
      case 'risk':
        return this.riskValue(field);
    }
  }

  private latestScore(onOrBefore: string): Sql {
    return sql`(select h.score from health_scores h where h.account_id = accounts.id and h.day <= ${onOrBefore} order by h.day desc limit 1)`;
  }

  /** A metric over the window ending today: summed, its peak, or its latest value, as the metric combines. */
  private metric(metric: Metric, windowDays: number): Sql {
    const from = daysBefore(this.today, windowDays);
    const window = sql`r.account_id = accounts.id and r.metric = ${metric} and r.day > ${from} and r.day <= ${this.today}`;
    switch (METRICS[metric]) {
      case 'sum':
        return sql`coalesce((select sum(r.value) from daily_rollups r where ${window}), 0)`;
      case 'max':
        return sql`(select max(r.value) from daily_rollups r where ${window})`;
      case 'last':
        return sql`(select r.value from daily_rollups r where ${window} order by r.day desc limit 1)`;
    }
  }

  private riskValue(field: Extract<FieldRef, { kind: 'risk' }>): Sql {
    const caseColumn = (column: string) =>
      sql`(select rc.${sql.raw(column)} from risk_cases rc where rc.account_id = accounts.id and rc.closed_at is null)`;
    switch (field.name) {
      case 'stage':
        return sql`(select s.key from risk_cases rc join risk_stages s on s.id = rc.stage_id where rc.account_id = accounts.id and rc.closed_at is null)`;
      case 'track':
        return caseColumn('track');
      case 'arr_at_risk':
        return caseColumn('arr_at_risk');
      case 'ltv':
        return caseColumn('ltv');
      case 'quadrant':
        return sql`(select case when rc.expected is null or rc.avoidable is null then 'unplaced'
          else (case when rc.expected = 1 then 'expected' else 'unexpected' end) || '_' ||
               (case when rc.avoidable = 1 then 'avoidable' else 'unavoidable' end) end
          from risk_cases rc where rc.account_id = accounts.id and rc.closed_at is null)`;
      case 'days_in_stage':
        return caseColumn('stage_entered_at');
      case 'days_open':
        return caseColumn('opened_at');
      case 'reason':
        return sql`null`; // multi-valued: handled by reasonIn
    }
  }

  /** Whether the open case has any reason among `keys` (lower-cased). */
  private reasonIn(keys: string[]): Sql {
    return sql`exists (select 1 from risk_cases rc join risk_case_reasons rr on rr.case_id = rc.id
      join risk_reasons r on r.id = rr.reason_id
      where rc.account_id = accounts.id and rc.closed_at is null and lower(r.key) in (${sql.join(keys)}))`;
  }

  /**
   * Days in stage / days open compare whole days elapsed since a timestamp: "more than 14 days"
   * becomes "entered at least 15 days before now", a plain timestamp comparison.
   */
  private days(column: Sql, comparison: CompareOp, days: number): RawBuilder<SqlBool> {
    const atLeast = (n: number) =>
      sql`${column} <= ${new Date(this.context.now.getTime() - n * 86_400_000).toISOString()}`;
    const below = (n: number) =>
      sql`${column} > ${new Date(this.context.now.getTime() - n * 86_400_000).toISOString()}`;
    switch (comparison) {
      case '>=':
        return twoValued(atLeast(days));
      case '>':
        return twoValued(atLeast(days + 1));
      case '<':
        return twoValued(below(days));
      case '<=':
        return twoValued(below(days + 1));
      case '=':
        return twoValued(sql`${atLeast(days)} and ${below(days + 1)}`);
      case '!=':
        return twoValued(sql`${column} is not null and not (${atLeast(days)} and ${below(days + 1)})`);
    }
  }

  private compare(field: FieldRef, comparison: CompareOp, literal: Literal): RawBuilder<SqlBool> {
    if (field.kind === 'risk' && field.name === 'reason') {
      const has = this.reasonIn([String(literal.value).toLowerCase()]);
      return comparison === '=' ? sql<SqlBool>`${has}` : sql<SqlBool>`(exists ${OPEN_CASE} and not ${has})`;
    }
    if (field.type === 'days') return this.days(this.value(field, true), comparison, Number(literal.value));
    if (literal.kind === 'text' && field.type !== 'date') {
      // Text matches ignoring case: a CS admin writes "enterprise" for "Enterprise".
      return twoValued(sql`lower(${this.value(field, false)}) ${op(comparison)} lower(${literal.value})`);
    }
    return twoValued(
      sql`${this.value(field, literal.kind === 'number')} ${op(comparison)} ${literalValue(literal)}`,
    );
  }

  private inList(field: FieldRef, values: Literal[]): RawBuilder<SqlBool> {
    if (field.kind === 'risk' && field.name === 'reason')
      return sql<SqlBool>`${this.reasonIn(values.map((v) => String(v.value).toLowerCase()))}`;
    if (field.type === 'days')
      return sql<SqlBool>`(${sql.join(
        values.map((v) => this.days(this.value(field, true), '=', Number(v.value))),
        sql.raw(' or '),
      )})`;
    const texts = values.filter((v) => v.kind === 'text').map((v) => String(v.value).toLowerCase());
    const numbers = values.filter((v) => v.kind === 'number').map((v) => Number(v.value));
    const parts: Sql[] = [];
    if (texts.length > 0) parts.push(sql`lower(${this.value(field, false)}) in (${sql.join(texts)})`);
    if (numbers.length > 0) parts.push(sql`${this.value(field, true)} in (${sql.join(numbers)})`);
    return twoValued(sql`(${sql.join(parts, sql.raw(' or '))})`);
  }

  private empty(field: FieldRef): RawBuilder<SqlBool> {
    if (field.kind === 'risk') {
      if (field.name === 'reason')
        return sql<SqlBool>`not exists (select 1 from risk_cases rc join risk_case_reasons rr on rr.case_id = rc.id
          where rc.account_id = accounts.id and rc.closed_at is null)`;
      return sql<SqlBool>`not exists ${OPEN_CASE}`;
    }
    if (field.kind === 'metric') {
      const from = daysBefore(this.today, field.windowDays);
      return sql<SqlBool>`not exists (select 1 from daily_rollups r where r.account_id = accounts.id
        and r.metric = ${field.metric} and r.day > ${from} and r.day <= ${this.today})`;
    }
    const value = this.value(field, false);
    return field.type === 'text' || field.type === 'attribute' || field.type === 'date'
      ? sql<SqlBool>`(${value} is null or ${value} = '')`
      : sql<SqlBool>`(${value} is null)`;
  }
}

/** The filter as a boolean SQL expression over a query whose row is `accounts`. */
export function filterCondition(filter: Filter, context: FilterContext): RawBuilder<SqlBool> {
  return new Compiler(context).compile(filter);
}

// Segment filters as SQL over `accounts`, on SQLite and PostgreSQL alike. Every value is a bound
// parameter; operators and column names come from the parsed filter's closed sets, never from text.
// Each condition is two-valued (missing data makes it false, never null), so `not` is a true complement.
import { sql, type RawBuilder, type SqlBool } from 'kysely';
import type { CompareOp, FieldRef, Filter, Literal } from '../domain/segment-filter';
import { daysBefore } from '../domain/health';
import { metricOp } from '../domain/signals';

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
        return this.metric(field.metric, field.windowDays);
      case 'risk':
        return this.riskColumn(field).column;
    }
  }

  private latestScore(onOrBefore: string): Sql {
    return sql`(select h.score from health_scores h where h.account_id = accounts.id and h.day <= ${onOrBefore} order by h.day desc limit 1)`;
  }

  /** A metric over the window ending today: summed, its peak, or its latest value, as the metric combines. */
  private metric(metric: string, windowDays: number): Sql {
    const from = daysBefore(this.today, windowDays);
    const window = sql`r.account_id = accounts.id and r.metric = ${metric} and r.day > ${from} and r.day <= ${this.today}`;
    const op = metricOp(metric);
    if (op === null) throw new Error(`no metric ${metric}`);
    switch (op) {
      case 'sum':
        return sql`coalesce((select sum(r.value) from daily_rollups r where ${window}), 0)`;
      case 'max':
        return sql`(select max(r.value) from daily_rollups r where ${window})`;
      case 'last':
        return sql`(select r.value from daily_rollups r where ${window} order by r.day desc limit 1)`;
    }
  }

  /** A column of the account's open case (`rc`), with the joins it needs. */
  private riskColumn(field: Extract<FieldRef, { kind: 'risk' }>): { column: Sql; joins: Sql } {
    const none = sql``;
    switch (field.name) {
      case 'stage':
        return { column: sql`s.key`, joins: sql`join risk_stages s on s.id = rc.stage_id` };
      case 'track':
      case 'arr_at_risk':
      case 'ltv':
        return { column: sql.ref(`rc.${field.name}`), joins: none };
      case 'quadrant':
        return {
          column: sql`(case when rc.expected is null or rc.avoidable is null then 'unplaced'
            else (case when rc.expected = 1 then 'expected' else 'unexpected' end) || '_' ||
                 (case when rc.avoidable = 1 then 'avoidable' else 'unavoidable' end) end)`,
          joins: none,
        };
      case 'days_in_stage':
        return { column: sql.ref('rc.stage_entered_at'), joins: none };
      case 'days_open':
        return { column: sql.ref('rc.opened_at'), joins: none };
      case 'days_since_update':
        // A case never updated counts from when it was opened.
        return { column: sql`coalesce(rc.last_update_at, rc.opened_at)`, joins: none };
      case 'reason':
        return {
          column: sql`r.key`,
          joins: sql`join risk_case_reasons rr on rr.case_id = rc.id join risk_reasons r on r.id = rr.reason_id`,
        };
    }
  }

  /**
   * Accounts whose open case meets `condition`: written as `id in (open cases ...)` so the database
   * starts from the few open cases rather than probing every account.
   */
  private openCaseWhere(joins: Sql, condition: Sql): RawBuilder<SqlBool> {
    return sql<SqlBool>`accounts.id in (select rc.account_id from risk_cases rc ${joins} where rc.closed_at is null and ${condition})`;
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
    if (field.kind === 'risk') {
      const { column, joins } = this.riskColumn(field);
      if (field.name === 'reason') {
        const has = this.openCaseWhere(joins, sql`lower(${column}) = ${String(literal.value).toLowerCase()}`);
        return comparison === '='
          ? has
          : sql<SqlBool>`(${this.openCaseWhere(sql``, sql`1 = 1`)} and not ${has})`;
      }
      if (field.type === 'days')
        return this.openCaseWhere(joins, this.days(column, comparison, Number(literal.value)));
      return this.openCaseWhere(joins, this.comparison(column, comparison, literal));
    }
    return twoValued(this.comparison(this.value(field, literal.kind === 'number'), comparison, literal));
  }

  /** `value op literal`; text matches ignoring case (a CS admin writes "enterprise" for "Enterprise"). */
  private comparison(value: Sql, comparison: CompareOp, literal: Literal): Sql {
    return literal.kind === 'text'
      ? sql`lower(${value}) ${op(comparison)} lower(${literal.value})`
      : sql`${value} ${op(comparison)} ${literalValue(literal)}`;
  }

  private inList(field: FieldRef, values: Literal[]): RawBuilder<SqlBool> {
    const texts = values.filter((v) => v.kind === 'text').map((v) => String(v.value).toLowerCase());
    const numbers = values.filter((v) => v.kind === 'number').map((v) => Number(v.value));
    const anyOf = (value: (asNumber: boolean) => Sql) => {
      const parts: Sql[] = [];
      if (texts.length > 0) parts.push(sql`lower(${value(false)}) in (${sql.join(texts)})`);
      if (numbers.length > 0) parts.push(sql`${value(true)} in (${sql.join(numbers)})`);
      return sql`(${sql.join(parts, sql.raw(' or '))})`;
    };
    if (field.kind === 'risk') {
      const { column, joins } = this.riskColumn(field);
      if (field.type === 'days')
        return this.openCaseWhere(
          joins,
          sql`(${sql.join(
            values.map((v) => this.days(column, '=', Number(v.value))),
            sql.raw(' or '),
          )})`,
        );
      return this.openCaseWhere(
        joins,
        anyOf(() => column),
      );
    }
    return twoValued(anyOf((asNumber) => this.value(field, asNumber)));
  }

  private empty(field: FieldRef): RawBuilder<SqlBool> {
    if (field.kind === 'risk') {
      const joins = field.name === 'reason' ? sql`join risk_case_reasons rr on rr.case_id = rc.id` : sql``;
      return sql<SqlBool>`(not ${this.openCaseWhere(joins, sql`1 = 1`)})`;
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

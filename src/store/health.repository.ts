// Health scores per account per day, the signal facts scoring reads, and CSM sentiment.
import type { Kysely, Selectable } from 'kysely';
import type { AccountSignalFacts, HealthScore, ScoreComponent, Sentiment } from '../domain/health';
import type { Database, HealthScoreTable } from './schema';

export interface StoredHealth extends HealthScore {
  accountId: number;
  day: string;
  computedAt: string;
}

export interface SentimentEntry {
  accountId: number;
  sentiment: Sentiment;
  note: string | null;
  userId: number | null;
  userEmail: string | null;
  at: string;
}

const CHUNK = 500;

interface MutableFacts {
  daily: Map<string, Map<string, number>>;
  totals: Map<string, number>;
  lastPositiveDay: Map<string, string>;
  lastDay: Map<string, string>;
  dueItems: { kind: 'invoice' | 'onboarding'; dueDate: string; doneDate: string | null }[];
}

const emptyFacts = (): MutableFacts => ({
  daily: new Map(),
  totals: new Map(),
  lastPositiveDay: new Map(),
  lastDay: new Map(),
  dueItems: [],
});

export class HealthRepository {
  constructor(private readonly db: Kysely<Database>) {}

  /**
   * The facts scoring needs for a set of accounts: daily values of each window metric since its day,
   * all-time totals of `totalMetrics`, the last active day of `recencyMetrics`, and due items.
   */
  async signalFacts(
    accountIds: readonly number[],
    query: {
      windows: readonly { metric: string; fromDay: string }[];
      totalMetrics: readonly string[];
      recencyMetrics: readonly string[];
      silenceMetrics?: readonly string[];
    },
  ): Promise<Map<number, AccountSignalFacts>> {
    const facts = new Map<number, MutableFacts>();
    const of = (accountId: number) => {
      let entry = facts.get(accountId);
      if (!entry) facts.set(accountId, (entry = emptyFacts()));
      return entry;
    };
    for (let i = 0; i < accountIds.length; i += CHUNK) {
      const ids = accountIds.slice(i, i + CHUNK);
      for (const window of query.windows) {
        const rows = await this.db
          .selectFrom('daily_rollups')
          .select(['account_id', 'day', 'value'])
          .where('account_id', 'in', ids)
          .where('metric', '=', window.metric)
          .where('day', '>=', window.fromDay)
          .execute();
        for (const row of rows) {
          const daily = of(row.account_id).daily;
          let series = daily.get(window.metric);
          if (!series) daily.set(window.metric, (series = new Map<string, number>()));
          series.set(row.day, row.value);
        }
      }
      if (query.totalMetrics.length > 0) {
        const rows = await this.db
          .selectFrom('daily_rollups')
          .select(['account_id', 'metric'])
          .select((eb) => eb.fn.sum<number>('value').as('total'))
          .where('account_id', 'in', ids)
          .where('metric', 'in', query.totalMetrics)
          .groupBy(['account_id', 'metric'])
          .execute();
        for (const row of rows) of(row.account_id).totals.set(row.metric, Number(row.total));
      }
      if (query.recencyMetrics.length > 0) {
        const rows = await this.db
          .selectFrom('daily_rollups')
          .select(['account_id', 'metric'])
          .select((eb) => eb.fn.max('day').as('last'))
          .where('account_id', 'in', ids)
          .where('metric', 'in', query.recencyMetrics)
          .where('value', '>', 0)
          .groupBy(['account_id', 'metric'])
          .execute();
        for (const row of rows) of(row.account_id).lastPositiveDay.set(row.metric, row.last);
      }
      if (query.silenceMetrics && query.silenceMetrics.length > 0) {
        const rows = await this.db
          .selectFrom('daily_rollups')
          .select(['account_id', 'metric'])
          .select((eb) => eb.fn.max('day').as('last'))
          .where('account_id', 'in', ids)
          .where('metric', 'in', query.silenceMetrics)
          .groupBy(['account_id', 'metric'])
          .execute();
        for (const row of rows) of(row.account_id).lastDay.set(row.metric, row.last);
      }
      const items = await this.db
        .selectFrom('due_items')
        .select(['account_id', 'kind', 'due_date', 'done_date'])
        .where('account_id', 'in', ids)
        .execute();
      for (const item of items) {
        of(item.account_id).dueItems.push({
          kind: item.kind as 'invoice' | 'onboarding',
          dueDate: item.due_date,
          doneDate: item.done_date,
        });
      }
    }
    return facts;
  }

  async upsertScores(
    rows: readonly (HealthScore & { accountId: number; day: string })[],
    now: Date,
  ): Promise<void> {
    const at = now.toISOString();
    for (let i = 0; i < rows.length; i += CHUNK) {
      await this.db
        .insertInto('health_scores')
        .values(
          rows.slice(i, i + CHUNK).map((row) => ({
            account_id: row.accountId,
            day: row.day,
            score: row.score,
            band: row.band,
            components: JSON.stringify(row.components),
            missing: JSON.stringify(row.missing),
            computed_at: at,
          })),
        )
        .onConflict((oc) =>
          oc.columns(['account_id', 'day']).doUpdateSet((eb) => ({
            score: eb.ref('excluded.score'),
            band: eb.ref('excluded.band'),
            components: eb.ref('excluded.components'),
            missing: eb.ref('excluded.missing'),
            computed_at: eb.ref('excluded.computed_at'),
          })),
        )
        .execute();
    }
  }

  /**
   * Each account's latest score before `day`, or on or before it with `inclusive`: the score a new
   * one replaces, or the score an account had on a given day.
   */
  async latestScores(
    accountIds: readonly number[],
    day: string,
    options: { inclusive: boolean },
  ): Promise<Map<number, { score: number; band: string }>> {
    const found = new Map<number, { score: number; band: string }>();
    for (let i = 0; i < accountIds.length; i += CHUNK) {
      const rows = await this.latestOf(accountIds.slice(i, i + CHUNK), day, options.inclusive)
        .select(['h.account_id', 'h.score', 'h.band'])
        .execute();
      for (const row of rows) found.set(row.account_id, { score: row.score, band: row.band });
    }
    return found;
  }

  /** Each account's latest stored score on or before `day`, with its components (what each input read). */
  async scoresAsOf(accountIds: readonly number[], day: string): Promise<Map<number, StoredHealth>> {
    const found = new Map<number, StoredHealth>();
    for (let i = 0; i < accountIds.length; i += CHUNK) {
      const rows = await this.latestOf(accountIds.slice(i, i + CHUNK), day, true)
        .selectAll('h')
        .execute();
      for (const row of rows) found.set(row.account_id, toHealth(row));
    }
    return found;
  }

  /** Each account's latest score and band on or before `day`, without the parts behind it. */
  async scoreBandsAsOf(
    accountIds: readonly number[],
    day: string,
  ): Promise<Map<number, { score: number; band: string }>> {
    const found = new Map<number, { score: number; band: string }>();
    // A store scored daily holds that very day for nearly every account: read by the day's index in
    // one pass; only the accounts without a row that day look further back, chunk by chunk.
    const wanted = new Set(accountIds);
    const exact = await this.db
      .selectFrom('health_scores')
      .select(['account_id', 'score', 'band'])
      .where('day', '=', day)
      .execute();
    for (const row of exact)
      if (wanted.has(row.account_id)) found.set(row.account_id, { score: Number(row.score), band: row.band });
    const rest = accountIds.filter((id) => !found.has(id));
    for (let i = 0; i < rest.length; i += CHUNK) {
      const rows = await this.latestOf(rest.slice(i, i + CHUNK), day, true)
        .select(['h.account_id', 'h.score', 'h.band'])
        .execute();
      for (const row of rows) found.set(row.account_id, { score: Number(row.score), band: row.band });
    }
    return found;
  }

  /** Score rows of the given accounts on their latest scored day before (or on) `day`. */
  private latestOf(accountIds: readonly number[], day: string, inclusive: boolean) {
    return this.db
      .selectFrom('health_scores as h')
      .where('h.account_id', 'in', accountIds)
      .where('h.day', '=', (eb) =>
        eb
          .selectFrom('health_scores as p')
          .select((inner) => inner.fn.max('p.day').as('day'))
          .whereRef('p.account_id', '=', 'h.account_id')
          .where('p.day', inclusive ? '<=' : '<', day),
      );
  }

  /** The account's latest score on or before `day`. */
  async latestOnOrBefore(accountId: number, day: string): Promise<StoredHealth | null> {
    const row = await this.db
      .selectFrom('health_scores')
      .selectAll()
      .where('account_id', '=', accountId)
      .where('day', '<=', day)
      .orderBy('day', 'desc')
      .limit(1)
      .executeTakeFirst();
    return row ? toHealth(row) : null;
  }

  async history(accountId: number, fromDay: string, toDay: string): Promise<StoredHealth[]> {
    const rows = await this.db
      .selectFrom('health_scores')
      .selectAll()
      .where('account_id', '=', accountId)
      .where('day', '>=', fromDay)
      .where('day', '<=', toDay)
      .orderBy('day')
      .execute();
    return rows.map(toHealth);
  }

  /** Accounts whose latest CSM sentiment is set, with that sentiment and their latest score. */
  async sentimentsWithScores(filter: { ownerId?: number; teamId?: number }): Promise<
    {
      accountId: number;
      externalId: string;
      name: string;
      sentiment: Sentiment;
      note: string | null;
      at: string;
      score: number | null;
      band: string | null;
      day: string | null;
    }[]
  > {
    let query = this.db
      .selectFrom('csm_sentiments as s')
      .innerJoin('accounts as a', 'a.id', 's.account_id')
      .leftJoin('health_scores as h', (join) =>
        join.onRef('h.account_id', '=', 's.account_id').on('h.day', '=', (eb) =>
          eb
            .selectFrom('health_scores as p')
            .select((inner) => inner.fn.max('p.day').as('day'))
            .whereRef('p.account_id', '=', 's.account_id'),
        ),
      )
      .select([
        's.account_id',
        'a.external_id',
        'a.name',
        's.sentiment',
        's.note',
        's.at',
        'h.score',
        'h.band',
        'h.day',
      ])
      .where('s.id', '=', (eb) =>
        eb
          .selectFrom('csm_sentiments as l')
          .select((inner) => inner.fn.max('l.id').as('id'))
          .whereRef('l.account_id', '=', 's.account_id'),
      );
    if (filter.ownerId !== undefined) query = query.where('a.owner_id', '=', filter.ownerId);
    if (filter.teamId !== undefined) query = query.where('a.team_id', '=', filter.teamId);
    const rows = await query.orderBy('s.at', 'desc').execute();
    return rows.map((row) => ({
      accountId: row.account_id,
      externalId: row.external_id,
      name: row.name,
      sentiment: row.sentiment as Sentiment,
      note: row.note,
      at: row.at,
      score: row.score,
      band: row.band,
      day: row.day,
    }));
  }

  async addSentiment(entry: Omit<SentimentEntry, 'userEmail'>): Promise<void> {
    await this.db
      .insertInto('csm_sentiments')
      .values({
        account_id: entry.accountId,
        sentiment: entry.sentiment,
        note: entry.note,
        user_id: entry.userId,
        at: entry.at,
      })
      .execute();
  }

  async latestSentiment(accountId: number): Promise<SentimentEntry | null> {
    const row = await this.db
      .selectFrom('csm_sentiments')
      .leftJoin('users', 'users.id', 'csm_sentiments.user_id')
      .select([
        'csm_sentiments.account_id',
        'csm_sentiments.sentiment',
        'csm_sentiments.note',
        'csm_sentiments.user_id',
        'csm_sentiments.at',
        'users.email',
      ])
      .where('csm_sentiments.account_id', '=', accountId)
      .orderBy('csm_sentiments.at', 'desc')
      .orderBy('csm_sentiments.id', 'desc')
      .limit(1)
      .executeTakeFirst();
    return row
      ? {
          accountId: row.account_id,
          sentiment: row.sentiment as Sentiment,
          note: row.note,
          userId: row.user_id,
          userEmail: row.email,
          at: row.at,
        }
      : null;
  }
}

function toHealth(row: Selectable<HealthScoreTable>): StoredHealth {
  return {
    accountId: row.account_id,
    day: row.day,
    score: row.score,
    band: row.band,
    components: JSON.parse(row.components) as ScoreComponent[],
    missing: JSON.parse(row.missing) as string[],
    computedAt: row.computed_at,
  };
}

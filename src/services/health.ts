// Health scoring: reads the scorecard (configuration), scores accounts from their rollups, keeps one
// score per account per day, and explains scores and their changes. CSMs add their own sentiment.
import { AppError } from '../domain/errors';
import type { Account } from '../domain/account';
import {
  attributeInputs,
  churnProbability,
  computeHealth,
  daysBefore,
  DEFAULT_SCORECARD,
  explainChange,
  explainScore,
  factsQuery,
  measureInputs,
  readsAttributes,
  scoreFactors,
  scorecardSchema,
  sentimentDisagrees,
  type HealthScore,
  type Scorecard,
  type ScoreDriver,
  type ScoreFactor,
  type Sentiment,
} from '../domain/health';
import { assertCan, type Actor } from '../domain/policy';
import { dayOf } from '../domain/signals';
import { AccountRepository } from '../store/account.repository';
import { AuditRepository } from '../store/audit.repository';
import { HealthRepository, type SentimentEntry, type StoredHealth } from '../store/health.repository';
import { inTransaction, type ServiceContext } from './context';
import { JsonConfig } from './json-config';

const ACCOUNT_CHUNK = 1000;
export const CHANGE_WINDOWS = [3, 7, 14, 30, 90] as const;

export interface ScoreRun {
  day: string;
  scored: number;
  /** Accounts with no data for any measure: no score is made up for them. */
  withoutData: number;
  /** Accounts whose band changed with this run. */
  bandChanges: number;
}

/** Accounts in one band; band null holds the accounts with no data to score. */
export interface BandCount {
  band: string | null;
  accounts: number;
}

/** Accounts that would go from one band to another; null is "no score". */
export interface BandMove {
  from: string | null;
  to: string | null;
  accounts: number;
}

/** How a candidate scorecard would move the book between bands, against the live one, both scored today. */
export interface ScorecardPreview {
  day: string;
  accounts: number;
  /** Accounts whose band would change (to or from no score included). */
  changed: number;
  /** Accounts per band under the live scorecard, lowest band first. */
  live: BandCount[];
  /** Accounts per band under the candidate, lowest band first. */
  candidate: BandCount[];
  /** The moves, most accounts first. */
  moves: BandMove[];
}

export interface AccountHealth {
  accountId: number;
  current:
    | (StoredHealth & {
        explanation: string[];
        /** The inputs that cost the account most points. */
        factors: ScoreFactor[];
      })
    | null;
  changes: { days: number; from: number | null; change: number | null; percent: number | null }[];
  /** What moved the score since `since` days ago, biggest first. */
  drivers: ScoreDriver[];
  history: { day: string; score: number; band: string }[];
  sentiment: SentimentEntry | null;
  /** The CSM's sentiment strongly disagrees with the computed score. */
  disagreement: boolean;
}

export class HealthService {
  private readonly config: JsonConfig<Scorecard>;

  constructor(private readonly context: ServiceContext) {
    this.config = new JsonConfig(
      context,
      'healthScorecard',
      scorecardSchema,
      DEFAULT_SCORECARD,
      'health scorecard',
    );
  }

  private get repo() {
    return new HealthRepository(this.context.store.db);
  }

  scorecard(): Promise<Scorecard> {
    return this.config.read();
  }

  /**
   * Replaces the scorecard; takes effect on the next scoring of each account. `expectedRevision`
   * (If-Match) refuses a save over someone else's.
   */
  updateScorecard(actor: Actor, input: unknown, expectedRevision?: readonly string[]): Promise<Scorecard> {
    return this.config.replace(actor, input, undefined, expectedRevision);
  }

  /** Scores the given accounts (all when omitted) for today and stores the scores. */
  async score(accountIds?: readonly number[]): Promise<ScoreRun> {
    const now = this.context.clock.now();
    const today = dayOf(now.toISOString());
    const scorecard = await this.scorecard();
    const ids = accountIds ?? (await new AccountRepository(this.context.store.db).allIds());
    const run: ScoreRun = { day: today, scored: 0, withoutData: 0, bandChanges: 0 };
    for (let i = 0; i < ids.length; i += ACCOUNT_CHUNK) {
      const chunk = ids.slice(i, i + ACCOUNT_CHUNK);
      const rows: (HealthScore & { accountId: number; day: string })[] = [];
      for (const [accountId, health] of await this.healthOf(scorecard, chunk, today)) {
        if (health) rows.push({ ...health, accountId, day: today });
        else run.withoutData += 1;
      }
      const previous = await this.repo.latestScores(
        rows.map((row) => row.accountId),
        today,
        { inclusive: false },
      );
      for (const row of rows) {
        const before = previous.get(row.accountId);
        if (before && before.band !== row.band) run.bandChanges += 1;
      }
      await this.repo.upsertScores(rows, now);
      run.scored += rows.length;
    }
    return run;
  }

  /**
   * What each of the accounts would score on `today` under `scorecard`, computed and not stored;
   * null for an account with no data for any of its measures.
   */
  private async healthOf(
    scorecard: Scorecard,
    accountIds: readonly number[],
    today: string,
  ): Promise<Map<number, HealthScore | null>> {
    const query = factsQuery(
      scorecard.measures.map((measure) => measure.input),
      today,
    );
    const facts = await this.repo.signalFacts(accountIds, query);
    const accounts = readsAttributes(scorecard)
      ? await new AccountRepository(this.context.store.db).findManyById(accountIds)
      : new Map<number, Account>();
    const found = new Map<number, HealthScore | null>();
    for (const accountId of accountIds) {
      const accountFacts = facts.get(accountId);
      const account = accounts.get(accountId);
      const inputs = {
        ...(accountFacts ? measureInputs(scorecard.measures, accountFacts, today) : {}),
        ...(account ? attributeInputs(scorecard.measures, account) : {}),
      };
      found.set(accountId, accountFacts || account ? computeHealth(scorecard, inputs) : null);
    }
    return found;
  }

  /**
   * How the book's bands would move if `candidate` replaced the live scorecard: every account scored
   * today with each, in memory, nothing stored. Bands with no account are listed too.
   */
  async previewScorecard(candidate: Scorecard): Promise<ScorecardPreview> {
    const today = dayOf(this.context.clock.now().toISOString());
    const live = await this.scorecard();
    const ids = await new AccountRepository(this.context.store.db).allIds();
    const counts = (card: Scorecard) =>
      new Map<string | null, number>([
        ...[...card.bands].sort((a, b) => a.min - b.min).map((band): [string, number] => [band.name, 0]),
        [null, 0],
      ]);
    const before = counts(live);
    const after = counts(candidate);
    const moves = new Map<string, BandMove>();
    for (let i = 0; i < ids.length; i += ACCOUNT_CHUNK) {
      const chunk = ids.slice(i, i + ACCOUNT_CHUNK);
      const nowBands = await this.healthOf(live, chunk, today);
      const nextBands = await this.healthOf(candidate, chunk, today);
      for (const accountId of chunk) {
        const from = nowBands.get(accountId)?.band ?? null;
        const to = nextBands.get(accountId)?.band ?? null;
        before.set(from, (before.get(from) ?? 0) + 1);
        after.set(to, (after.get(to) ?? 0) + 1);
        if (from === to) continue;
        const key = JSON.stringify([from, to]);
        const move = moves.get(key) ?? { from, to, accounts: 0 };
        move.accounts += 1;
        moves.set(key, move);
      }
    }
    const list = (map: Map<string | null, number>): BandCount[] =>
      [...map]
        .filter(([band, accounts]) => band !== null || accounts > 0)
        .map(([band, accounts]) => ({ band, accounts }));
    const moved = [...moves.values()].sort(
      (a, b) =>
        b.accounts - a.accounts ||
        (a.from ?? '').localeCompare(b.from ?? '') ||
        (a.to ?? '').localeCompare(b.to ?? ''),
    );
    return {
      day: today,
      accounts: ids.length,
      changed: moved.reduce((sum, move) => sum + move.accounts, 0),
      live: list(before),
      candidate: list(after),
      moves: moved,
    };
  }

  /** The account's health now, its history and changes, and what drove the change. */
  async accountHealth(accountId: number, options: { since?: number } = {}): Promise<AccountHealth> {
    const account = await new AccountRepository(this.context.store.db).findById(accountId);
    if (!account) throw new AppError('ACCOUNT_NOT_FOUND', `No account ${accountId}.`, { accountId });
    const scorecard = await this.scorecard();
    const today = dayOf(this.context.clock.now().toISOString());
    const current = await this.repo.latestOnOrBefore(accountId, today);
    const history = await this.repo.history(accountId, daysBefore(today, 90), today);
    const changes = await Promise.all(
      CHANGE_WINDOWS.map(async (days) => {
        const then = await this.repo.latestOnOrBefore(accountId, daysBefore(today, days));
        const change = current && then ? current.score - then.score : null;
        return {
          days,
          from: then?.score ?? null,
          change,
          percent:
            change !== null && then && then.score > 0 ? Math.round((change / then.score) * 1000) / 10 : null,
        };
      }),
    );
    const since = options.since ?? 7;
    const baseline = await this.repo.latestOnOrBefore(accountId, daysBefore(today, since));
    const sentiment = await this.repo.latestSentiment(accountId);
    return {
      accountId,
      current: current
        ? {
            ...current,
            explanation: explainScore(scorecard, current),
            factors: scoreFactors(scorecard, current),
            // For a scorecard fitted to churn history: the chance of churn this score stands for.
            ...(scorecard.churnModel
              ? { churnProbability: churnProbability(scorecard.churnModel, current.score) }
              : {}),
          }
        : null,
      changes,
      drivers: current && baseline ? explainChange(scorecard, baseline, current) : [],
      history: history.map(({ day, score, band }) => ({ day, score, band })),
      sentiment,
      disagreement: Boolean(current && sentiment && sentimentDisagrees(sentiment.sentiment, current.score)),
    };
  }

  /** Accounts where the CSM's sentiment strongly disagrees with the computed score, newest first. */
  async disagreements(filter: { ownerId?: number; teamId?: number } = {}) {
    const rows = await this.repo.sentimentsWithScores(filter);
    return rows.filter((row) => row.score !== null && sentimentDisagrees(row.sentiment, row.score));
  }

  /** Records a CSM's own read of the account beside the computed score. */
  async setSentiment(
    actor: Actor,
    accountId: number,
    sentiment: Sentiment,
    note: string | null,
  ): Promise<AccountHealth> {
    const account = await new AccountRepository(this.context.store.db).findById(accountId);
    if (!account) throw new AppError('ACCOUNT_NOT_FOUND', `No account ${accountId}.`, { accountId });
    assertCan(actor, 'case.write', account);
    const now = this.context.clock.now();
    await inTransaction(this.context, async (db) => {
      await new HealthRepository(db).addSentiment({
        accountId,
        sentiment,
        note,
        userId: actor.userId,
        at: now.toISOString(),
      });
      await new AuditRepository(db).append(actor, now, [
        {
          entityType: 'account',
          entityId: accountId,
          accountId,
          action: 'sentiment_set',
          changes: { sentiment, note },
        },
      ]);
    });
    return this.accountHealth(accountId);
  }
}

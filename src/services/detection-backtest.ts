// The rules backtest on the store's own history: every account's rollups and due items are read in
// a few set-based queries, detection is replayed day by day in memory (nothing is written), and what
// it would have opened is judged against what really happened: the cases that closed as lost, on
// the day they closed, with the reasons they closed with.
import { z } from 'zod';
import { ruleSetSchema, type DetectionRule } from '../domain/detection';
import {
  backtestFigures,
  replayDetection,
  type AccountTruth,
  type BacktestFigures,
  type ReplayAccount,
  type ReplayCase,
} from '../domain/detection-replay';
import { AppError } from '../domain/errors';
import { daysBefore, dayNumber, lookbackDays, type MeasureInput } from '../domain/health';
import { dayOf, dueItemOf, metricFamily, parseSignal, type SignalKind } from '../domain/signals';
import { AccountRepository } from '../store/account.repository';
import { parseJsonObject } from '../store/json';
import type { ServiceContext } from './context';
import type { DetectionService } from './detection';
import type { HealthService } from './health';
import type { RiskConfigService } from './risk-config';

/** The longest span one backtest replays. */
export const MAX_BACKTEST_DAYS = 731;
const CHUNK = 2000;

const calendarDay = z.iso.date();

export const backtestRequestSchema = z
  .object({
    from: calendarDay,
    to: calendarDay,
    /** A rule set to try instead of the live one; the live one is replayed beside it. */
    rules: ruleSetSchema.optional(),
  })
  .strict();
export type BacktestRequest = z.input<typeof backtestRequestSchema>;

/** Accounts a rule set would flag that the other would not, by external id. */
export interface BacktestDifference {
  /** Flagged by the candidate rules only. */
  wouldOpen: string[];
  /** Flagged by the live rules only. */
  wouldNotOpen: string[];
}

export interface BacktestAccountsBehind {
  truePositives: string[];
  falsePositives: string[];
  missed: string[];
  wrongReason: string[];
}

export interface BacktestRun {
  figures: Omit<BacktestFigures, 'accountsBehind'>;
  accountsBehind: BacktestAccountsBehind;
  /** Every case the rules would have opened, in order, and how each ended. */
  cases: {
    account: string;
    openedDay: string;
    rules: string[];
    reasons: string[];
    closedDay: string | null;
    outcome: 'lost' | 'recovered' | null;
  }[];
}

export interface DetectionBacktest {
  from: string;
  to: string;
  days: number;
  accounts: number;
  /** The churned accounts the figures are judged by: cases closed as lost. */
  churned: number;
  /** The live rules. */
  current: BacktestRun;
  /** The rules tried, when given. */
  candidate?: BacktestRun;
  difference?: BacktestDifference;
  /** How long the read and the replay took. */
  ms: number;
}

/** A replay account while it is read from the store. */
interface MutableAccount extends ReplayAccount {
  daily: Map<string, Map<string, number>>;
  earlier?: {
    totals: Map<string, number>;
    lastPositiveDay: Map<string, string>;
    lastDay: Map<string, string>;
  };
  dueItems: ReplayAccount['dueItems'][number][];
}

interface LoadedBook {
  accounts: ReplayAccount[];
  external: Map<number, string>;
  truth: Map<number, AccountTruth>;
}

export class DetectionBacktestService {
  constructor(
    private readonly context: ServiceContext,
    private readonly detection: DetectionService,
    private readonly health: HealthService,
    private readonly config: RiskConfigService,
  ) {}

  /** Whether a backtest is under way in this process: one at a time, so the server keeps answering. */
  private running = false;

  /**
   * Replays the live rules (and `rules`, when given) over `from`..`to` and judges them. One runs at
   * a time in a process; another asked meanwhile is refused with when to try again.
   */
  async run(input: unknown): Promise<DetectionBacktest> {
    if (this.running)
      throw new AppError(
        'BACKTEST_RUNNING',
        'Another backtest is running on this server; try again when it has finished.',
        { retryAfterSeconds: 15 },
      );
    this.running = true;
    try {
      return await this.replayAndJudge(input);
    } finally {
      this.running = false;
    }
  }

  private async replayAndJudge(input: unknown): Promise<DetectionBacktest> {
    const started = performance.now();
    const request = parseRequest(input, dayOf(this.context.clock.now().toISOString()));
    const [live, scorecard, settings] = await Promise.all([
      this.detection.rules(),
      this.health.scorecard(),
      this.config.settings(),
    ]);
    if (request.rules?.length === 0)
      throw new AppError(
        'VALIDATION_FAILED',
        'rules: an empty rule set opens nothing; leave rules out to backtest the live rules.',
        { field: 'rules' },
      );
    if (request.rules) {
      const known = new Set((await this.config.listReasons()).map((reason) => reason.key));
      request.rules.forEach((rule, index) => {
        if (!known.has(rule.reason))
          throw new AppError(
            'RISK_REASON_NOT_FOUND',
            `rules.${index}.reason: no risk reason "${rule.reason}".`,
            {
              field: `rules.${index}.reason`,
            },
          );
      });
    }
    const inputs: MeasureInput[] = [
      ...scorecard.measures.map((measure) => measure.input),
      ...[...live, ...(request.rules ?? [])].flatMap((rule) =>
        rule.condition.kind === 'measure' ? [rule.condition.input] : [],
      ),
    ];
    const dropWindows = [...live, ...(request.rules ?? [])].flatMap((rule) =>
      rule.condition.kind === 'health_drop' ? [rule.condition.windowDays] : [],
    );
    const readsFrom = daysBefore(request.from, lookbackDays(inputs) + Math.max(0, ...dropWindows) + 1);
    const book = await this.load(
      inputs,
      readsFrom,
      request.to,
      scorecard.measures.some((m) => m.input.kind === 'attribute'),
    );
    const replay = async (rules: readonly DetectionRule[]) => {
      const result = await replayDetection(book.accounts, {
        rules,
        scorecard,
        from: request.from,
        to: request.to,
        recoveryDays: settings.detectionRecoveryDays,
      });
      const figures = backtestFigures(result, book.truth, { from: request.from, to: request.to, rules });
      return { result, figures };
    };
    const current = await replay(live);
    const answer: DetectionBacktest = {
      from: request.from,
      to: request.to,
      days: dayNumber(request.to) - dayNumber(request.from) + 1,
      accounts: book.accounts.length,
      churned: [...book.truth.values()].filter((truth) => truth.churnDay !== null).length,
      current: runOf(current, book.external),
      ms: 0,
    };
    if (request.rules) {
      const candidate = await replay(request.rules);
      answer.candidate = runOf(candidate, book.external);
      const flagged = (cases: readonly ReplayCase[]) => new Set(cases.map((opened) => opened.accountId));
      const before = flagged(current.result.cases);
      const after = flagged(candidate.result.cases);
      const names = (ids: Iterable<number>) =>
        [...ids].map((id) => book.external.get(id) ?? String(id)).sort();
      answer.difference = {
        wouldOpen: names([...after].filter((id) => !before.has(id))),
        wouldNotOpen: names([...before].filter((id) => !after.has(id))),
      };
    }
    answer.ms = Math.round(performance.now() - started);
    return answer;
  }

  /** Every account's history from `fromDay` to `toDay`, with what came before folded into totals. */
  private async load(
    inputs: readonly MeasureInput[],
    fromDay: string,
    toDay: string,
    withAttributes: boolean,
  ): Promise<LoadedBook> {
    const db = this.context.store.db;
    const metrics = [
      ...new Set(
        inputs.flatMap((input) => ('metric' in input ? [input.metric, ...metricFamily(input.metric)] : [])),
      ),
    ];
    const ids = await new AccountRepository(db).allIds();
    const externalRows = await db.selectFrom('accounts').select(['id', 'external_id']).execute();
    const external = new Map(externalRows.map((row) => [row.id, row.external_id]));
    const facts = withAttributes ? await new AccountRepository(db).findManyById(ids) : null;
    const accounts = new Map<number, MutableAccount>();
    for (const id of ids) {
      accounts.set(id, { id, daily: new Map(), dueItems: [], facts: facts?.get(id) ?? null, churnDay: null });
    }
    if (metrics.length > 0) {
      for (let i = 0; i < ids.length; i += CHUNK) {
        const chunk = ids.slice(i, i + CHUNK);
        const rows = await db
          .selectFrom('daily_rollups')
          .select(['account_id', 'metric', 'day', 'value'])
          .where('account_id', 'in', chunk)
          .where('metric', 'in', metrics)
          .where('day', '>=', fromDay)
          .where('day', '<=', toDay)
          .execute();
        for (const row of rows) {
          const daily = accounts.get(row.account_id)?.daily;
          if (!daily) continue;
          let series = daily.get(row.metric);
          if (!series) daily.set(row.metric, (series = new Map<string, number>()));
          series.set(row.day, row.value);
        }
        const earlier = await db
          .selectFrom('daily_rollups')
          .select(['account_id', 'metric'])
          .select((eb) => [
            eb.fn.sum<number>('value').as('total'),
            eb.fn.max('day').as('last'),
            eb.fn.max(eb.case().when('value', '>', 0).then(eb.ref('day')).end()).as('lastPositive'),
          ])
          .where('account_id', 'in', chunk)
          .where('metric', 'in', metrics)
          .where('day', '<', fromDay)
          .groupBy(['account_id', 'metric'])
          .execute();
        for (const row of earlier) {
          const account = accounts.get(row.account_id);
          if (!account) continue;
          const before = (account.earlier ??= {
            totals: new Map(),
            lastPositiveDay: new Map(),
            lastDay: new Map(),
          });
          before.totals.set(row.metric, Number(row.total));
          before.lastDay.set(row.metric, String(row.last));
          if (row.lastPositive !== null) before.lastPositiveDay.set(row.metric, String(row.lastPositive));
        }
      }
    }
    await this.loadDueItems(accounts, toDay);
    const truth = await this.churnTruth(ids, toDay);
    for (const [id, known] of truth) {
      const account = accounts.get(id);
      if (account) account.churnDay = known.churnDay;
    }
    return { accounts: [...accounts.values()], external, truth };
  }

  /** Invoices and milestones from their signals: the day each was first heard of, and when it was done. */
  private async loadDueItems(accounts: Map<number, MutableAccount>, toDay: string): Promise<void> {
    const kinds: SignalKind[] = ['invoice', 'onboarding'];
    const rows = await this.context.store.db
      .selectFrom('signals')
      .select(['account_id', 'kind', 'occurred_at', 'data'])
      .where('kind', 'in', kinds)
      .where('occurred_at', '<', `${daysBefore(toDay, -1)}T00:00:00.000Z`)
      .orderBy('occurred_at')
      .orderBy('id')
      .execute();
    const items = new Map<string, { accountId: number; item: ReplayAccount['dueItems'][number] }>();
    for (const row of rows) {
      const parsed = parseSignal({
        kind: row.kind,
        account: String(row.account_id),
        occurredAt: row.occurred_at,
        data: parseJsonObject(row.data),
      });
      if (!parsed.ok) continue;
      const due = dueItemOf(parsed.signal);
      if (!due) continue;
      const day = row.occurred_at.slice(0, 10);
      const key = `${row.account_id}|${due.kind}|${due.key}`;
      const seen = items.get(key)?.item;
      items.set(key, {
        accountId: row.account_id,
        item: {
          kind: due.kind,
          seenDay: seen?.seenDay ?? day,
          dueDate: due.dueDate,
          doneDate: due.doneDate ?? seen?.doneDate ?? null,
          doneSeenDay: seen?.doneSeenDay ?? (due.doneDate ? day : null),
        },
      });
    }
    for (const { accountId, item } of items.values()) {
      const account = accounts.get(accountId);
      account?.dueItems.push(item);
    }
  }

  /**
   * Who left and why: each account's first case that closed as lost, on or before `toDay`, with the
   * separation survey's main reason, or the case's reasons without a survey.
   */
  private async churnTruth(ids: readonly number[], toDay: string): Promise<Map<number, AccountTruth>> {
    const db = this.context.store.db;
    const lost = await db
      .selectFrom('risk_cases')
      .select(['id', 'account_id', 'closed_at'])
      .where('outcome', '=', 'lost')
      .where('closed_at', 'is not', null)
      .where('closed_at', '<', `${daysBefore(toDay, -1)}T00:00:00.000Z`)
      .orderBy('closed_at')
      .execute();
    const reasons = lost.length
      ? await db
          .selectFrom('risk_case_reasons')
          .innerJoin('risk_reasons', 'risk_reasons.id', 'risk_case_reasons.reason_id')
          .select(['risk_case_reasons.case_id', 'risk_reasons.key'])
          .where(
            'risk_case_reasons.case_id',
            'in',
            lost.map((row) => row.id),
          )
          .execute()
      : [];
    const reasonsOf = new Map<number, string[]>();
    for (const row of reasons) reasonsOf.set(row.case_id, [...(reasonsOf.get(row.case_id) ?? []), row.key]);
    // Why they left, as the separation survey recorded it, comes before the reasons the case had.
    const surveys = lost.length
      ? await db
          .selectFrom('separation_surveys')
          .select(['case_id', 'primary_reason'])
          .where(
            'case_id',
            'in',
            lost.map((row) => row.id),
          )
          .execute()
      : [];
    for (const survey of surveys) reasonsOf.set(survey.case_id, [survey.primary_reason]);
    const truth = new Map<number, AccountTruth>(
      ids.map((id) => [id, { churnDay: null, reasons: [], showsSignals: true }]),
    );
    for (const row of lost) {
      const known = truth.get(row.account_id);
      if (!known || known.churnDay !== null || row.closed_at === null) continue;
      truth.set(row.account_id, {
        churnDay: row.closed_at.slice(0, 10),
        reasons: reasonsOf.get(row.id) ?? [],
        showsSignals: true,
      });
    }
    return truth;
  }
}

function parseRequest(input: unknown, today: string): z.output<typeof backtestRequestSchema> {
  const parsed = backtestRequestSchema.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = issue?.path.map(String).join('.') || '(body)';
    throw new AppError('VALIDATION_FAILED', `${field}: ${issue?.message ?? 'invalid'}`, { field });
  }
  const { from, to } = parsed.data;
  const days = dayNumber(to) - dayNumber(from) + 1;
  if (days < 1)
    throw new AppError('VALIDATION_FAILED', `to: ${to} is before from (${from}).`, { field: 'to' });
  if (to > today)
    throw new AppError('VALIDATION_FAILED', `to: ${to} is after today (${today}); history ends today.`, {
      field: 'to',
    });
  if (days > MAX_BACKTEST_DAYS)
    throw new AppError(
      'VALIDATION_FAILED',
      `to: a backtest replays at most ${MAX_BACKTEST_DAYS} days; ${from} to ${to} is ${days}.`,
      { field: 'to' },
    );
  return parsed.data;
}

function runOf(
  replay: { result: { cases: ReplayCase[] }; figures: BacktestFigures },
  external: ReadonlyMap<number, string>,
): BacktestRun {
  const name = (id: number) => external.get(id) ?? String(id);
  const { accountsBehind, ...figures } = replay.figures;
  return {
    figures,
    accountsBehind: {
      truePositives: accountsBehind.truePositives.map(name).sort(),
      falsePositives: accountsBehind.falsePositives.map(name).sort(),
      missed: accountsBehind.missed.map(name).sort(),
      wrongReason: accountsBehind.wrongReason.map(name).sort(),
    },
    cases: replay.result.cases.map((opened) => ({
      account: name(opened.accountId),
      openedDay: opened.openedDay,
      rules: opened.rulesAtOpening,
      reasons: opened.reasonsAtOpening,
      closedDay: opened.closedDay,
      outcome: opened.outcome,
    })),
  };
}

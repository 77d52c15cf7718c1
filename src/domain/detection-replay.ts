// The rules backtest: detection replayed day by day over an account history held in memory, with
// the same rule evaluation, cool-downs and case handling as the daily run, and nothing written.
// What it would have opened is then scored against what really happened (who left, when, why).
import {
  corroborated,
  decide,
  hasRecovered,
  ruleHolds,
  type DetectionRule,
  type RuleState,
} from './detection';
import {
  attributeInputs,
  daysBefore,
  factsQuery,
  healthScoreOnly,
  measureInputs,
  dayNumber,
  type AccountFacts,
  type AccountSignalFacts,
  type DaySeries,
  type Scorecard,
} from './health';

export { dayNumber };
const DAY = 86_400_000;
const dayText = (n: number): string => new Date(n * DAY).toISOString().slice(0, 10);

/** A metric's days as an array from a first day on: ranges are read without a lookup per day. */
class IndexedSeries implements DaySeries {
  private readonly values: Float64Array;

  constructor(
    private readonly origin: number,
    length: number,
    entries: ReadonlyMap<string, number>,
  ) {
    this.values = new Float64Array(length).fill(Number.NaN);
    for (const [day, value] of entries) {
      const index = dayNumber(day) - origin;
      if (index >= 0 && index < length) this.values[index] = value;
    }
  }

  get(day: string): number | undefined {
    const value = this.values[dayNumber(day) - this.origin];
    return value === undefined || Number.isNaN(value) ? undefined : value;
  }

  range(from: number, to: number): { sum: number; count: number } {
    let sum = 0;
    let count = 0;
    const end = Math.min(to - this.origin, this.values.length - 1);
    for (let i = Math.max(0, from - this.origin); i <= end; i += 1) {
      const value = this.values[i] ?? Number.NaN;
      if (!Number.isNaN(value)) {
        sum += value;
        count += 1;
      }
    }
    return { sum, count };
  }

  latest(from: number, to: number): number | undefined {
    const start = Math.max(0, from - this.origin);
    for (let i = Math.min(to - this.origin, this.values.length - 1); i >= start; i -= 1) {
      const value = this.values[i] ?? Number.NaN;
      if (!Number.isNaN(value)) return value;
    }
    return undefined;
  }
}

/** One account's history as the store holds it, up to the last day replayed. */
export interface ReplayAccount {
  id: number;
  /** metric -> day -> value: the daily rollups. */
  daily: ReadonlyMap<string, ReadonlyMap<string, number>>;
  /** Sums and last active days of the rollups from before the first day in `daily`, if it was cut. */
  earlier?: {
    totals: ReadonlyMap<string, number>;
    lastPositiveDay: ReadonlyMap<string, string>;
    lastDay: ReadonlyMap<string, string>;
  };
  /** Invoices and milestones, with the day Retain first heard of each and the day it heard it was done. */
  dueItems: readonly {
    kind: 'invoice' | 'onboarding';
    seenDay: string;
    dueDate: string;
    doneDate: string | null;
    doneSeenDay: string | null;
  }[];
  /** The account's own fields, for scorecard measures that read attributes. */
  facts: AccountFacts | null;
  /** The day the customer left (a case closed as lost, a churn event), if they did. */
  churnDay: string | null;
}

export interface ReplayOptions {
  rules: readonly DetectionRule[];
  scorecard: Scorecard;
  from: string;
  to: string;
  /** A case detection opened closes as recovered when its signs have been clear this long (0: never). */
  recoveryDays: number;
}

export interface ReplayCase {
  accountId: number;
  openedDay: string;
  /** The rules and reasons the case opened with. */
  rulesAtOpening: string[];
  reasonsAtOpening: string[];
  /** Reasons added later by other rules, with the day. */
  added: { day: string; reason: string; rule: string }[];
  /** Every rule that left evidence on the case: all must clear before it closes as recovered. */
  evidenceRules: Set<string>;
  closedDay: string | null;
  outcome: 'lost' | 'recovered' | null;
}

export interface ReplayFiring {
  accountId: number;
  rule: string;
  day: string;
}

export interface ReplayResult {
  days: number;
  cases: ReplayCase[];
  /** Rules firing on accounts that had not left (after that, nothing acts, and nothing is counted). */
  firings: ReplayFiring[];
  /** Weak signs that held alone, waiting for another: rule -> the accounts it waited on. */
  waited: Map<string, Set<number>>;
  clears: { accountId: number; rule: string; day: string }[];
}

/** When a replayed day's evaluation happens: the daily run's clock. */
export const replayInstant = (day: string): Date => new Date(`${day}T06:00:00Z`);

interface LiveAccount {
  source: ReplayAccount;
  daily: Map<string, DaySeries>;
  /** [metric, value] of each day from the first day held, for the running totals. */
  byDay: ([string, number][] | undefined)[];
  origin: number;
  dueItems: AccountSignalFacts['dueItems'];
  /** The days on which the due items Retain knows of change. */
  dueChanges: Set<string>;
  totals: Map<string, number>;
  lastPositiveDay: Map<string, string>;
  lastDay: Map<string, string>;
  scores: Map<string, number>;
  /** The latest score on or before each day, filled as days pass. */
  latestScore: number | null;
  states: Map<string, RuleState>;
  open: ReplayCase | null;
  departed: boolean;
}

function prepare(account: ReplayAccount, origin: number, length: number): LiveAccount {
  const byDay: ([string, number][] | undefined)[] = new Array<undefined>(length);
  const daily = new Map<string, DaySeries>();
  for (const [metric, series] of account.daily) {
    daily.set(metric, new IndexedSeries(origin, length, series));
    for (const [day, value] of series) {
      const index = dayNumber(day) - origin;
      if (index < 0 || index >= length) continue;
      (byDay[index] ??= []).push([metric, value]);
    }
  }
  return {
    source: account,
    daily,
    byDay,
    origin,
    dueItems: [],
    dueChanges: new Set(
      account.dueItems.flatMap((item) => [item.seenDay, ...(item.doneSeenDay ? [item.doneSeenDay] : [])]),
    ),
    totals: new Map(account.earlier?.totals),
    lastPositiveDay: new Map(account.earlier?.lastPositiveDay),
    lastDay: new Map(account.earlier?.lastDay),
    scores: new Map(),
    latestScore: null,
    states: new Map(),
    open: null,
    departed: false,
  };
}

/** Moves an account's running facts on to the end of `day`. */
function advance(live: LiveAccount, day: string, n: number): void {
  if (live.dueChanges.has(day)) {
    live.dueItems = live.source.dueItems
      .filter((item) => item.seenDay <= day)
      .map((item) => ({
        kind: item.kind,
        dueDate: item.dueDate,
        doneDate: item.doneSeenDay !== null && item.doneSeenDay <= day ? item.doneDate : null,
      }));
  }
  for (const [metric, value] of live.byDay[n - live.origin] ?? []) {
    live.totals.set(metric, (live.totals.get(metric) ?? 0) + value);
    live.lastDay.set(metric, day);
    if (value > 0) live.lastPositiveDay.set(metric, day);
  }
}

function factsOf(live: LiveAccount): AccountSignalFacts {
  return {
    daily: live.daily,
    totals: live.totals,
    lastPositiveDay: live.lastPositiveDay,
    lastDay: live.lastDay,
    dueItems: live.dueItems,
  };
}

type Query = ReturnType<typeof factsQuery>;

/** Whether the store would hold any of the facts `query` reads for the account on `day` (else: no score). */
function hasFacts(live: LiveAccount, query: Query, facts: AccountSignalFacts): boolean {
  if (facts.dueItems.length > 0) return true;
  if (query.windows.some(({ metric, fromDay }) => (live.lastDay.get(metric) ?? '') >= fromDay)) return true;
  if (query.totalMetrics.some((metric) => live.lastDay.has(metric))) return true;
  return query.recencyMetrics.some((metric) => live.lastPositiveDay.has(metric));
}

/**
 * Replays detection from `from` to `to`: each day every account is scored, then every active rule is
 * evaluated and acted on as the daily run does. An account's churn day closes its open case as lost,
 * after which nothing more is opened for it.
 */
export async function replayDetection(
  accounts: readonly ReplayAccount[],
  options: ReplayOptions,
): Promise<ReplayResult> {
  const rules = options.rules.filter((rule) => rule.active);
  const measureRules = rules.flatMap((rule) =>
    rule.condition.kind === 'measure' ? [{ key: rule.key, input: rule.condition.input }] : [],
  );
  const dropWindows = [
    ...new Set(
      rules.flatMap((rule) => (rule.condition.kind === 'health_drop' ? [rule.condition.windowDays] : [])),
    ),
  ];
  const first = dayNumber(options.from);
  const last = dayNumber(options.to);
  // Scores from before the first day, for the rules that compare with the score some days ago.
  const warmUp = first - Math.max(0, ...dropWindows);
  // Running facts start from the first day held, so totals from before the replay count.
  let earliest = warmUp;
  for (const account of accounts)
    for (const series of account.daily.values())
      for (const day of series.keys()) earliest = Math.min(earliest, dayNumber(day));
  const live = accounts.map((account) => prepare(account, earliest, last - earliest + 1));
  for (let n = earliest; n < warmUp; n += 1) {
    const day = dayText(n);
    for (const account of live) advance(account, day, n);
  }
  const result: ReplayResult = {
    days: last - first + 1,
    cases: [],
    firings: [],
    waited: new Map(),
    clears: [],
  };
  const measures = options.scorecard.measures;
  const readsAttributes = measures.some((measure) => measure.input.kind === 'attribute');

  for (let n = warmUp; n <= last; n += 1) {
    // One day at a time, letting the server answer other requests in between.
    if (n > warmUp) await new Promise<void>((resume) => setImmediate(resume));
    const day = dayText(n);
    const now = replayInstant(day);
    const scoreQuery = factsQuery(
      measures.map((measure) => measure.input),
      day,
    );
    for (const account of live) {
      advance(account, day, n);
      const { source } = account;
      if (source.churnDay !== null && source.churnDay <= day && !account.departed) {
        account.departed = true;
        if (account.open) {
          account.open.closedDay = source.churnDay;
          account.open.outcome = 'lost';
          account.open = null;
        }
      }
      const facts = factsOf(account);
      if (hasFacts(account, scoreQuery, facts) || (source.facts !== null && readsAttributes)) {
        const read = measureInputs(measures, facts, day);
        const inputs =
          source.facts && readsAttributes ? { ...read, ...attributeInputs(measures, source.facts) } : read;
        const score = healthScoreOnly(options.scorecard, inputs);
        if (score !== null) {
          account.scores.set(day, score);
          account.latestScore = score;
        }
      }
      if (rules.length === 0 || n < first || account.departed) continue;
      const scoreAgo = new Map<number, number>();
      for (const window of dropWindows) {
        const then = latestOnOrBefore(account, daysBefore(day, window), warmUp);
        if (then !== null) scoreAgo.set(window, then);
      }
      const inputs = measureRules.length > 0 ? measureInputs(measureRules, facts, day) : {};
      const fired: { rule: DetectionRule; holdingSince: string | null }[] = [];
      const weakHolding = new Set<string>();
      for (const rule of rules) {
        const state = account.states.get(rule.key) ?? null;
        const outcome = ruleHolds(rule, {
          score: account.latestScore,
          scoreAgo,
          measure: inputs[rule.key] ?? null,
        });
        const { decision, holdingSince, established } = decide(rule, state, outcome, now);
        if (established && rule.weak) weakHolding.add(rule.reason);
        // The same state writes as the daily run's, in the same cases.
        if (decision === 'clear' && state) {
          account.states.set(rule.key, {
            active: false,
            firedAt: state.firedAt,
            holdingSince,
            clearedAt: now.toISOString(),
          });
          result.clears.push({ accountId: source.id, rule: rule.key, day });
        } else if (decision === 'fire') {
          fired.push({ rule, holdingSince });
        } else if ((state?.holdingSince ?? null) !== holdingSince) {
          account.states.set(rule.key, {
            active: state?.active ?? false,
            firedAt: state?.firedAt ?? null,
            holdingSince,
            clearedAt: null,
          });
        }
      }
      if (fired.length > 0) {
        const { acting, deferred } = corroborated(fired, weakHolding.size, account.open !== null);
        for (const { rule, holdingSince } of deferred) {
          const state = account.states.get(rule.key);
          account.states.set(rule.key, {
            active: false,
            firedAt: state?.firedAt ?? null,
            holdingSince,
            clearedAt: null,
          });
          let waiting = result.waited.get(rule.key);
          if (!waiting) result.waited.set(rule.key, (waiting = new Set()));
          waiting.add(source.id);
        }
        if (acting.length > 0) act(account, acting, day, now, result);
      }
      const open = account.open;
      if (
        open &&
        hasRecovered([...open.evidenceRules], (key) => account.states.get(key), now, options.recoveryDays)
      ) {
        open.closedDay = day;
        open.outcome = 'recovered';
        account.open = null;
      }
    }
  }
  return result;
}

function latestOnOrBefore(account: LiveAccount, day: string, since: number): number | null {
  for (let n = dayNumber(day); n >= since; n -= 1) {
    const score = account.scores.get(dayText(n));
    if (score !== undefined) return score;
  }
  return null;
}

function act(
  account: LiveAccount,
  fired: readonly { rule: DetectionRule; holdingSince: string | null }[],
  day: string,
  now: Date,
  result: ReplayResult,
): void {
  const accountId = account.source.id;
  for (const { rule, holdingSince } of fired)
    account.states.set(rule.key, { active: true, firedAt: now.toISOString(), holdingSince, clearedAt: null });
  // Only people's closes start a quiet period, and the replay has none but losses, after which
  // nothing acts.
  const acting = account.departed ? [] : fired;
  for (const { rule } of fired) result.firings.push({ accountId, rule: rule.key, day });
  if (acting.length === 0) return;
  const reasons = [...new Set(acting.map(({ rule }) => rule.reason))];
  if (account.open) {
    const present = new Set([
      ...account.open.reasonsAtOpening,
      ...account.open.added.map((entry) => entry.reason),
    ]);
    for (const { rule } of acting) {
      account.open.evidenceRules.add(rule.key);
      if (present.has(rule.reason)) continue;
      present.add(rule.reason);
      account.open.added.push({ day, reason: rule.reason, rule: rule.key });
    }
    return;
  }
  const opened: ReplayCase = {
    accountId,
    openedDay: day,
    rulesAtOpening: acting.map(({ rule }) => rule.key),
    reasonsAtOpening: reasons,
    added: [],
    evidenceRules: new Set(acting.map(({ rule }) => rule.key)),
    closedDay: null,
    outcome: null,
  };
  account.open = opened;
  result.cases.push(opened);
}

/** What really happened to an account, to judge the replay by. */
export interface AccountTruth {
  churnDay: string | null;
  /** Why they left, as reason keys; empty when unknown. */
  reasons: readonly string[];
  /** False for a churner that gave no warning sign: left out of recall, since nothing could see it. */
  showsSignals: boolean;
}

export interface RuleFigures {
  rule: string;
  firings: number;
  /** Accounts on which the rule, a weak sign, held alone at some point and waited for another. */
  waitedAlone: number;
  /** Firings on accounts that went on to churn, before they did. */
  onChurners: number;
  /** onChurners / firings; null without firings. */
  precision: number | null;
  casesOpened: number;
}

export interface BacktestFigures {
  accounts: number;
  churners: number;
  /** Churners with a warning sign whose churn day lies at least 30 days into the replay. */
  recallBase: number;
  flagged: number;
  flaggedChurners: number;
  precision: number | null;
  recall: { 30: number | null; 60: number | null; 90: number | null };
  medianLeadDays: number | null;
  /** Flagged churners whose case opened with one of the reasons they really left for. */
  rightReasonAtOpening: number | null;
  casesOpened: number;
  /** Cases opened on or after the customer's churn day (should be none). */
  openedAfterChurn: number;
  rules: RuleFigures[];
  /** The accounts behind the figures. */
  accountsBehind: {
    truePositives: number[];
    falsePositives: number[];
    missed: number[];
    wrongReason: number[];
  };
}

/** The middle of sorted values (the mean of the two middle ones for an even count). */
function median(sorted: readonly number[]): number | null {
  if (sorted.length === 0) return null;
  const middle = Math.floor(sorted.length / 2);
  const upper = sorted[middle] ?? 0;
  return sorted.length % 2 === 1 ? upper : ((sorted[middle - 1] ?? 0) + upper) / 2;
}

const ratio = (part: number, whole: number) =>
  whole === 0 ? null : Math.round((part / whole) * 1000) / 1000;

/** Scores a replay against the truth: precision, recall by lead time, reasons at opening, per-rule figures. */
export function backtestFigures(
  result: ReplayResult,
  truth: ReadonlyMap<number, AccountTruth>,
  options: Pick<ReplayOptions, 'from' | 'to' | 'rules'>,
): BacktestFigures {
  const firstCase = new Map<number, ReplayCase>();
  for (const opened of result.cases)
    if (!firstCase.has(opened.accountId)) firstCase.set(opened.accountId, opened);
  const churnOf = (accountId: number) => truth.get(accountId)?.churnDay ?? null;
  const flaggedBeforeChurn = (accountId: number) => {
    const opened = firstCase.get(accountId);
    const churn = churnOf(accountId);
    return opened !== undefined && churn !== null && opened.openedDay < churn;
  };
  const truePositives = [...firstCase.keys()].filter(flaggedBeforeChurn);
  const falsePositives = [...firstCase.keys()].filter((id) => !flaggedBeforeChurn(id));
  const from = dayNumber(options.from);
  const to = dayNumber(options.to);
  const base = [...truth].filter(
    ([, t]) =>
      t.churnDay !== null &&
      t.showsSignals &&
      dayNumber(t.churnDay) - 30 >= from &&
      dayNumber(t.churnDay) <= to,
  );
  const recallAt = (lead: number) => {
    const eligible = base.filter(([, t]) => t.churnDay !== null && dayNumber(t.churnDay) - lead >= from);
    const caught = eligible.filter(([id, t]) => {
      const opened = firstCase.get(id);
      return (
        opened !== undefined &&
        t.churnDay !== null &&
        dayNumber(opened.openedDay) <= dayNumber(t.churnDay) - lead
      );
    });
    return ratio(caught.length, eligible.length);
  };
  const leads = truePositives
    .map((id) => dayNumber(churnOf(id) ?? '') - dayNumber(firstCase.get(id)?.openedDay ?? ''))
    .sort((a, b) => a - b);
  const withReasons = truePositives.filter((id) => (truth.get(id)?.reasons.length ?? 0) > 0);
  const wrongReason = withReasons.filter((id) => {
    const wanted = new Set(truth.get(id)?.reasons);
    return !(firstCase.get(id)?.reasonsAtOpening ?? []).some((reason) => wanted.has(reason));
  });
  const caught30 = new Set(
    base
      .filter(([id, t]) => {
        const opened = firstCase.get(id);
        return (
          opened !== undefined &&
          t.churnDay !== null &&
          dayNumber(opened.openedDay) <= dayNumber(t.churnDay) - 30
        );
      })
      .map(([id]) => id),
  );
  const rules = options.rules
    .filter((rule) => rule.active)
    .map((rule): RuleFigures => {
      const firings = result.firings.filter((firing) => firing.rule === rule.key);
      const onChurners = firings.filter((firing) => {
        const churn = churnOf(firing.accountId);
        return churn !== null && firing.day < churn;
      }).length;
      return {
        rule: rule.key,
        firings: firings.length,
        waitedAlone: result.waited.get(rule.key)?.size ?? 0,
        onChurners,
        precision: ratio(onChurners, firings.length),
        casesOpened: result.cases.filter((opened) => opened.rulesAtOpening.includes(rule.key)).length,
      };
    });
  return {
    accounts: truth.size,
    churners: [...truth.values()].filter(
      (t) => t.churnDay !== null && dayNumber(t.churnDay) >= from && dayNumber(t.churnDay) <= to,
    ).length,
    recallBase: base.length,
    flagged: firstCase.size,
    flaggedChurners: truePositives.length,
    precision: ratio(truePositives.length, firstCase.size),
    recall: { 30: recallAt(30), 60: recallAt(60), 90: recallAt(90) },
    medianLeadDays: median(leads),
    rightReasonAtOpening: ratio(withReasons.length - wrongReason.length, withReasons.length),
    casesOpened: result.cases.length,
    openedAfterChurn: result.cases.filter((opened) => {
      const churn = churnOf(opened.accountId);
      return churn !== null && opened.openedDay >= churn;
    }).length,
    rules,
    accountsBehind: {
      truePositives,
      falsePositives,
      missed: base.map(([id]) => id).filter((id) => !caught30.has(id)),
      wrongReason,
    },
  };
}

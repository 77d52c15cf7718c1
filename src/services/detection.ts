// Automated risk detection: evaluates the rules (configuration) for accounts, and for each rule that
// fires opens a risk case with the rule's reason and evidence, or adds both to the open case.
import {
  corroborated,
  decide,
  hasRecovered,
  DEFAULT_RULES,
  ruleSetSchema,
  evaluateRule,
  signalKindOf,
  type DetectionRule,
  type RuleOutcome,
} from '../domain/detection';
import { AppError } from '../domain/errors';
import { daysBefore, factsQuery, measureInputs, type AccountSignalFacts } from '../domain/health';
import type { Actor } from '../domain/policy';
import type { RiskReason } from '../domain/risk-reason';
import { initialStage, type RiskStage } from '../domain/risk-lifecycle';
import type { RetainSettings } from '../domain/settings';
import { dayOf } from '../domain/signals';
import { AccountRepository } from '../store/account.repository';
import { AuditRepository } from '../store/audit.repository';
import { PlayRepository } from '../store/play.repository';
import { DetectionRepository, type RuleStateWrite } from '../store/detection.repository';
import { HealthRepository } from '../store/health.repository';
import { RiskCaseRepository } from '../store/risk-case.repository';
import { SignalRepository } from '../store/signal.repository';
import { inTransaction, type ServiceContext } from './context';
import { JsonConfig } from './json-config';
import type { RiskConfigService } from './risk-config';
import { openCaseIn } from './risk-cases';

const ACCOUNT_CHUNK = 1000;
const EVIDENCE_SIGNALS = 5;

export interface DetectionRun {
  evaluated: number;
  fired: number;
  casesOpened: number;
  casesUpdated: number;
  /** Firings held back because a CSM closed a case for the same reason within the quiet period. */
  suppressed: number;
  /** Weak signs that held alone, on accounts without an open case: they fire when corroborated. */
  deferred: number;
  cleared: number;
  /** Cases detection opened that closed as recovered: their signs had been clear long enough. */
  recovered: number;
  /** The cases this run opened, by id. */
  openedCases: number[];
}

interface ActSetup {
  stages: RiskStage[];
  settings: RetainSettings;
  /** The reason catalog by key. */
  reasons: Map<string, RiskReason>;
}

interface RecoverySetup {
  days: number;
  closeTo: RiskStage;
  firstStageId: number;
  /** Every rule by key, to name the signs that cleared. */
  rules: Map<string, DetectionRule>;
}

interface Firing {
  rule: DetectionRule;
  outcome: RuleOutcome;
  holdingSince: string | null;
}

export class DetectionService {
  private readonly stored: JsonConfig<DetectionRule[]>;

  constructor(
    private readonly context: ServiceContext,
    private readonly config: RiskConfigService,
    /** Moves a recovered case to its end stage, as a stage change by detection. */
    private readonly recoveredClose: (
      caseId: number,
      move: { stage: string; note: string },
    ) => Promise<unknown>,
  ) {
    this.stored = new JsonConfig(context, 'detectionRules', ruleSetSchema, DEFAULT_RULES, 'detection rules');
  }

  rules(): Promise<DetectionRule[]> {
    return this.stored.read();
  }

  /**
   * Replaces the rule set, validated as a whole; every reason must be in the catalog.
   * `expectedRevision` (If-Match) refuses a save over someone else's.
   */
  updateRules(actor: Actor, input: unknown, expectedRevision?: readonly string[]): Promise<DetectionRule[]> {
    return this.stored.replace(
      actor,
      input,
      async (rules) => {
        const known = new Set((await this.config.listReasons()).map((reason) => reason.key));
        rules.forEach((rule, index) => {
          if (!known.has(rule.reason)) {
            throw new AppError('RISK_REASON_NOT_FOUND', `${index}.reason: no risk reason "${rule.reason}".`, {
              field: `${index}.reason`,
            });
          }
        });
      },
      expectedRevision,
    );
  }

  /** Evaluates every active rule for the given accounts (all when omitted) and acts on firings. */
  async evaluate(accountIds?: readonly number[]): Promise<DetectionRun> {
    const now = this.context.clock.now();
    const today = dayOf(now.toISOString());
    const allRules = await this.rules();
    const rules = allRules.filter((rule) => rule.active);
    const run: DetectionRun = {
      evaluated: 0,
      fired: 0,
      casesOpened: 0,
      casesUpdated: 0,
      suppressed: 0,
      deferred: 0,
      cleared: 0,
      recovered: 0,
      openedCases: [],
    };
    if (rules.length === 0) return run;
    const db = this.context.store.db;
    const ids = accountIds ?? (await new AccountRepository(db).allIds());
    const measureRules = rules.flatMap((rule) =>
      rule.condition.kind === 'measure' ? [{ key: rule.key, input: rule.condition.input }] : [],
    );
    const query = factsQuery(
      measureRules.map((rule) => rule.input),
      today,
    );
    const dropWindows = [
      ...new Set(
        rules.flatMap((rule) => (rule.condition.kind === 'health_drop' ? [rule.condition.windowDays] : [])),
      ),
    ];
    const detection = new DetectionRepository(db);
    // The stages, settings and reason catalog firings act with, read once per run when needed.
    let setup: ActSetup | undefined;
    // Whether and how recovered cases close, read once per run (false: recovery is off).
    let recovery: RecoverySetup | false | undefined;

    for (let i = 0; i < ids.length; i += ACCOUNT_CHUNK) {
      const chunk = ids.slice(i, i + ACCOUNT_CHUNK);
      const facts =
        measureRules.length > 0
          ? await new HealthRepository(db).signalFacts(chunk, query)
          : new Map<number, AccountSignalFacts>();
      const health = new HealthRepository(db);
      const scores = await health.latestScores(chunk, today, { inclusive: true });
      const scoresAgo = new Map<number, Map<number, { score: number }>>();
      for (const window of dropWindows)
        scoresAgo.set(
          window,
          await health.latestScores(chunk, daysBefore(today, window), { inclusive: true }),
        );
      const states = await detection.states(chunk);
      const clears: RuleStateWrite[] = [];
      const pending: { accountId: number; firing: Firing[]; weakHolding: number }[] = [];

      for (const accountId of chunk) {
        run.evaluated += 1;
        const accountFacts = facts.get(accountId);
        const inputs = accountFacts ? measureInputs(measureRules, accountFacts, today) : {};
        const scoreAgo = new Map<number, number>();
        for (const [window, byAccount] of scoresAgo) {
          const then = byAccount.get(accountId);
          if (then !== undefined) scoreAgo.set(window, then.score);
        }
        const weakReasons = new Set<string>();
        const firing: Firing[] = [];
        for (const rule of rules) {
          const state = states.get(`${accountId}|${rule.key}`) ?? null;
          const outcome = evaluateRule(rule, {
            score: scores.get(accountId)?.score ?? null,
            scoreAgo,
            measure: inputs[rule.key] ?? null,
          });
          const { decision, holdingSince, established } = decide(rule, state, outcome, now);
          if (established && rule.weak) weakReasons.add(rule.reason);
          const write: RuleStateWrite = {
            accountId,
            ruleKey: rule.key,
            active: state?.active ?? false,
            firedAt: state?.firedAt ?? null,
            clearedAt: null,
            lastValue: outcome.value,
            holdingSince,
          };
          if (decision === 'clear') {
            run.cleared += 1;
            clears.push({ ...write, active: false, clearedAt: now.toISOString() });
          } else if (decision === 'fire') {
            firing.push({ rule, outcome, holdingSince });
          } else if ((state?.holdingSince ?? null) !== holdingSince) {
            clears.push(write);
          }
        }
        if (firing.length > 0) pending.push({ accountId, firing, weakHolding: weakReasons.size });
      }
      if (clears.length > 0) await detection.saveStates(clears, now);
      // Weak signs alone act only on an account whose case is open; otherwise they wait for company.
      const alone = pending.filter(
        ({ firing, weakHolding }) => corroborated(firing, weakHolding, false).acting.length === 0,
      );
      const withOpenCase =
        alone.length > 0
          ? await new RiskCaseRepository(db).openCaseAccounts(alone.map(({ accountId }) => accountId))
          : new Set<number>();
      const firings = new Map<number, Firing[]>();
      const deferred: RuleStateWrite[] = [];
      for (const { accountId, firing, weakHolding } of pending) {
        const { acting, deferred: later } = corroborated(firing, weakHolding, withOpenCase.has(accountId));
        run.deferred += later.length;
        for (const { rule, outcome, holdingSince } of later) {
          const state = states.get(`${accountId}|${rule.key}`) ?? null;
          deferred.push({
            accountId,
            ruleKey: rule.key,
            active: false,
            firedAt: state?.firedAt ?? null,
            clearedAt: null,
            lastValue: outcome.value,
            holdingSince,
          });
        }
        if (acting.length > 0) firings.set(accountId, acting);
      }
      if (deferred.length > 0) await detection.saveStates(deferred, now);
      for (const [accountId, fired] of firings) {
        setup ??= await this.loadSetup();
        const current = setup;
        // Two writers detecting on one account at once: the loser finds the winner's case and adds to it.
        const result = await this.act(current, accountId, fired, now).catch((error: unknown) => {
          if (error instanceof AppError && error.code === 'RISK_CASE_ALREADY_OPEN')
            return this.act(current, accountId, fired, now);
          throw error;
        });
        run.fired += fired.length;
        run.suppressed += result.suppressed;
        if (result.opened && result.caseId !== null) {
          run.casesOpened += 1;
          run.openedCases.push(result.caseId);
        }
        if (result.updated) run.casesUpdated += 1;
      }
      // After the firings: a case that gained a sign today is not recovered today.
      recovery ??= await this.recoverySetup(allRules);
      if (recovery) run.recovered += await this.closeRecovered(chunk, now, recovery);
    }
    return run;
  }

  /**
   * Closes as recovered the open cases detection opened on these accounts that nobody has moved on
   * from their first stage or given another reason, once every rule behind them has been clear for
   * the recovery period; the stage history says which signs cleared, and when.
   */
  private async closeRecovered(
    accountIds: readonly number[],
    now: Date,
    { days, closeTo, firstStageId, rules }: RecoverySetup,
  ): Promise<number> {
    const db = this.context.store.db;
    const candidates = await new RiskCaseRepository(db).openRuleCasesIn(accountIds, firstStageId);
    if (candidates.length === 0) return 0;
    const states = await new DetectionRepository(db).states(candidates.map((found) => found.accountId));
    let closed = 0;
    for (const found of candidates) {
      const stateOf = (key: string) => states.get(`${found.accountId}|${key}`);
      // Only a case whose reasons all came from its rules: a reason a person added is their call.
      if (found.reasonKeys.some((reason) => !found.evidence.some((entry) => entry.reasonKey === reason)))
        continue;
      const ruleKeys = [...new Set(found.evidence.map((entry) => entry.ruleKey))];
      if (!hasRecovered(ruleKeys, stateOf, now, days)) continue;
      const cleared = ruleKeys
        .map((key) => `${rules.get(key)?.name ?? key} on ${(stateOf(key)?.clearedAt ?? '').slice(0, 10)}`)
        .join('; ');
      await this.recoveredClose(found.caseId, {
        stage: closeTo.key,
        note: `Closed by detection: every sign that opened this case cleared and stayed clear for ${days} days (${cleared}).`,
      });
      closed += 1;
    }
    return closed;
  }

  /** What closing recovered cases needs, read once per run; false when recovery is off. */
  private async recoverySetup(rules: readonly DetectionRule[]): Promise<RecoverySetup | false> {
    const [settings, stages] = await Promise.all([this.config.settings(), this.config.listStages()]);
    const closeTo = stages.find((stage) => stage.isEnd && stage.outcome === 'recovered' && stage.active);
    if (settings.detectionRecoveryDays <= 0 || !closeTo) return false;
    return {
      days: settings.detectionRecoveryDays,
      closeTo,
      firstStageId: initialStage(stages).id,
      rules: new Map(rules.map((rule) => [rule.key, rule])),
    };
  }

  private async loadSetup(): Promise<ActSetup> {
    const [stages, settings, reasons] = await Promise.all([
      this.config.listStages(),
      this.config.settings(),
      this.config.listReasons(),
    ]);
    return { stages, settings, reasons: new Map(reasons.map((reason) => [reason.key, reason])) };
  }

  /** Opens or updates the account's case for the rules that fired, in one transaction. */
  private async act(
    setup: ActSetup,
    accountId: number,
    fired: readonly Firing[],
    now: Date,
  ): Promise<{ opened: boolean; updated: boolean; suppressed: number; caseId: number | null }> {
    const { stages, settings, reasons } = setup;
    const reasonsFor = (keys: readonly string[]) =>
      keys.flatMap((key) => {
        const reason = reasons.get(key);
        return reason ? [reason] : [];
      });
    const evidenceDetails = await this.evidenceDetails(accountId, fired);
    return inTransaction(this.context, async (db) => {
      const detection = new DetectionRepository(db);
      const cases = new RiskCaseRepository(db);
      const reasonKeysOf = async (caseId: number) =>
        ((await cases.reasonsOf([caseId])).get(caseId) ?? []).map((reason) => reason.key);
      const open = await cases.findOpenByAccount(accountId);
      const lastClosed = open ? undefined : await cases.findLastClosedByAccount(accountId);
      // A case a CSM closed stays closed for the quiet period unless the reason is a new one (a case
      // detection closed as recovered sets no quiet period: its signs coming back are news).
      const quiet =
        lastClosed?.closedAt &&
        now.getTime() - Date.parse(lastClosed.closedAt) < settings.detectionQuietDays * 86_400_000 &&
        (await cases.lastMovedByPerson(lastClosed.id))
          ? new Set(await reasonKeysOf(lastClosed.id))
          : new Set<string>();
      // A customer whose last case closed as lost has left: detection opens nothing more for them
      // (a CSM still can, when they come back).
      const departed = lastClosed?.outcome === 'lost';
      const acting = departed
        ? []
        : fired.filter(({ rule }) => !quiet.has(rule.reason) && reasons.has(rule.reason));
      const states: RuleStateWrite[] = fired.map(({ rule, outcome, holdingSince }) => ({
        accountId,
        ruleKey: rule.key,
        active: true,
        firedAt: now.toISOString(),
        clearedAt: null,
        lastValue: outcome.value,
        holdingSince,
      }));
      await detection.saveStates(states, now);
      const suppressed = fired.length - acting.length;
      if (acting.length === 0) return { opened: false, updated: false, suppressed, caseId: null };

      const actor: Actor = {
        userId: null,
        role: 'admin',
        teamId: null,
        label: `rule:${acting.map(({ rule }) => rule.key).join(',')}`,
      };
      const reasonKeys = [...new Set(acting.map(({ rule }) => rule.reason))];
      let caseId: number;
      let opened = false;
      if (open) {
        caseId = open.id;
        const present = await reasonKeysOf(caseId);
        const added = reasonKeys.filter((key) => !present.includes(key));
        await cases.addReasons(
          caseId,
          reasonsFor(added).map((reason) => reason.id),
          now,
          null,
        );
        await new AuditRepository(db).append(actor, now, [
          {
            entityType: 'risk_case',
            entityId: caseId,
            accountId,
            action: 'risk_detected',
            changes: { rules: acting.map(({ rule }) => rule.key), reasonsAdded: added },
          },
        ]);
        await new PlayRepository(db).recordEvents(
          added.map((reason) => ({ kind: 'reason_added', accountId, caseId, reason })),
          now,
        );
      } else {
        caseId = await openCaseIn(
          db,
          actor,
          now,
          {
            accountId,
            reasons: reasonKeys,
            note: acting.map(({ rule, outcome }) => `${rule.name}: ${outcome.summary}`).join('; '),
          },
          {
            stage: initialStage(stages),
            settings,
            reasons: reasonsFor(reasonKeys),
            source: 'rule',
          },
        );
        opened = true;
      }
      await new PlayRepository(db).recordEvents(
        acting.map(({ rule }) => ({ kind: 'signal_rule_fired', accountId, caseId, rule: rule.key })),
        now,
      );
      await detection.addEvidence(
        acting.map(({ rule, outcome }) => ({
          caseId,
          ruleKey: rule.key,
          reasonId: reasons.get(rule.reason)?.id ?? 0,
          summary: `${rule.name}: ${outcome.summary}`,
          details: { value: outcome.value, condition: rule.condition, ...evidenceDetails.get(rule.key) },
        })),
        now,
      );
      return { opened, updated: !opened, suppressed, caseId };
    });
  }

  /** The signals behind each firing (the latest few of the kind the rule reads), or the score parts. */
  private async evidenceDetails(
    accountId: number,
    fired: readonly Firing[],
  ): Promise<Map<string, Record<string, unknown>>> {
    const details = new Map<string, Record<string, unknown>>();
    const signals = new SignalRepository(this.context.store.db);
    for (const { rule } of fired) {
      if (rule.condition.kind === 'measure') {
        const kind = signalKindOf(rule.condition.input);
        if (!kind) continue;
        const recent = await signals.listForAccount(accountId, {
          kind,
          limit: EVIDENCE_SIGNALS,
        });
        details.set(rule.key, {
          signals: recent.map(({ id, kind: signalKind, occurredAt, data }) => ({
            id,
            kind: signalKind,
            occurredAt,
            data,
          })),
        });
      } else {
        const health = await new HealthRepository(this.context.store.db).latestOnOrBefore(
          accountId,
          dayOf(this.context.clock.now().toISOString()),
        );
        if (health) {
          details.set(rule.key, {
            health: {
              day: health.day,
              score: health.score,
              band: health.band,
              components: health.components,
            },
          });
        }
      }
    }
    return details;
  }
}

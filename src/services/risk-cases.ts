// Risk cases: open one by hand, move it through stages, set reasons and its place on the matrix,
// write weekly updates, and list the worklist in priority order.
import type { Kysely } from 'kysely';
import type { Account } from '../domain/account';
import { actionName, actorName, auditSummary, type AuditNames } from '../domain/audit-summary';
import { z } from 'zod';
import { DEFAULT_RULES } from '../domain/detection';
import { AppError } from '../domain/errors';
import { assertWithinLimits, INPUT_LIMITS, lengthIssue, type LimitIssue } from '../domain/input-limits';
import {
  decideTrack,
  deriveLtv,
  quadrantOf,
  QUADRANTS,
  type CaseTrack,
  type MatrixQuadrant,
} from '../domain/matrix';
import { assertCan, type Actor } from '../domain/policy';
import { casePriority } from '../domain/priority';
import type {
  CaseAccountFacts,
  CaseReason,
  CaseSource,
  RiskCaseRecord,
  SeparationSurvey,
  WeeklyUpdate,
} from '../domain/risk-case';
import type { RiskReason } from '../domain/risk-reason';
import {
  caseClock,
  initialStage,
  msToDays,
  planStageMove,
  type CaseOutcome,
  type RiskStage,
  type StageTime,
} from '../domain/risk-lifecycle';
import { isUpdateOverdue, type RetainSettings } from '../domain/settings';
import { AccountRepository } from '../store/account.repository';
import { AuditRepository, type AuditEntry } from '../store/audit.repository';
import { dayOf } from '../domain/signals';
import { DetectionRepository, type Evidence } from '../store/detection.repository';
import { HealthRepository } from '../store/health.repository';
import { isUniqueViolation } from '../store/errors';
import { PlayRepository } from '../store/play.repository';
import {
  RiskCaseRepository,
  type CaseWithAccount,
  type RiskCaseChanges,
} from '../store/risk-case.repository';
import { RiskConfigRepository } from '../store/risk-config.repository';
import type { Database } from '../store/schema';
import { UserRepository } from '../store/user.repository';
import { inTransaction, type ServiceContext } from './context';
import { caseOpenedNotification, notifyIn } from './notifications';
import type { RiskConfigService } from './risk-config';

export interface OpenCaseInput {
  accountId: number;
  reasons: string[];
  stage?: string;
  expected?: boolean | null;
  avoidable?: boolean | null;
  arrAtRisk?: number;
  ltv?: number;
  note?: string;
}

export interface CaseDetailsInput {
  expected?: boolean | null;
  avoidable?: boolean | null;
  arrAtRisk?: number;
  /** A given LTV, or null to derive it from ARR again. */
  ltv?: number | null;
  version?: number;
}

/** What the audit trail needs of the stored detection rules: their names. */
const RULE_NAMES = z.array(z.object({ key: z.string(), name: z.string() }));

/** An audit entry of a case, with its heading, its actor's name and a sentence on what changed. */
export interface DescribedAuditEntry extends AuditEntry {
  title: string;
  actorName: string;
  summary: string;
}

export interface WeeklyUpdateInput {
  background: string;
  doneSoFar: string;
  nextSteps: string;
  /**
   * The newest update the writer had seen (null: none). When given and someone has written one
   * since, the update is refused as VERSION_CONFLICT with the updates written meanwhile, so that
   * two people writing this week's update at once each see the other's.
   */
  previousUpdateId?: number | null;
}

export type WorklistSort = 'priority' | 'time_in_stage' | 'arr_at_risk' | 'ltv' | 'opened_at' | 'last_update';

export interface WorklistQuery {
  status?: 'open' | 'closed' | 'all';
  stages?: string[];
  ownerId?: number;
  teamId?: number;
  reason?: string;
  overdue?: boolean;
  track?: CaseTrack;
  quadrant?: MatrixQuadrant;
  q?: string;
  sort?: WorklistSort;
  order?: 'asc' | 'desc';
  limit?: number;
  offset?: number;
}

/** A case as users see it: facts, clock, reasons, matrix, priority. */
export interface RiskCaseView {
  id: number;
  accountId: number;
  account: CaseAccountFacts;
  stage: { id: number; key: string; name: string; isEnd: boolean };
  status: 'open' | 'closed';
  source: RiskCaseRecord['source'];
  openedAt: string;
  openedByUserId: number | null;
  reasons: CaseReason[];
  matrix: { expected: boolean | null; avoidable: boolean | null; quadrant: MatrixQuadrant };
  arrAtRisk: number;
  ltv: number;
  ltvSource: 'given' | 'derived';
  track: CaseTrack;
  trackReasons: string[];
  priority: number;
  stageEnteredAt: string;
  timeInStageDays: number;
  totalOpenDays: number;
  closedAt: string | null;
  outcome: CaseOutcome | null;
  lastUpdateAt: string | null;
  updateOverdue: boolean;
  version: number;
}

/** A worklist row: the case and its account's latest health score. */
export interface WorklistItem extends RiskCaseView {
  health: { score: number; band: string } | null;
}

export interface RiskCaseDetail extends RiskCaseView {
  stageTimes: (Omit<StageTime, 'totalMs'> & { days: number })[];
  stageHistory: { from: string | null; to: string; at: string; by: string | null; note: string | null }[];
  /** What automated detection found: one entry per rule firing, with the signals or score behind it. */
  evidence: Evidence[];
  updates: WeeklyUpdate[];
  /** What the customer said on leaving, for a case closed as lost. */
  separationSurvey: SeparationSurvey | null;
}

export class RiskCaseService {
  constructor(
    private readonly context: ServiceContext,
    private readonly config: RiskConfigService,
  ) {}

  private now(): Date {
    return this.context.clock.now();
  }

  /** Opens a case on an account; an account has at most one open case. */
  async open(actor: Actor, input: OpenCaseInput): Promise<RiskCaseDetail> {
    checkTexts({ note: input.note });
    const [stages, settings] = await Promise.all([this.config.listStages(), this.config.settings()]);
    const reasons = await this.config.reasonsByKeys(input.reasons);
    if (reasons.length === 0) {
      throw new AppError('VALIDATION_FAILED', 'A risk case needs at least one reason.', { field: 'reasons' });
    }
    const stage = input.stage ? stageToEnter(stages, input.stage) : initialStage(stages);
    if (stage.isEnd) {
      throw new AppError('VALIDATION_FAILED', 'A case opens in an open stage, not an end stage.', {
        field: 'stage',
      });
    }
    const now = this.now();
    const id = await inTransaction(this.context, (db) =>
      openCaseIn(db, actor, now, input, { stage, settings, reasons, source: 'manual' }),
    );
    return this.get(id);
  }

  /** One case with its clock, stage history and weekly updates. */
  async get(id: number): Promise<RiskCaseDetail> {
    const db = this.context.store.db;
    const cases = new RiskCaseRepository(db);
    const record = await cases.findById(id);
    if (!record) throw new AppError('RISK_CASE_NOT_FOUND', `No risk case ${id}.`, { caseId: id });
    const [stages, settings, [withAccount], history, updates, evidence, surveys] = await Promise.all([
      this.config.listStages(),
      this.config.settings(),
      cases.findCases({ status: 'all', ids: [id] }),
      cases.stageHistoryOf(id),
      cases.updatesOf(id),
      new DetectionRepository(db).evidenceOf(id),
      cases.separationSurveys([id]),
    ]);
    if (!withAccount) throw new AppError('RISK_CASE_NOT_FOUND', `No risk case ${id}.`, { caseId: id });
    const reasons = (await cases.reasonsOf([id])).get(id) ?? [];
    const now = this.now();
    const view = toView(withAccount, reasons, stages, settings, now);
    const clock = caseClock(history, stages, now);
    const stageName = (stageId: number | null) =>
      stageId === null ? null : (stages.find((stage) => stage.id === stageId)?.key ?? String(stageId));
    return {
      ...view,
      totalOpenDays: msToDays(clock.totalOpenMs),
      stageTimes: clock.stageTimes.map(({ totalMs, ...rest }) => ({ ...rest, days: msToDays(totalMs) })),
      stageHistory: history.map((entry) => ({
        from: stageName(entry.fromStageId),
        to: stageName(entry.toStageId) ?? '',
        at: entry.at.toISOString(),
        by: entry.byEmail,
        note: entry.note,
      })),
      updates,
      evidence,
      separationSurvey: surveys.get(id) ?? null,
    };
  }

  /** The cases of one account, newest first. */
  async listForAccount(accountId: number): Promise<RiskCaseView[]> {
    const page = await this.worklist(
      { status: 'all', sort: 'opened_at', order: 'desc', limit: 1000 },
      accountId,
    );
    return page.items;
  }

  /** Moves a case to another stage; entering an end stage closes it, leaving one reopens it. */
  async moveStage(
    actor: Actor,
    id: number,
    input: { stage: string; note?: string; version?: number; survey?: SeparationSurvey },
  ): Promise<RiskCaseDetail> {
    checkTexts({ note: input.note });
    const stages = await this.config.listStages();
    const target = stageToEnter(stages, input.stage);
    const now = this.now();
    if (input.survey) {
      if (!target.isEnd || target.outcome !== 'lost')
        throw new AppError(
          'VALIDATION_FAILED',
          'survey: a separation survey is recorded when a case closes as lost.',
          {
            field: 'survey',
          },
        );
      await this.config.reasonsByKeys([input.survey.primaryReason]);
    }
    await inTransaction(this.context, async (db) => {
      const { record, account } = await this.loadForWrite(db, actor, id, input.version);
      const current = stages.find((stage) => stage.id === record.stageId);
      if (!current) throw new Error(`case ${id} is in unknown stage ${record.stageId}`);
      const move = planStageMove(current, target);
      const cases = new RiskCaseRepository(db);
      if (move.kind === 'reopen') {
        const other = await cases.findOpenByAccount(record.accountId);
        if (other) throw alreadyOpen(account, other.id);
      }
      const spentInCurrent = current.isEnd ? 0 : now.getTime() - new Date(record.stageEnteredAt).getTime();
      const changes: RiskCaseChanges = {
        stageId: target.id,
        stageEnteredAt: now.toISOString(),
        openMsBeforeStage: record.openMsBeforeStage + Math.max(0, spentInCurrent),
        closedAt: target.isEnd ? now.toISOString() : null,
        outcome: target.isEnd ? (target.outcome ?? 'lost') : null,
      };
      const updated = await cases.update(id, changes, now, input.version).catch((error: unknown) => {
        if (isUniqueViolation(error)) throw alreadyOpen(account, null);
        throw error;
      });
      if (!updated) throw await versionConflict(db, id);
      await cases.appendStageHistory(
        id,
        { fromStageId: current.id, toStageId: target.id, at: now, byUserId: actor.userId },
        input.note ?? null,
      );
      if (input.survey) await cases.saveSeparationSurvey(id, input.survey, now, actor.userId);
      await new AuditRepository(db).append(actor, now, [
        {
          entityType: 'risk_case',
          entityId: id,
          accountId: record.accountId,
          action: move.kind === 'advance' ? 'stage_changed' : move.kind === 'reclose' ? 'closed' : move.kind,
          changes: {
            stage: { from: current.key, to: target.key },
            ...(target.isEnd && { outcome: target.outcome }),
            ...(input.note && { note: input.note }),
            ...(input.survey && { survey: input.survey }),
          },
        },
      ]);
      await new PlayRepository(db).recordEvents(
        [
          {
            kind: 'stage_changed',
            accountId: record.accountId,
            caseId: id,
            from: current.key,
            to: target.key,
          },
        ],
        now,
      );
    });
    return this.get(id);
  }

  /** Replaces the set of reasons on a case; the audit log records what was added and removed. */
  async setReasons(actor: Actor, id: number, keys: string[], version?: number): Promise<RiskCaseDetail> {
    const wanted = await this.config.reasonsByKeys(keys);
    const catalog = await this.config.listReasons();
    if (wanted.length === 0) {
      throw new AppError('VALIDATION_FAILED', 'A risk case needs at least one reason.', { field: 'reasons' });
    }
    const now = this.now();
    await inTransaction(this.context, async (db) => {
      const { record } = await this.loadForWrite(db, actor, id, version);
      const cases = new RiskCaseRepository(db);
      const current = (await cases.reasonsOf([id])).get(id) ?? [];
      const currentKeys = new Set(current.map((reason) => reason.key));
      const wantedKeys = new Set(wanted.map((reason) => reason.key));
      const added = wanted.filter((reason) => !currentKeys.has(reason.key));
      const removed = catalog.filter((reason) => currentKeys.has(reason.key) && !wantedKeys.has(reason.key));
      if (added.length === 0 && removed.length === 0) return;
      await cases.addReasons(
        id,
        added.map((reason) => reason.id),
        now,
        actor.userId,
      );
      await cases.removeReasons(
        id,
        removed.map((reason) => reason.id),
      );
      if (!(await cases.update(id, {}, now, version))) throw await versionConflict(db, id);
      await new AuditRepository(db).append(actor, now, [
        {
          entityType: 'risk_case',
          entityId: id,
          accountId: record.accountId,
          action: 'reasons_changed',
          changes: { added: added.map((reason) => reason.key), removed: removed.map((reason) => reason.key) },
        },
      ]);
      await new PlayRepository(db).recordEvents(
        added.map((reason) => ({
          kind: 'reason_added',
          accountId: record.accountId,
          caseId: id,
          reason: reason.key,
        })),
        now,
      );
    });
    return this.get(id);
  }

  /** Places the case on the matrix and sets ARR at risk and LTV; the track follows. */
  async updateDetails(actor: Actor, id: number, input: CaseDetailsInput): Promise<RiskCaseDetail> {
    const settings = await this.config.settings();
    const now = this.now();
    await inTransaction(this.context, async (db) => {
      const { record } = await this.loadForWrite(db, actor, id, input.version);
      const expected = input.expected !== undefined ? input.expected : record.expected;
      const avoidable = input.avoidable !== undefined ? input.avoidable : record.avoidable;
      const arrAtRisk = input.arrAtRisk ?? record.arrAtRisk;
      const ltvGiven = input.ltv === null ? false : input.ltv !== undefined ? true : record.ltvGiven;
      const ltv =
        input.ltv !== undefined && input.ltv !== null
          ? input.ltv
          : ltvGiven
            ? record.ltv
            : deriveLtv(arrAtRisk, settings.expectedLifetimeYears);
      const { track } = decideTrack({ expected, avoidable, ltv }, settings.digitalLtvThreshold);
      const changes: RiskCaseChanges = { expected, avoidable, arrAtRisk, ltv, ltvGiven, track };
      const diff: Record<string, { from: unknown; to: unknown }> = {};
      for (const key of ['expected', 'avoidable', 'arrAtRisk', 'ltv', 'track'] as const) {
        if (record[key] !== changes[key]) diff[key] = { from: record[key], to: changes[key] };
      }
      if (!(await new RiskCaseRepository(db).update(id, changes, now, input.version))) {
        throw await versionConflict(db, id);
      }
      if (Object.keys(diff).length > 0) {
        await new AuditRepository(db).append(actor, now, [
          {
            entityType: 'risk_case',
            entityId: id,
            accountId: record.accountId,
            action: 'details_changed',
            changes: diff,
          },
        ]);
      }
    });
    return this.get(id);
  }

  /** Writes the weekly update: Background / What we've done so far / Next steps. */
  async addUpdate(actor: Actor, id: number, input: WeeklyUpdateInput): Promise<WeeklyUpdate> {
    const { previousUpdateId, ...texts } = input;
    checkTexts({ ...texts });
    const now = this.now();
    return inTransaction(this.context, async (db) => {
      const { record } = await this.loadForWrite(db, actor, id);
      const cases = new RiskCaseRepository(db);
      // The case row is written first: on PostgreSQL that holds its lock, so a second writer of
      // the same case waits here and then sees the first one's update.
      await cases.update(id, { lastUpdateAt: now.toISOString() }, now);
      if (previousUpdateId !== undefined) {
        const recent = await cases.updatesOf(id, 20);
        const seen = previousUpdateId === null ? -1 : recent.findIndex((u) => u.id === previousUpdateId);
        const meanwhile = seen === -1 ? recent : recent.slice(0, seen);
        if (meanwhile.length > 0)
          throw new AppError(
            'VERSION_CONFLICT',
            `Someone wrote an update on risk case ${id} since you opened it; read it and send yours again.`,
            { caseId: id, meanwhile },
          );
      }
      const updateId = await cases.insertUpdate(id, texts, actor.userId, now);
      await new AuditRepository(db).append(actor, now, [
        {
          entityType: 'risk_case',
          entityId: id,
          accountId: record.accountId,
          action: 'weekly_update',
          changes: {
            updateId,
            background: input.background,
            doneSoFar: input.doneSoFar,
            nextSteps: input.nextSteps,
          },
        },
      ]);
      const [update] = await cases.updatesOf(id, 1);
      if (!update || update.id !== updateId) throw new Error('weekly update vanished after insert');
      return update;
    });
  }

  async updates(id: number): Promise<WeeklyUpdate[]> {
    await this.requireCase(id);
    return new RiskCaseRepository(this.context.store.db).updatesOf(id);
  }

  /** The case's audit trail, each entry with who made it and what it changed, in words. */
  async auditTrail(id: number): Promise<DescribedAuditEntry[]> {
    await this.requireCase(id);
    const db = this.context.store.db;
    const [entries, stages, reasons, settings, plays, users] = await Promise.all([
      new AuditRepository(db).historyOfEntity('risk_case', id),
      this.config.listStages(),
      this.config.listReasons(),
      new RiskConfigRepository(db).readSettings(),
      new PlayRepository(db).list(),
      new UserRepository(db).listUsers(),
    ]);
    const lookup = (items: readonly { key: string; name: string }[]) => {
      const byKey = new Map(items.map((item) => [item.key, item.name]));
      return (key: string) => byKey.get(key) ?? key.replace(/_/g, ' ');
    };
    const stored = RULE_NAMES.safeParse(settings.detectionRules);
    const userNames = new Map(users.map((user) => [user.id, user.name]));
    const names: AuditNames = {
      stage: lookup(stages),
      reason: lookup(reasons),
      rule: lookup(stored.success ? stored.data : DEFAULT_RULES),
      play: lookup(plays),
      user: (userId) => userNames.get(userId),
    };
    return entries.map((entry) => ({
      ...entry,
      actorName: actorName(entry, names),
      title: actionName(entry.action),
      summary: auditSummary(entry, names),
    }));
  }

  /** The worklist: cases filtered, sorted (priority by default) and paged. */
  async worklist(
    query: WorklistQuery,
    accountId?: number,
  ): Promise<{ total: number; items: WorklistItem[] }> {
    const [stages, settings, catalog] = await Promise.all([
      this.config.listStages(),
      this.config.settings(),
      this.config.listReasons(),
    ]);
    const now = this.now();
    const reasonId =
      query.reason === undefined
        ? undefined
        : (catalog.find((reason) => reason.key === query.reason)?.id ??
          raise(
            new AppError('RISK_REASON_NOT_FOUND', `No risk reason "${query.reason}".`, {
              reason: query.reason,
            }),
          ));
    const cases = new RiskCaseRepository(this.context.store.db);
    const sort = query.sort ?? 'priority';
    // Filtered, sorted and paged in the database; account facts and reasons are read for the page only.
    const { total, ids } = await cases.findCasePage({
      status: query.status ?? 'open',
      stageIds: query.stages?.map((key) => stageByKey(stages, key).id),
      ownerId: query.ownerId,
      teamId: query.teamId,
      reasonId,
      track: query.track,
      accountId,
      q: query.q,
      quadrant: query.quadrant,
      lastTouchedBefore: query.overdue === true ? overdueCutoff(now, settings) : undefined,
      touchedSince: query.overdue === false ? overdueCutoff(now, settings) : undefined,
      sort,
      direction: (query.order ?? (sort === 'last_update' ? 'asc' : 'desc')) === 'asc' ? 'asc' : 'desc',
      limit: query.limit ?? 50,
      offset: query.offset ?? 0,
      now,
      weights: settings.priorityWeights,
    });
    const [rows, reasons] = await Promise.all([
      cases.findCases({ status: 'all', ids }),
      cases.reasonsOf(ids),
    ]);
    const health = await new HealthRepository(this.context.store.db).latestScores(
      rows.map((row) => row.accountId),
      dayOf(now.toISOString()),
      { inclusive: true },
    );
    const byId = new Map(rows.map((row) => [row.id, row]));
    return {
      total,
      items: ids.flatMap((id) => {
        const row = byId.get(id);
        return row
          ? [
              {
                ...toView(row, reasons.get(id) ?? [], stages, settings, now),
                health: health.get(row.accountId) ?? null,
              },
            ]
          : [];
      }),
    };
  }

  /** Open cases per matrix quadrant, with counts and ARR at risk. */
  async matrixSummary(
    query: Pick<WorklistQuery, 'ownerId' | 'teamId'>,
  ): Promise<{ quadrant: MatrixQuadrant; cases: number; arrAtRisk: number; ltv: number }[]> {
    const [stages, settings] = await Promise.all([this.config.listStages(), this.config.settings()]);
    const records = await new RiskCaseRepository(this.context.store.db).findCaseRecords({
      status: 'open',
      ownerId: query.ownerId,
      teamId: query.teamId,
    });
    const now = this.now();
    const cells = records.map((record) => ({
      ...record,
      quadrant: caseFigures(record, stageOf(stages, record), settings, now).quadrant,
    }));
    return QUADRANTS.map((quadrant) => {
      const inCell = cells.filter((cell) => cell.quadrant === quadrant);
      return {
        quadrant,
        cases: inCell.length,
        arrAtRisk: round2(inCell.reduce((sum, cell) => sum + cell.arrAtRisk, 0)),
        ltv: round2(inCell.reduce((sum, cell) => sum + cell.ltv, 0)),
      };
    });
  }

  private async requireCase(id: number): Promise<RiskCaseRecord> {
    const record = await new RiskCaseRepository(this.context.store.db).findById(id);
    if (!record) throw new AppError('RISK_CASE_NOT_FOUND', `No risk case ${id}.`, { caseId: id });
    return record;
  }

  private async loadForWrite(db: Kysely<Database>, actor: Actor, id: number, version?: number) {
    const record = await new RiskCaseRepository(db).findById(id);
    if (!record) throw new AppError('RISK_CASE_NOT_FOUND', `No risk case ${id}.`, { caseId: id });
    const account = await requireAccount(db, record.accountId);
    assertCan(actor, 'case.write', account);
    if (version !== undefined && version !== record.version) throw await versionConflict(db, id);
    return { record, account };
  }
}

function stageOf(stages: readonly RiskStage[], record: RiskCaseRecord): RiskStage {
  const stage = stages.find((candidate) => candidate.id === record.stageId);
  if (!stage) throw new Error(`case ${record.id} is in unknown stage ${record.stageId}`);
  return stage;
}

/** What the worklist sorts and filters by, from the case's own columns. */
function caseFigures(record: RiskCaseRecord, stage: RiskStage, settings: RetainSettings, now: Date) {
  const timeInStageMs = Math.max(0, now.getTime() - new Date(record.stageEnteredAt).getTime());
  const open = record.closedAt === null;
  return {
    timeInStageMs,
    timeInStageDays: msToDays(timeInStageMs),
    totalOpenMs: record.openMsBeforeStage + (stage.isEnd ? 0 : timeInStageMs),
    quadrant: quadrantOf(record.expected, record.avoidable),
    priority: open
      ? casePriority(
          { arrAtRisk: record.arrAtRisk, ltv: record.ltv, timeInStageMs },
          settings.priorityWeights,
        )
      : 0,
    updateOverdue:
      open &&
      isUpdateOverdue(
        record.lastUpdateAt ? new Date(record.lastUpdateAt) : null,
        new Date(record.openedAt),
        now,
        settings.updateOverdueDays,
      ),
  };
}

function toView(
  row: CaseWithAccount,
  reasons: CaseReason[],
  stages: readonly RiskStage[],
  settings: RetainSettings,
  now: Date,
): RiskCaseView {
  const stage = stageOf(stages, row);
  const figures = caseFigures(row, stage, settings, now);
  return {
    id: row.id,
    accountId: row.accountId,
    account: row.account,
    stage: { id: stage.id, key: stage.key, name: stage.name, isEnd: stage.isEnd },
    status: row.closedAt === null ? 'open' : 'closed',
    source: row.source,
    openedAt: row.openedAt,
    openedByUserId: row.openedByUserId,
    reasons,
    matrix: { expected: row.expected, avoidable: row.avoidable, quadrant: figures.quadrant },
    arrAtRisk: row.arrAtRisk,
    ltv: row.ltv,
    ltvSource: row.ltvGiven ? 'given' : 'derived',
    track: row.track,
    trackReasons: decideTrack(row, settings.digitalLtvThreshold).reasons,
    priority: figures.priority,
    stageEnteredAt: row.stageEnteredAt,
    timeInStageDays: figures.timeInStageDays,
    totalOpenDays: msToDays(figures.totalOpenMs),
    closedAt: row.closedAt,
    outcome: row.outcome,
    lastUpdateAt: row.lastUpdateAt,
    updateOverdue: figures.updateOverdue,
    version: row.version,
  };
}

/** Open cases last touched (updated, or opened if never updated) before this are overdue. */
function overdueCutoff(now: Date, settings: RetainSettings): string {
  return new Date(now.getTime() - settings.updateOverdueDays * 86_400_000).toISOString();
}

function stageByKey(stages: readonly RiskStage[], key: string): RiskStage {
  const stage = stages.find((candidate) => candidate.key === key);
  if (!stage) {
    throw new AppError('RISK_STAGE_NOT_FOUND', `No risk stage "${key}".`, {
      stage: key,
      known: stages.map((candidate) => candidate.key),
    });
  }
  return stage;
}

/** A stage a case may be put in: a retired stage keeps the cases it holds but takes no more. */
export function stageToEnter(stages: readonly RiskStage[], key: string): RiskStage {
  const stage = stageByKey(stages, key);
  if (!stage.active)
    throw new AppError(
      'RISK_STAGE_RETIRED',
      `The stage "${stage.name}" is retired: it takes no more cases. Choose another stage, or tick “In use” for it in Settings → Stages.`,
      { stage: key },
    );
  return stage;
}

async function requireAccount(db: Kysely<Database>, accountId: number): Promise<Account> {
  const account = await new AccountRepository(db).findById(accountId);
  if (!account) throw new AppError('ACCOUNT_NOT_FOUND', `No account ${accountId}.`, { accountId });
  return account;
}

function alreadyOpen(account: Account, caseId: number | null): AppError {
  return new AppError(
    'RISK_CASE_ALREADY_OPEN',
    `Account "${account.name}" already has an open risk case${caseId === null ? '' : ` (#${caseId})`}.`,
    { accountId: account.id, ...(caseId !== null && { caseId, href: `/api/v1/risk-cases/${caseId}` }) },
  );
}

async function versionConflict(db: Kysely<Database>, id: number): Promise<AppError> {
  const current = await new RiskCaseRepository(db).findById(id);
  return new AppError(
    'VERSION_CONFLICT',
    `Risk case ${id} was changed by someone else; reload and try again.`,
    {
      caseId: id,
      currentVersion: current?.version,
      // The state the write missed, so a client can show it or merge without another round trip.
      current: current ?? null,
    },
  );
}

function raise(error: Error): never {
  throw error;
}

const round2 = (value: number) => Math.round(value * 100) / 100;

/**
 * Opens a case inside the caller's transaction: one open case per account, the first stage, the
 * reasons, LTV and track, the stage history and the audit entry. Used by hand and by detection.
 */
export async function openCaseIn(
  db: Kysely<Database>,
  actor: Actor,
  now: Date,
  input: OpenCaseInput,
  context: { stage: RiskStage; settings: RetainSettings; reasons: RiskReason[]; source: CaseSource },
): Promise<number> {
  const { stage, settings, reasons } = context;
  const account = await requireAccount(db, input.accountId);
  assertCan(actor, 'case.write', account);
  const cases = new RiskCaseRepository(db);
  const existing = await cases.findOpenByAccount(account.id);
  if (existing) throw alreadyOpen(account, existing.id);
  const arrAtRisk = input.arrAtRisk ?? account.arr;
  const ltv = input.ltv ?? deriveLtv(arrAtRisk, settings.expectedLifetimeYears);
  const expected = input.expected ?? null;
  const avoidable = input.avoidable ?? null;
  const { track } = decideTrack({ expected, avoidable, ltv }, settings.digitalLtvThreshold);
  const at = now.toISOString();
  const caseId = await cases
    .insert(
      {
        accountId: account.id,
        stageId: stage.id,
        stageEnteredAt: at,
        openMsBeforeStage: 0,
        openedAt: at,
        openedByUserId: actor.userId,
        source: context.source,
        expected,
        avoidable,
        arrAtRisk,
        ltv,
        ltvGiven: input.ltv !== undefined,
        track,
        closedAt: null,
        outcome: null,
        lastUpdateAt: null,
      },
      now,
    )
    .catch((error: unknown) => {
      if (isUniqueViolation(error)) throw alreadyOpen(account, null);
      throw error;
    });
  await cases.addReasons(
    caseId,
    reasons.map((reason) => reason.id),
    now,
    actor.userId,
  );
  await cases.appendStageHistory(
    caseId,
    { fromStageId: null, toStageId: stage.id, at: now, byUserId: actor.userId },
    input.note ?? null,
  );
  await new AuditRepository(db).append(actor, now, [
    {
      entityType: 'risk_case',
      entityId: caseId,
      accountId: account.id,
      action: 'opened',
      changes: {
        stage: stage.key,
        reasons: reasons.map((reason) => reason.key),
        arrAtRisk,
        ltv,
        track,
        ...(input.note && { note: input.note }),
      },
    },
  ]);
  // The owner hears of it in the same transaction, so there is never a case without its notice.
  await notifyIn(
    db,
    actor,
    now,
    await caseOpenedNotification(db, actor, { caseId, account, reasons, source: context.source }),
  );
  // A reason a case opens with counts as added, so "reason added" plays also start on new cases.
  await new PlayRepository(db).recordEvents(
    [
      {
        kind: 'case_opened',
        accountId: account.id,
        caseId,
        reasons: reasons.map((reason) => reason.key),
        source: context.source,
      },
      ...reasons.map((reason) => ({
        kind: 'reason_added' as const,
        accountId: account.id,
        caseId,
        reason: reason.key,
      })),
    ],
    now,
  );
  return caseId;
}

/** Notes and weekly update texts are held to the shared limit whoever writes them. */
function checkTexts(texts: Record<string, string | undefined>): void {
  const issues = Object.entries(texts)
    .map(([field, text]) => lengthIssue(field, text, INPUT_LIMITS.text.note))
    .filter((issue): issue is LimitIssue => issue !== null);
  assertWithinLimits(issues, 'The');
}

/**
 * The worklist query for a scope: the caller's own cases (`mine`), their team's (`team`) or every
 * case (`all`, the default). An owner or team filter that contradicts the scope is refused rather
 * than quietly ignored.
 */
export function scopedWorklistQuery(
  actor: Actor,
  scope: 'mine' | 'team' | 'all' | undefined,
  query: WorklistQuery,
): WorklistQuery {
  if (scope === 'mine') {
    if (actor.userId === null)
      throw new AppError('VALIDATION_FAILED', 'scope: "mine" needs a signed-in user.', { field: 'scope' });
    if (query.ownerId !== undefined && query.ownerId !== actor.userId)
      throw new AppError('VALIDATION_FAILED', 'ownerId: "My cases" lists your own cases; use scope=all.', {
        field: 'ownerId',
      });
    return { ...query, ownerId: actor.userId };
  }
  if (scope === 'team') {
    if (actor.teamId === null)
      throw new AppError('VALIDATION_FAILED', 'scope: you are in no team.', { field: 'scope' });
    if (query.teamId !== undefined && query.teamId !== actor.teamId)
      throw new AppError('VALIDATION_FAILED', 'teamId: "My team" lists your team\'s cases; use scope=all.', {
        field: 'teamId',
      });
    return { ...query, teamId: actor.teamId };
  }
  return query;
}

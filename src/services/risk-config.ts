// Configuration of the risk process: stages, reasons and settings, editable by admins.
import { assertCan, type Actor } from '../domain/policy';
import { AppError } from '../domain/errors';
import type { RiskReason } from '../domain/risk-reason';
import {
  checkStageOrder,
  missingActiveStage,
  newStageIndex,
  STAGE_POSITION_STEP,
  type RiskStage,
} from '../domain/risk-lifecycle';
import { DEFAULT_SETTINGS, settingsSchema, type RetainSettings } from '../domain/settings';
import { AuditRepository } from '../store/audit.repository';
import { isUniqueViolation } from '../store/errors';
import { RiskConfigRepository, type ReasonFields, type StageFields } from '../store/risk-config.repository';
import { checkRevision } from './json-config';
import { inTransaction, type ServiceContext } from './context';

export class RiskConfigService {
  constructor(private readonly context: ServiceContext) {}

  private get repo() {
    return new RiskConfigRepository(this.context.store.db);
  }

  listStages(): Promise<RiskStage[]> {
    return this.repo.listStages();
  }

  async stageByKey(key: string): Promise<RiskStage> {
    const stage = (await this.listStages()).find((candidate) => candidate.key === key);
    if (!stage) throw new AppError('RISK_STAGE_NOT_FOUND', `No risk stage "${key}".`, { stage: key });
    return stage;
  }

  /**
   * Adds a stage. Without a position an open stage goes after the open stages and a closed one
   * last; a position that would put an open stage after a closed one is refused.
   */
  async createStage(
    actor: Actor,
    input: Omit<StageFields, 'position'> & { position?: number | undefined },
  ): Promise<RiskStage> {
    assertCan(actor, 'config.write');
    checkStageOutcome(input.isEnd, input.outcome);
    return inTransaction(this.context, async (db) => {
      const repo = new RiskConfigRepository(db);
      const existing = await repo.listStages();
      const taken = existing.find((stage) => stage.key === input.key);
      if (taken)
        throw new AppError('RISK_STAGE_KEY_TAKEN', `A stage with key "${input.key}" exists.`, {
          key: input.key,
        });
      let position = input.position;
      if (position === undefined) {
        // Renumbered with gaps, the new stage taking its place among them.
        const at = newStageIndex(existing, input.isEnd);
        await repo.setStagePositions(
          existing.map((stage, index) => ({
            id: stage.id,
            position: (index < at ? index + 1 : index + 2) * STAGE_POSITION_STEP,
          })),
        );
        position = (at + 1) * STAGE_POSITION_STEP;
      } else {
        const placed = position;
        checkStageOrder([
          ...existing.filter((stage) => stage.position <= placed),
          { key: input.key, name: input.name, isEnd: input.isEnd },
          ...existing.filter((stage) => stage.position > placed),
        ]);
      }
      const fields: StageFields = { ...input, position };
      const id = await repo.insertStage(fields).catch((error: unknown) => {
        if (isUniqueViolation(error)) {
          throw new AppError('RISK_STAGE_KEY_TAKEN', `A stage with key "${fields.key}" exists.`, {
            key: fields.key,
          });
        }
        throw error;
      });
      await new AuditRepository(db).append(actor, this.context.clock.now(), [
        {
          entityType: 'risk_stage',
          entityId: id,
          accountId: null,
          action: 'created',
          changes: { ...fields },
        },
      ]);
      const stage = (await repo.listStages()).find((candidate) => candidate.id === id);
      if (!stage) throw new Error('stage vanished after insert');
      return stage;
    });
  }

  /**
   * Puts the stages in this order: every stage's key once, the closed stages last. Answers the
   * stages in their new order.
   */
  async reorderStages(actor: Actor, keys: readonly string[]): Promise<RiskStage[]> {
    assertCan(actor, 'config.write');
    return inTransaction(this.context, async (db) => {
      const repo = new RiskConfigRepository(db);
      const stages = await repo.listStages();
      const byKey = new Map(stages.map((stage) => [stage.key, stage]));
      const repeated = keys.find((key, index) => keys.indexOf(key) !== index);
      if (repeated !== undefined)
        throw new AppError('RISK_STAGE_ORDER_INVALID', `Stage "${repeated}" is listed twice.`, {
          stage: repeated,
        });
      const unknown = keys.find((key) => !byKey.has(key));
      if (unknown !== undefined)
        throw new AppError('RISK_STAGE_NOT_FOUND', `No risk stage "${unknown}".`, { stage: unknown });
      const missing = stages.filter((stage) => !keys.includes(stage.key)).map((stage) => stage.key);
      if (missing.length > 0)
        throw new AppError('RISK_STAGE_ORDER_INVALID', `The order leaves out ${missing.join(', ')}.`, {
          missing,
        });
      const ordered = keys.map((key) => byKey.get(key)).filter((stage) => stage !== undefined);
      checkStageOrder(ordered);
      await repo.setStagePositions(
        ordered.map((stage, index) => ({ id: stage.id, position: (index + 1) * STAGE_POSITION_STEP })),
      );
      await new AuditRepository(db).append(actor, this.context.clock.now(), [
        {
          entityType: 'risk_stage',
          entityId: 'order',
          accountId: null,
          action: 'reordered',
          changes: { order: [...keys] },
        },
      ]);
      return repo.listStages();
    });
  }

  async updateStage(actor: Actor, key: string, changes: Partial<StageFields>): Promise<RiskStage> {
    assertCan(actor, 'config.write');
    const stage = await this.stageByKey(key);
    if (Object.keys(changes).length === 0) return stage;
    const isEnd = changes.isEnd ?? stage.isEnd;
    checkStageOutcome(isEnd, changes.outcome !== undefined ? changes.outcome : stage.outcome);
    return inTransaction(this.context, async (db) => {
      const repo = new RiskConfigRepository(db);
      if (
        changes.isEnd !== undefined &&
        changes.isEnd !== stage.isEnd &&
        (await repo.countCasesInStage(stage.id)) > 0
      ) {
        throw new AppError(
          'RISK_STAGE_IN_USE',
          `Stage "${stage.name}" holds cases; its end flag cannot change.`,
          {
            stage: key,
          },
        );
      }
      await repo.updateStage(stage.id, changes).catch((error: unknown) => {
        if (isUniqueViolation(error))
          throw new AppError('RISK_STAGE_KEY_TAKEN', `A stage with that key exists.`);
        throw error;
      });
      if (changes.position !== undefined || changes.isEnd !== undefined)
        checkStageOrder(await repo.listStages());
      if (changes.active === false || changes.isEnd !== undefined) {
        const missing = missingActiveStage(await repo.listStages());
        if (missing !== null)
          throw new AppError(
            'RISK_STAGE_LAST_IN_USE',
            `"${stage.name}" is the last ${missing} stage in use: cases need one to ${missing === 'open' ? 'start in' : 'close in'}. Put another in use first.`,
            { stage: key },
          );
      }
      await new AuditRepository(db).append(actor, this.context.clock.now(), [
        {
          entityType: 'risk_stage',
          entityId: stage.id,
          accountId: null,
          action: 'updated',
          changes: { ...changes },
        },
      ]);
      const updated = (await repo.listStages()).find((candidate) => candidate.id === stage.id);
      if (!updated) throw new Error('stage vanished after update');
      return updated;
    });
  }

  listReasons(): Promise<RiskReason[]> {
    return this.repo.listReasons();
  }

  /** Resolves reason keys to active catalog entries; unknown or retired keys are an error. */
  async reasonsByKeys(keys: readonly string[]): Promise<RiskReason[]> {
    const catalog = await this.listReasons();
    return [...new Set(keys)].map((key) => {
      const reason = catalog.find((candidate) => candidate.key === key && candidate.active);
      if (!reason) {
        throw new AppError('RISK_REASON_NOT_FOUND', `No active risk reason "${key}".`, {
          reason: key,
          known: catalog.filter((r) => r.active).map((r) => r.key),
        });
      }
      return reason;
    });
  }

  async createReason(
    actor: Actor,
    fields: Omit<ReasonFields, 'position'> & { position?: number },
  ): Promise<RiskReason> {
    assertCan(actor, 'config.write');
    return inTransaction(this.context, async (db) => {
      const repo = new RiskConfigRepository(db);
      const position = fields.position ?? (await repo.listReasons()).length + 1;
      const id = await repo.insertReason({ ...fields, position }).catch((error: unknown) => {
        if (isUniqueViolation(error)) {
          throw new AppError('RISK_REASON_KEY_TAKEN', `A reason with key "${fields.key}" exists.`, {
            key: fields.key,
          });
        }
        throw error;
      });
      await new AuditRepository(db).append(actor, this.context.clock.now(), [
        {
          entityType: 'risk_reason',
          entityId: id,
          accountId: null,
          action: 'created',
          changes: { ...fields },
        },
      ]);
      const reason = (await repo.listReasons()).find((candidate) => candidate.id === id);
      if (!reason) throw new Error('reason vanished after insert');
      return reason;
    });
  }

  async updateReason(actor: Actor, key: string, changes: Partial<ReasonFields>): Promise<RiskReason> {
    assertCan(actor, 'config.write');
    const reason = (await this.listReasons()).find((candidate) => candidate.key === key);
    if (!reason) throw new AppError('RISK_REASON_NOT_FOUND', `No risk reason "${key}".`, { reason: key });
    return inTransaction(this.context, async (db) => {
      const repo = new RiskConfigRepository(db);
      await repo.updateReason(reason.id, changes).catch((error: unknown) => {
        if (isUniqueViolation(error))
          throw new AppError('RISK_REASON_KEY_TAKEN', `A reason with that key exists.`);
        throw error;
      });
      await new AuditRepository(db).append(actor, this.context.clock.now(), [
        {
          entityType: 'risk_reason',
          entityId: reason.id,
          accountId: null,
          action: 'updated',
          changes: { ...changes },
        },
      ]);
      const updated = (await repo.listReasons()).find((candidate) => candidate.id === reason.id);
      if (!updated) throw new Error('reason vanished after update');
      return updated;
    });
  }

  settings(): Promise<RetainSettings> {
    return settingsIn(this.repo);
  }

  /**
   * Changes the settings named in `changes`. `expectedRevision` (If-Match, the ETag of a read)
   * refuses the change when someone else saved the settings since, leaving them as they are.
   */
  async updateSettings(
    actor: Actor,
    changes: Partial<RetainSettings>,
    expectedRevision?: readonly string[],
  ): Promise<RetainSettings> {
    assertCan(actor, 'config.write');
    return inTransaction(this.context, async (db) => {
      const repo = new RiskConfigRepository(db);
      await repo.lockSettings(this.context.store.kind === 'postgres');
      const before = await settingsIn(repo);
      checkRevision('settings', before, expectedRevision);
      const next = settingsSchema.parse({ ...before, ...changes });
      await repo.writeSettings(changes, this.context.clock.now());
      await new AuditRepository(db).append(actor, this.context.clock.now(), [
        {
          entityType: 'settings',
          entityId: 'settings',
          accountId: null,
          action: 'updated',
          changes: { ...changes },
        },
      ]);
      return next;
    });
  }
}

async function settingsIn(repo: RiskConfigRepository): Promise<RetainSettings> {
  const merged = { ...DEFAULT_SETTINGS, ...(await repo.readSettings()) };
  const parsed = settingsSchema.safeParse(merged);
  return parsed.success ? parsed.data : DEFAULT_SETTINGS;
}

function checkStageOutcome(isEnd: boolean, outcome: string | null): void {
  if (isEnd && outcome === null) {
    throw new AppError('VALIDATION_FAILED', 'An end stage needs an outcome: recovered or lost.', {
      field: 'outcome',
    });
  }
  if (!isEnd && outcome !== null) {
    throw new AppError('VALIDATION_FAILED', 'Only end stages have an outcome.', { field: 'outcome' });
  }
}

// Configuration of the risk process: stages, reasons and settings, editable by admins.
import { assertCan, type Actor } from '../domain/policy';
import { AppError } from '../domain/errors';
import type { RiskReason } from '../domain/risk-reason';
import type { RiskStage } from '../domain/risk-lifecycle';
import { DEFAULT_SETTINGS, settingsSchema, type RetainSettings } from '../domain/settings';
import { AuditRepository } from '../store/audit.repository';
import { isUniqueViolation } from '../store/errors';
import { RiskConfigRepository, type ReasonFields, type StageFields } from '../store/risk-config.repository';
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

  async createStage(actor: Actor, fields: StageFields): Promise<RiskStage> {
    assertCan(actor, 'config.write');
    checkStageOutcome(fields.isEnd, fields.outcome);
    return inTransaction(this.context, async (db) => {
      const repo = new RiskConfigRepository(db);
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

  async settings(): Promise<RetainSettings> {
    const stored = await this.repo.readSettings();
    const merged = { ...DEFAULT_SETTINGS, ...stored };
    const parsed = settingsSchema.safeParse(merged);
    return parsed.success ? parsed.data : DEFAULT_SETTINGS;
  }

  async updateSettings(actor: Actor, changes: Partial<RetainSettings>): Promise<RetainSettings> {
    assertCan(actor, 'config.write');
    const next = settingsSchema.parse({ ...(await this.settings()), ...changes });
    await inTransaction(this.context, async (db) => {
      await new RiskConfigRepository(db).writeSettings(changes, this.context.clock.now());
      await new AuditRepository(db).append(actor, this.context.clock.now(), [
        {
          entityType: 'settings',
          entityId: 'settings',
          accountId: null,
          action: 'updated',
          changes: { ...changes },
        },
      ]);
    });
    return next;
  }
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

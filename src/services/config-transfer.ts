// Configuration as one JSON document: risk stages, reasons, settings, the health scorecard and the
// detection rules. Export it from one Retain, import it into another (or back), all or nothing.
// Import adds and updates by key and never deletes: retire a stage or reason with `active: false`.
import { z } from 'zod';
import { detectionRuleSchema } from '../domain/detection';
import { AppError } from '../domain/errors';
import { scorecardSchema } from '../domain/health';
import { assertCan, type Actor } from '../domain/policy';
import { missingActiveStage } from '../domain/risk-lifecycle';
import { settingsSchema } from '../domain/settings';
import { AuditRepository } from '../store/audit.repository';
import { RiskConfigRepository } from '../store/risk-config.repository';
import { inTransaction, type ServiceContext } from './context';
import type { DetectionService } from './detection';
import type { HealthService } from './health';
import { validationFailed } from './json-config';
import type { RiskConfigService } from './risk-config';

const key = z.string().regex(/^[a-z0-9_]{1,64}$/, 'use lowercase letters, digits and _');

export const configDocumentSchema = z
  .object({
    format: z.literal('retain-config'),
    version: z.literal(1),
    exportedAt: z.string().optional(),
    stages: z
      .array(
        z
          .object({
            key,
            name: z.string().trim().min(1).max(100),
            position: z.number().int().min(0).max(1000),
            isEnd: z.boolean(),
            outcome: z.enum(['recovered', 'lost']).nullable(),
            active: z.boolean(),
          })
          .strict()
          .refine(
            (stage) => stage.isEnd === (stage.outcome !== null),
            'an end stage, and only an end stage, has an outcome',
          ),
      )
      .max(50),
    reasons: z
      .array(
        z
          .object({
            key,
            name: z.string().trim().min(1).max(200),
            description: z.string().max(2000).nullable(),
            position: z.number().int().min(0).max(1000),
            active: z.boolean(),
          })
          .strict(),
      )
      .max(200),
    // Documents exported before plays' outbound allowlist existed still import (with none open).
    settings: settingsSchema.extend({
      outboundAllowlist: settingsSchema.shape.outboundAllowlist.default([]),
    }),
    scorecard: scorecardSchema,
    detectionRules: z.array(detectionRuleSchema).max(200),
  })
  .strict();
export type ConfigDocument = z.infer<typeof configDocumentSchema>;

export class ConfigTransferService {
  constructor(
    private readonly context: ServiceContext,
    private readonly config: RiskConfigService,
    private readonly health: HealthService,
    private readonly detection: DetectionService,
  ) {}

  async export(): Promise<ConfigDocument> {
    const [stages, reasons, settings, scorecard, detectionRules] = await Promise.all([
      this.config.listStages(),
      this.config.listReasons(),
      this.config.settings(),
      this.health.scorecard(),
      this.detection.rules(),
    ]);
    return {
      format: 'retain-config',
      version: 1,
      exportedAt: this.context.clock.now().toISOString(),
      stages: stages.map(({ key: stageKey, name, position, isEnd, outcome, active }) => ({
        key: stageKey,
        name,
        position,
        isEnd,
        outcome,
        active,
      })),
      reasons: reasons.map(({ key: reasonKey, name, description, position, active }) => ({
        key: reasonKey,
        name,
        description,
        position,
        active,
      })),
      settings,
      scorecard,
      detectionRules,
    };
  }

  /** Applies a document in one transaction; any problem rejects it whole, naming the field. */
  async import(actor: Actor, input: unknown): Promise<{ stages: number; reasons: number; rules: number }> {
    assertCan(actor, 'config.write');
    const parsed = configDocumentSchema.safeParse(input);
    if (!parsed.success) throw validationFailed(parsed.error, 'config');
    const doc = parsed.data;
    const unique = (list: { key: string }[], what: string) => {
      const seen = new Set<string>();
      list.forEach((item, index) => {
        if (seen.has(item.key))
          throw new AppError('VALIDATION_FAILED', `${what}.${index}.key: "${item.key}" appears twice.`, {
            field: `${what}.${index}.key`,
          });
        seen.add(item.key);
      });
    };
    unique(doc.stages, 'stages');
    unique(doc.reasons, 'reasons');
    unique(doc.detectionRules, 'detectionRules');
    const now = this.context.clock.now();
    await inTransaction(this.context, async (db) => {
      const repo = new RiskConfigRepository(db);
      const stages = await repo.listStages();
      for (const [index, stage] of doc.stages.entries()) {
        const existing = stages.find((candidate) => candidate.key === stage.key);
        if (!existing) {
          await repo.insertStage(stage);
          continue;
        }
        if (existing.isEnd !== stage.isEnd && (await repo.countCasesInStage(existing.id)) > 0) {
          throw new AppError(
            'RISK_STAGE_IN_USE',
            `stages.${index}: stage "${existing.name}" holds cases; its end flag cannot change.`,
            { field: `stages.${index}.isEnd` },
          );
        }
        await repo.updateStage(existing.id, stage);
      }
      const reasons = await repo.listReasons();
      for (const reason of doc.reasons) {
        const existing = reasons.find((candidate) => candidate.key === reason.key);
        if (existing) await repo.updateReason(existing.id, reason);
        else await repo.insertReason(reason);
      }
      const known = new Set((await repo.listReasons()).map((reason) => reason.key));
      doc.detectionRules.forEach((rule, index) => {
        if (!known.has(rule.reason)) {
          throw new AppError(
            'RISK_REASON_NOT_FOUND',
            `detectionRules.${index}.reason: no risk reason "${rule.reason}".`,
            {
              field: `detectionRules.${index}.reason`,
            },
          );
        }
      });
      const active = await repo.listStages();
      if (missingActiveStage(active) !== null) {
        throw new AppError(
          'VALIDATION_FAILED',
          'stages: at least one active open stage and one active end stage are needed.',
          {
            field: 'stages',
          },
        );
      }
      await repo.writeSettings(
        { ...doc.settings, healthScorecard: doc.scorecard, detectionRules: doc.detectionRules },
        now,
      );
      await new AuditRepository(db).append(actor, now, [
        {
          entityType: 'settings',
          entityId: 'config',
          accountId: null,
          action: 'imported',
          changes: {
            stages: doc.stages.length,
            reasons: doc.reasons.length,
            rules: doc.detectionRules.length,
          },
        },
      ]);
    });
    return { stages: doc.stages.length, reasons: doc.reasons.length, rules: doc.detectionRules.length };
  }
}

// Bulk actions on worklist rows: assign an owner, move to an open stage, or add a reason. Each
// case is changed on its own, with the caller's rights and the version the caller saw, so one
// refusal leaves the others done; the answer says, row by row, what happened.
import { z } from 'zod';
import { AppError, isAppError } from '../domain/errors';
import type { Actor } from '../domain/policy';
import { RiskCaseRepository } from '../store/risk-case.repository';
import type { AccountService } from './accounts';
import { AuditRepository } from '../store/audit.repository';
import { inTransaction, type ServiceContext } from './context';
import { stageToEnter, type RiskCaseService } from './risk-cases';
import type { RiskConfigService } from './risk-config';

export const BULK_LIMIT = 200;

const key = z.string().regex(/^[a-z0-9_]{1,64}$/, 'use lowercase letters, digits and _');
const rows = z
  .array(z.object({ id: z.number().int().positive(), version: z.number().int().positive() }).strict())
  .min(1)
  .max(BULK_LIMIT)
  .refine((list) => new Set(list.map((row) => row.id)).size === list.length, 'each case once');

export const bulkCaseInput = z.discriminatedUnion('action', [
  z.object({ action: z.literal('assign_owner'), cases: rows, ownerId: z.number().int().positive() }).strict(),
  z.object({ action: z.literal('move_stage'), cases: rows, stage: key }).strict(),
  z.object({ action: z.literal('add_reason'), cases: rows, reason: key }).strict(),
]);
export type BulkCaseInput = z.infer<typeof bulkCaseInput>;

export interface BulkRowResult {
  caseId: number;
  ok: boolean;
  /** Why the row was refused, when it was. */
  error?: { code: string; message: string };
}

export class BulkCaseService {
  constructor(
    private readonly context: ServiceContext,
    private readonly riskCases: RiskCaseService,
    private readonly accounts: AccountService,
    private readonly config: RiskConfigService,
  ) {}

  async apply(actor: Actor, input: BulkCaseInput): Promise<{ results: BulkRowResult[] }> {
    const request = bulkCaseInput.parse(input);
    await this.checkRequest(request);
    const results: BulkRowResult[] = [];
    for (const row of request.cases) {
      try {
        await this.applyOne(actor, request, row);
        results.push({ caseId: row.id, ok: true });
      } catch (error) {
        if (!isAppError(error)) throw error;
        results.push({
          caseId: row.id,
          ok: false,
          error: { code: error.code, message: explain(actor, request.action, error) },
        });
      }
    }
    return { results };
  }

  /**
   * Gives a case's account to another owner, in one transaction with the check that the case is
   * as the caller saw it; the case's own trail records it, and its version moves on.
   */
  private async assignOwner(
    actor: Actor,
    row: { id: number; version: number },
    ownerId: number,
  ): Promise<void> {
    const now = this.context.clock.now();
    await inTransaction(this.context, async (db) => {
      const cases = new RiskCaseRepository(db);
      const record = await cases.findById(row.id);
      if (!record) throw new AppError('RISK_CASE_NOT_FOUND', `No risk case ${row.id}.`, { caseId: row.id });
      if (record.version !== row.version) throw stale(row.id);
      const { diff } = await this.accounts.updateIn(db, actor, record.accountId, { ownerId }, now);
      const owner = diff.ownerId;
      if (!owner) return;
      if (!(await cases.update(row.id, {}, now, row.version))) throw stale(row.id);
      await new AuditRepository(db).append(actor, now, [
        {
          entityType: 'risk_case',
          entityId: row.id,
          accountId: record.accountId,
          action: 'owner_changed',
          changes: { owner },
        },
      ]);
    });
  }

  /** What is wrong with the whole request is said once, before any case changes. */
  private async checkRequest(request: BulkCaseInput): Promise<void> {
    if (request.action === 'move_stage') {
      const stage = stageToEnter(await this.config.listStages(), request.stage);
      if (stage.isEnd)
        throw new AppError(
          'VALIDATION_FAILED',
          `stage: "${stage.name}" closes cases; close them one by one, with the closing note and survey.`,
          { field: 'stage' },
        );
    }
    if (request.action === 'add_reason') await this.config.reasonsByKeys([request.reason]);
  }

  private async applyOne(
    actor: Actor,
    request: BulkCaseInput,
    row: { id: number; version: number },
  ): Promise<void> {
    switch (request.action) {
      case 'move_stage':
        await this.riskCases.moveStage(actor, row.id, { stage: request.stage, version: row.version });
        return;
      case 'add_reason': {
        const current = await this.riskCases.get(row.id);
        if (current.version !== row.version) throw stale(row.id);
        const keys = current.reasons.map((reason) => reason.key);
        if (keys.includes(request.reason)) return;
        await this.riskCases.setReasons(actor, row.id, [...keys, request.reason], row.version);
        return;
      }
      case 'assign_owner':
        await this.assignOwner(actor, row, request.ownerId);
        return;
    }
  }
}

const stale = (id: number) =>
  new AppError('VERSION_CONFLICT', `Risk case ${id} was changed by someone else; reload and try again.`, {
    caseId: id,
  });

/** A refusal as the person who asked reads it on the row. */
function explain(actor: Actor, action: BulkCaseInput['action'], error: AppError): string {
  if (error.code === 'VERSION_CONFLICT') return 'Changed by someone else since you loaded the list.';
  if (error.code === 'RISK_CASE_NOT_FOUND') return 'This case no longer exists.';
  if (error.code !== 'FORBIDDEN' || error.details?.field === 'ownerId') return error.message;
  if (action === 'assign_owner' && actor.role === 'csm')
    return 'Only a team lead or an admin can give an account to someone.';
  if (actor.role === 'csm') return "You may not change a colleague's case.";
  if (actor.role === 'lead') return "This case is in another team's book.";
  return error.message;
}

// Post-completion and digital actions on a risk case (set stage, add or remove a reason, close).
// Each is idempotent: applied twice (after a crash, or a retried request) it changes nothing the
// second time, so neither the case nor its audit trail shows a duplicate.
import { AppError } from '../domain/errors';
import { describeAction, type PlayAction } from '../domain/playbook';
import type { Actor } from '../domain/policy';
import { PlayRepository } from '../store/play.repository';
import type { ServiceContext } from './context';
import type { RiskCaseService } from './risk-cases';
import type { RiskConfigService } from './risk-config';

export interface ActionResult {
  action: PlayAction;
  description: string;
  /** `applied`, or why nothing changed. */
  result: 'applied' | 'already_done' | 'no_open_case' | 'last_reason_kept' | 'stage_retired';
  caseId: number | null;
}

export class CaseActions {
  constructor(
    private readonly context: ServiceContext,
    private readonly riskCases: RiskCaseService,
    private readonly config: RiskConfigService,
  ) {}

  /** Applies an action to the case (if still open) or else the account's open case. */
  async apply(
    actor: Actor,
    accountId: number,
    caseId: number | null,
    action: PlayAction,
  ): Promise<ActionResult> {
    const outcome = (result: ActionResult['result'], id: number | null): ActionResult => ({
      action,
      description: describeAction(action),
      result,
      caseId: id,
    });
    let target = caseId === null ? null : await this.riskCases.get(caseId).catch(() => null);
    if (target === null || target.status !== 'open') {
      const open = (await new PlayRepository(this.context.store.db).openCases([accountId])).get(accountId);
      // A closed case is left closed unless the action is the close it already has.
      if (open === undefined) {
        if (target && action.kind === 'close' && target.outcome === action.outcome)
          return outcome('already_done', target.id);
        return outcome('no_open_case', null);
      }
      target = await this.riskCases.get(open);
    }
    const keys = target.reasons.map((reason) => reason.key);
    switch (action.kind) {
      case 'set_stage':
        if (target.stage.key === action.stage) return outcome('already_done', target.id);
        try {
          await this.riskCases.moveStage(actor, target.id, { stage: action.stage });
        } catch (error) {
          // A play written before its stage was retired: the task still completes, saying so.
          if (error instanceof AppError && error.code === 'RISK_STAGE_RETIRED')
            return outcome('stage_retired', target.id);
          throw error;
        }
        return outcome('applied', target.id);
      case 'add_reason':
        if (keys.includes(action.reason)) return outcome('already_done', target.id);
        await this.riskCases.setReasons(actor, target.id, [...keys, action.reason]);
        return outcome('applied', target.id);
      case 'remove_reason':
        if (!keys.includes(action.reason)) return outcome('already_done', target.id);
        if (keys.length === 1) return outcome('last_reason_kept', target.id);
        await this.riskCases.setReasons(
          actor,
          target.id,
          keys.filter((key) => key !== action.reason),
        );
        return outcome('applied', target.id);
      case 'close': {
        const stage = (await this.config.listStages()).find(
          (candidate) => candidate.active && candidate.isEnd && candidate.outcome === action.outcome,
        );
        if (!stage)
          throw new AppError(
            'RISK_STAGE_NOT_FOUND',
            `No end stage in use closes a case as ${action.outcome}: put one in use in Settings → Stages.`,
            { outcome: action.outcome },
          );
        await this.riskCases.moveStage(actor, target.id, { stage: stage.key });
        return outcome('applied', target.id);
      }
    }
  }
}

/** The actor a play acts as when no person is involved. */
export function playActor(playKey: string): Actor {
  return { userId: null, role: 'admin', teamId: null, label: `play:${playKey}` };
}

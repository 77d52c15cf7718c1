// The risk case lifecycle: which stage a case is in, how long it has spent in each, and whether its
// clock is running. End stages (recovered / lost) stop the clock; leaving one reopens the case.
import { AppError } from './errors';

export type CaseOutcome = 'recovered' | 'lost';

export interface RiskStage {
  id: number;
  key: string;
  name: string;
  position: number;
  isEnd: boolean;
  outcome: CaseOutcome | null;
  active: boolean;
}

/** One row of a case's stage history: the case entered `toStageId` at `at`. */
export interface StageTransition {
  fromStageId: number | null;
  toStageId: number;
  at: Date;
  byUserId: number | null;
}

export interface StageTime {
  stageId: number;
  key: string;
  name: string;
  isEnd: boolean;
  totalMs: number;
  visits: number;
  current: boolean;
}

export interface CaseClock {
  currentStageId: number;
  stageEnteredAt: Date;
  timeInCurrentStageMs: number;
  /** Time spent in non-end stages: the clock that stops when the case closes. */
  totalOpenMs: number;
  isOpen: boolean;
  closedAt: Date | null;
  outcome: CaseOutcome | null;
  stageTimes: StageTime[];
}

/** Computes the case clock from its stage history (oldest first) at `now`. */
export function caseClock(
  history: readonly StageTransition[],
  stages: readonly RiskStage[],
  now: Date,
): CaseClock {
  const first = history[0];
  if (!first) throw new Error('a risk case has at least one stage transition');
  const byId = new Map(stages.map((stage) => [stage.id, stage]));
  const stageOf = (id: number): RiskStage => {
    const stage = byId.get(id);
    if (!stage) throw new Error(`stage ${id} is not in the stage catalog`);
    return stage;
  };

  const totals = new Map<number, { totalMs: number; visits: number }>();
  let totalOpenMs = 0;
  history.forEach((transition, index) => {
    const next = history[index + 1];
    const end = next ? next.at : now;
    const duration = Math.max(0, end.getTime() - transition.at.getTime());
    const entry = totals.get(transition.toStageId) ?? { totalMs: 0, visits: 0 };
    entry.totalMs += duration;
    entry.visits += 1;
    totals.set(transition.toStageId, entry);
    if (!stageOf(transition.toStageId).isEnd) totalOpenMs += duration;
  });

  const last = history[history.length - 1] ?? first;
  const current = stageOf(last.toStageId);
  const stageTimes = [...totals.entries()]
    .map(([stageId, { totalMs, visits }]) => {
      const stage = stageOf(stageId);
      return {
        stageId,
        key: stage.key,
        name: stage.name,
        isEnd: stage.isEnd,
        totalMs,
        visits,
        current: stageId === current.id,
      };
    })
    .sort((a, b) => stageOf(a.stageId).position - stageOf(b.stageId).position);

  return {
    currentStageId: current.id,
    stageEnteredAt: last.at,
    timeInCurrentStageMs: Math.max(0, now.getTime() - last.at.getTime()),
    totalOpenMs,
    isOpen: !current.isEnd,
    closedAt: current.isEnd ? last.at : null,
    outcome: current.isEnd ? current.outcome : null,
    stageTimes,
  };
}

export type StageMove =
  | { kind: 'advance' }
  | { kind: 'close'; outcome: CaseOutcome }
  | { kind: 'reopen' }
  | { kind: 'reclose'; outcome: CaseOutcome };

/** Decides what moving a case from one stage to another means; rejects a move to the same stage. */
export function planStageMove(from: RiskStage, to: RiskStage): StageMove {
  if (from.id === to.id) {
    throw new AppError('RISK_CASE_SAME_STAGE', `The case is already in stage "${to.name}".`, {
      stage: to.key,
    });
  }
  if (to.isEnd) {
    const outcome = to.outcome ?? 'lost';
    return from.isEnd ? { kind: 'reclose', outcome } : { kind: 'close', outcome };
  }
  return from.isEnd ? { kind: 'reopen' } : { kind: 'advance' };
}

/** The stage a new case starts in: the first active non-end stage by position. */
export function initialStage(stages: readonly RiskStage[]): RiskStage {
  const first = [...stages]
    .filter((stage) => stage.active && !stage.isEnd)
    .sort((a, b) => a.position - b.position)[0];
  if (!first) throw new AppError('RISK_STAGE_NOT_FOUND', 'No active open stage is configured.');
  return first;
}

export const DAY_MS = 86_400_000;

/** Whole and fractional days in a duration, for display and sorting. */
export function msToDays(ms: number): number {
  return Math.round((ms / DAY_MS) * 10) / 10;
}

/**
 * Refuses a stage order in which a closed (end) stage comes before an open one: cases move
 * through the open stages and end in a closed one, and every list of stages reads that way.
 */
export function checkStageOrder(ordered: readonly Pick<RiskStage, 'key' | 'name' | 'isEnd'>[]): void {
  const firstEnd = ordered.findIndex((stage) => stage.isEnd);
  if (firstEnd === -1) return;
  const lateOpen = ordered.slice(firstEnd).find((stage) => !stage.isEnd);
  if (lateOpen) {
    throw new AppError(
      'RISK_STAGE_ORDER_INVALID',
      `The closed stages come last: "${lateOpen.name}" cannot follow "${ordered[firstEnd]?.name ?? ''}".`,
      { stage: lateOpen.key },
    );
  }
}

/** Where a new stage goes when no position is given: an open one after the open stages, a closed one last. */
export function newStageIndex(ordered: readonly Pick<RiskStage, 'isEnd'>[], isEnd: boolean): number {
  if (isEnd) return ordered.length;
  const firstEnd = ordered.findIndex((stage) => stage.isEnd);
  return firstEnd === -1 ? ordered.length : firstEnd;
}

/** The gap between stored stage positions, so a stage can later be put between two without renumbering. */
export const STAGE_POSITION_STEP = 10;

/**
 * Which kind of stage the process would be left without, in use: cases need an open stage to
 * start in and an end stage to close in. Null when both are there.
 */
export function missingActiveStage(stages: readonly RiskStage[]): 'open' | 'end' | null {
  if (!stages.some((stage) => stage.active && !stage.isEnd)) return 'open';
  if (!stages.some((stage) => stage.active && stage.isEnd)) return 'end';
  return null;
}

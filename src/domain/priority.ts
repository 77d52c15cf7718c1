// Worklist priority: which open risk deserves attention first. A 0-100 score that weighs ARR at risk
// and lifetime value on a log scale (a $200k account is not 100x a $2k one in urgency) and time in
// stage on a linear scale capped at the point where a case is plainly stuck.
import { DAY_MS } from './risk-lifecycle';

export interface PriorityWeights {
  arrAtRisk: number;
  ltv: number;
  timeInStage: number;
}

export interface PriorityInput {
  arrAtRisk: number;
  ltv: number;
  timeInStageMs: number;
}

/** The scales of the three parts; the store's worklist query computes the same formula in SQL. */
export const PRIORITY_SCALES = {
  arr: Math.log10(1 + 1_000_000),
  ltv: Math.log10(1 + 5_000_000),
  stuckAfterDays: 60,
} as const;
const { arr: ARR_SCALE, ltv: LTV_SCALE, stuckAfterDays: STUCK_AFTER_DAYS } = PRIORITY_SCALES;

/** The priority of an open case, 0 (least urgent) to 100 (most). */
export function casePriority(input: PriorityInput, weights: PriorityWeights): number {
  const arr = Math.min(1, Math.log10(1 + Math.max(0, input.arrAtRisk)) / ARR_SCALE);
  const ltv = Math.min(1, Math.log10(1 + Math.max(0, input.ltv)) / LTV_SCALE);
  const time = Math.min(1, input.timeInStageMs / DAY_MS / STUCK_AFTER_DAYS);
  const total = weights.arrAtRisk + weights.ltv + weights.timeInStage;
  if (total <= 0) return 0;
  const score = (weights.arrAtRisk * arr + weights.ltv * ltv + weights.timeInStage * time) / total;
  return Math.round(score * 1000) / 10;
}

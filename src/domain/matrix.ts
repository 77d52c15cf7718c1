// The At-Risk Matrix (expected/unexpected x avoidable/unavoidable), lifetime value, and the decision
// whether a risk deserves CSM time or goes to the digital (no-human) track.

export type MatrixQuadrant =
  | 'expected_avoidable'
  | 'expected_unavoidable'
  | 'unexpected_avoidable'
  | 'unexpected_unavoidable'
  | 'unplaced';

export type CaseTrack = 'human' | 'digital';

export const QUADRANTS: readonly MatrixQuadrant[] = [
  'expected_avoidable',
  'expected_unavoidable',
  'unexpected_avoidable',
  'unexpected_unavoidable',
  'unplaced',
];

/** The matrix cell of a case; `unplaced` until both axes are answered. */
export function quadrantOf(expected: boolean | null, avoidable: boolean | null): MatrixQuadrant {
  if (expected === null || avoidable === null) return 'unplaced';
  return `${expected ? 'expected' : 'unexpected'}_${avoidable ? 'avoidable' : 'unavoidable'}`;
}

/** Lifetime value from ARR and the expected remaining customer lifetime in years. */
export function deriveLtv(arr: number, expectedLifetimeYears: number): number {
  return Math.round(arr * expectedLifetimeYears * 100) / 100;
}

export interface TrackInput {
  expected: boolean | null;
  avoidable: boolean | null;
  ltv: number;
}

export interface TrackDecision {
  track: CaseTrack;
  reasons: string[];
}

/** Expected-and-unavoidable risks and low-LTV risks go digital; everything else gets a CSM. */
export function decideTrack(input: TrackInput, digitalLtvThreshold: number): TrackDecision {
  const reasons: string[] = [];
  if (input.expected === true && input.avoidable === false) reasons.push('expected and unavoidable');
  if (input.ltv < digitalLtvThreshold)
    reasons.push(`LTV ${input.ltv} under threshold ${digitalLtvThreshold}`);
  return { track: reasons.length > 0 ? 'digital' : 'human', reasons };
}

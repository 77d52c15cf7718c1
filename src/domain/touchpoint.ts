// Touchpoints a CSM logs by hand: a meeting, call or message with the customer, and why it happened.
// A touchpoint whose reason is "Risk" counts as a risk touchpoint for scoring and detection, and a
// play can start on it.
import type { SignalData } from './signals';

/** How the CSM reached the customer, as the touchpoint signal stores it. */
export const TOUCHPOINT_CHANNELS = [
  'meeting',
  'call',
  'email',
  'chat',
  'other',
] as const satisfies readonly SignalData['touchpoint']['channel'][];

/** Why the touchpoint happened: the reasons a CSM picks from. */
export const TOUCHPOINT_REASONS = [
  'Check-in',
  'Risk',
  'Renewal',
  'Onboarding',
  'Expansion',
  'Support',
  'Other',
] as const;

export const TOUCHPOINT_OUTCOMES = [
  'positive',
  'neutral',
  'negative',
] as const satisfies readonly NonNullable<SignalData['touchpoint']['outcome']>[];

export interface TouchpointInput {
  /** When it happened (ISO-8601); now when left out. */
  occurredAt?: string;
  channel: (typeof TOUCHPOINT_CHANNELS)[number];
  reason: (typeof TOUCHPOINT_REASONS)[number];
  outcome?: (typeof TOUCHPOINT_OUTCOMES)[number];
  note?: string;
}

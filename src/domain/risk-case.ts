// A risk case as stored: one account's risk, worked from At Risk to a recovered or lost close.
import { z } from 'zod';
import type { CaseTrack } from './matrix';
import type { CaseOutcome } from './risk-lifecycle';

export type CaseSource = 'manual' | 'rule';

export interface RiskCaseRecord {
  id: number;
  accountId: number;
  stageId: number;
  stageEnteredAt: string;
  openMsBeforeStage: number;
  openedAt: string;
  openedByUserId: number | null;
  source: CaseSource;
  expected: boolean | null;
  avoidable: boolean | null;
  arrAtRisk: number;
  ltv: number;
  ltvGiven: boolean;
  track: CaseTrack;
  closedAt: string | null;
  outcome: CaseOutcome | null;
  lastUpdateAt: string | null;
  createdAt: string;
  updatedAt: string;
  version: number;
}

export interface CaseAccountFacts {
  externalId: string;
  name: string;
  ownerId: number | null;
  ownerEmail: string | null;
  teamId: number | null;
  teamName: string | null;
  tier: string | null;
  arr: number;
  renewalDate: string | null;
}

export interface WeeklyUpdate {
  id: number;
  caseId: number;
  background: string;
  doneSoFar: string;
  nextSteps: string;
  authorId: number | null;
  authorEmail: string | null;
  at: string;
}

export interface CaseReason {
  key: string;
  name: string;
  addedAt: string;
}

/** What a customer says when they leave, recorded as the case closes as lost. */
export const separationSurveySchema = z
  .object({
    /** A risk reason key: the main reason they gave. */
    primaryReason: z.string().regex(/^[a-z0-9_]{1,64}$/),
    wouldReturn: z.boolean().nullable().optional(),
    /** Who they are leaving for, if anyone. */
    competitor: z.string().trim().max(200).nullable().optional(),
    comments: z.string().max(10_000).nullable().optional(),
  })
  .strict();
export type SeparationSurvey = z.infer<typeof separationSurveySchema>;

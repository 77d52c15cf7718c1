// The shapes of the API responses the web app reads (see /api/docs for the full contract).
import type { Role } from '../../../src/domain/policy';

export type { Role };

export interface User {
  id: number;
  email: string;
  name: string;
  role: Role;
  teamId: number | null;
  active: boolean;
}

export interface Session {
  user: User;
  csrfToken: string | null;
}

export interface Team {
  id: number;
  name: string;
}

export interface Page<T> {
  total: number;
  items: T[];
}

export interface Items<T> {
  items: T[];
}

export interface Stage {
  id: number;
  key: string;
  name: string;
  position: number;
  isEnd: boolean;
  outcome: 'recovered' | 'lost' | null;
  active: boolean;
}

export interface Reason {
  id: number;
  key: string;
  name: string;
  description: string | null;
  active: boolean;
}

export type Quadrant =
  | 'expected_avoidable'
  | 'expected_unavoidable'
  | 'unexpected_avoidable'
  | 'unexpected_unavoidable'
  | 'unplaced';

export interface RiskCase {
  id: number;
  accountId: number;
  account: {
    externalId: string;
    name: string;
    ownerId: number | null;
    ownerEmail: string | null;
    teamId: number | null;
    teamName: string | null;
    tier: string | null;
    arr: number;
    renewalDate: string | null;
  };
  stage: { id: number; key: string; name: string; isEnd: boolean };
  status: 'open' | 'closed';
  source: 'manual' | 'rule';
  openedAt: string;
  reasons: { key: string; name: string; addedAt: string }[];
  matrix: { expected: boolean | null; avoidable: boolean | null; quadrant: Quadrant };
  arrAtRisk: number;
  ltv: number;
  ltvSource: 'given' | 'derived';
  track: 'human' | 'digital';
  trackReasons: string[];
  priority: number;
  stageEnteredAt: string;
  timeInStageDays: number;
  totalOpenDays: number;
  closedAt: string | null;
  outcome: 'recovered' | 'lost' | null;
  lastUpdateAt: string | null;
  updateOverdue: boolean;
  version: number;
}

export interface WorklistItem extends RiskCase {
  health: { score: number; band: string } | null;
}

export interface WeeklyUpdate {
  id: number;
  background: string;
  doneSoFar: string;
  nextSteps: string;
  authorEmail: string | null;
  at: string;
}

export interface RiskCaseDetail extends RiskCase {
  stageTimes: {
    stageId: number;
    key: string;
    name: string;
    isEnd: boolean;
    visits: number;
    current: boolean;
    days: number;
  }[];
  stageHistory: { from: string | null; to: string; at: string; by: string | null; note: string | null }[];
  evidence: { id: number; ruleKey: string; reasonName: string; at: string; summary: string }[];
  updates: WeeklyUpdate[];
}

export interface AuditEntry {
  id: number;
  at: string;
  actor: string;
  entityType: string;
  entityId: string;
  accountId: number | null;
  action: string;
  changes: Record<string, unknown>;
}

export interface Account {
  id: number;
  externalId: string;
  name: string;
  ownerId: number | null;
  ownerEmail: string | null;
  teamId: number | null;
  teamName: string | null;
  tier: string | null;
  arr: number;
  renewalDate: string | null;
  lifecycleStage: string | null;
  attributes: Record<string, unknown>;
}

export interface Contact {
  id: number;
  email: string;
  name: string | null;
  role: string | null;
  isChampion: boolean;
}

export interface AccountHealth {
  current: {
    day: string;
    score: number;
    band: string;
    explanation: string[];
    factors: { key: string; name: string; pointsLost: number; text: string }[];
  } | null;
  changes: { days: number; from: number | null; change: number | null; percent: number | null }[];
  history: { day: string; score: number; band: string }[];
}

export interface Signal {
  id: number;
  kind: string;
  occurredAt: string;
  data: Record<string, unknown>;
}

export interface Task {
  id: number;
  accountId: number;
  accountName: string;
  caseId: number | null;
  caseStage: string | null;
  assigneeId: number | null;
  assigneeEmail: string | null;
  title: string;
  description: string;
  dueAt: string;
  status: 'open' | 'done' | 'cancelled';
  overdue: boolean;
  playKey: string | null;
  playName: string | null;
  completedAt: string | null;
  actions: { kind: string; stage?: string; reason?: string; outcome?: string }[];
  actionsMode: 'automatic' | 'offered' | null;
}

export interface MatrixCell {
  quadrant: Quadrant;
  cases: number;
  arrAtRisk: number;
  ltv: number;
}

export interface KpiItem {
  key: string;
  name: string;
  metric: string;
  format: 'number' | 'currency' | 'percent' | 'days' | 'trend';
  description: string | null;
  value: number | null;
  target: { comparison: 'less_than' | 'at_most' | 'more_than' | 'at_least'; value: number } | null;
  status: 'on_target' | 'off_target' | 'no_target' | 'no_data';
  series: { day: string; value: number | null }[];
  change: number | null;
}

export interface RiskTrends {
  interval: 'week' | 'month';
  measure: 'opened' | 'open';
  breakdown: string;
  periods: { key: string; start: string; end: string }[];
  reasons: string[];
  groups: string[];
  cells: { period: string; reason: string; group: string | null; cases: number }[];
}

export interface Huddle {
  teamId: number;
  teamName: string;
  since: string;
  lastHeldAt: string | null;
  csms: {
    userId: number;
    name: string;
    email: string;
    openCases: number;
    cases: { case: RiskCase; lastUpdate: WeeklyUpdate | null; changes: string[] }[];
  }[];
}

export interface Play {
  id: number;
  key: string;
  name: string;
  description: string | null;
  active: boolean;
  definitionVersion: number;
  definition: PlayDefinition;
  version: number;
}

export interface Settings {
  updateOverdueDays: number;
  digitalLtvThreshold: number;
  expectedLifetimeYears: number;
  priorityWeights: { arrAtRisk: number; ltv: number; timeInStage: number };
  detectionQuietDays: number;
  dailyRunHourUtc: number;
  sessionIdleHours: number;
}

/** One committed change, as /api/v1/events sends it. */
export interface Change {
  id: number;
  at: string;
  actor: string;
  entityType: string;
  entityId: string;
  accountId: number | null;
  action: string;
}

/** A play's definition, as /api/v1/plays takes it (the server validates it in full). */
export type PlayAction =
  | { kind: 'set_stage'; stage: string }
  | { kind: 'add_reason'; reason: string }
  | { kind: 'remove_reason'; reason: string }
  | { kind: 'close'; outcome: 'recovered' | 'lost' };

export type PlayTrigger =
  | { kind: 'case_opened'; reasons?: string[]; source?: 'rule' | 'manual' }
  | { kind: 'reason_added'; reason: string }
  | { kind: 'stage_changed'; to: string }
  | { kind: 'segment_entered'; segment: string }
  | { kind: 'segment_left'; segment: string }
  | { kind: 'signal_rule_fired'; rule: string }
  | { kind: 'touchpoint_logged'; reason: string }
  | { kind: 'schedule'; everyDays: number };

export type TaskAssignee =
  | { kind: 'account_owner' }
  | { kind: 'team_lead' }
  | { kind: 'role'; role: 'admin' | 'lead' | 'csm' }
  | { kind: 'user'; email: string };

export type PlayStep =
  | {
      kind: 'task';
      title: string;
      description: string;
      dueInDays: number;
      assignee: TaskAssignee;
      onComplete?: { mode: 'automatic' | 'offered'; actions: PlayAction[] };
      waitForCompletion: boolean;
    }
  | { kind: 'wait'; days: number }
  | { kind: 'wait_until'; condition: string; timeoutDays: number }
  | { kind: 'email'; to: 'contacts' | 'champion' | 'owner'; subject: string; body: string }
  | { kind: 'webhook'; url: string; text: string }
  | { kind: 'action'; action: PlayAction };

export interface PlayDefinition {
  trigger: PlayTrigger;
  conditions: string | null;
  steps: PlayStep[];
  holdoutPercent: number;
}

export interface Segment {
  id: number;
  key: string;
  name: string;
}

export interface DetectionRule {
  key: string;
  name: string;
  active: boolean;
}

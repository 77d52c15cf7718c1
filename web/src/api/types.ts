// The shapes of the API's answers: the very types the server's services return (type-only imports,
// nothing of the server is bundled), so the web app and the API cannot drift apart.
import type { Account, Contact } from '../../../src/domain/account';
import type { MatrixQuadrant } from '../../../src/domain/matrix';
import type { EffectivenessReport } from '../../../src/domain/play-effectiveness';
import type {
  PlayAction,
  PlayDefinitionInput,
  PlayStep,
  PlayTrigger,
  TaskAssignee,
} from '../../../src/domain/playbook';
import type { Role } from '../../../src/domain/policy';
import type { WeeklyUpdate } from '../../../src/domain/risk-case';
import type { RiskStage } from '../../../src/domain/risk-lifecycle';
import type { TrendCase } from '../../../src/domain/risk-trends';
import type { RiskReason } from '../../../src/domain/risk-reason';
import type { RetainSettings } from '../../../src/domain/settings';
import type { Team, User, UserAsSeen } from '../../../src/domain/user';
import type { AccountHealth } from '../../../src/services/health';
import type { Huddle } from '../../../src/services/huddles';
import type { KpiValue } from '../../../src/services/kpis';
import type { DryRun, PlayView } from '../../../src/services/playbooks';
import type { RiskCaseDetail, RiskCaseView, WorklistItem } from '../../../src/services/risk-cases';
import type { RiskTrends } from '../../../src/services/risk-trends';
import type { RefreshResult, SegmentMember, SegmentView } from '../../../src/services/saved-segments';
import type { TaskView } from '../../../src/services/tasks';
import type { Notification, NotificationInbox } from '../../../src/services/notifications';
import type { DetectionRule } from '../../../src/domain/detection';
import type { AuditEntry, ChangeEntry } from '../../../src/store/audit.repository';
import type { DescribedAuditEntry as CaseAuditEntry } from '../../../src/services/risk-cases';
import type { ApiToken } from '../../../src/store/user.repository';
import type { PasswordLinkSent, PasswordSet } from '../../../src/services/password-links';
import type { CreatedUser } from '../../../src/services/users';
import type { StoredSignal } from '../../../src/store/signal.repository';
import type { MembershipEvent } from '../../../src/store/saved-segment.repository';
import type { KpiCard } from '../../../src/domain/kpi';
import type { BulkRowResult } from '../../../src/services/bulk-cases';
import type { WorklistFilters, WorklistScope, WorklistView } from '../../../src/services/worklist-views';

export type {
  Account,
  BulkRowResult,
  WorklistFilters,
  WorklistScope,
  WorklistView,
  CaseAuditEntry,
  AccountHealth,
  ApiToken,
  AuditEntry,
  Contact,
  DetectionRule,
  DryRun,
  EffectivenessReport,
  Huddle,
  KpiCard,
  MembershipEvent,
  Notification,
  NotificationInbox,
  PlayAction,
  PlayStep,
  PlayTrigger,
  RiskCaseDetail,
  RiskTrends,
  Role,
  SegmentMember,
  TaskAssignee,
  Team,
  TrendCase,
  CreatedUser,
  PasswordLinkSent,
  PasswordSet,
  User,
  UserAsSeen,
  WeeklyUpdate,
  WorklistItem,
};

export type RiskCase = RiskCaseView;
export type Stage = RiskStage;
export type Reason = RiskReason;
export type Settings = RetainSettings;
export type KpiItem = KpiValue;
export type Play = PlayView;
export type Task = TaskView;
export type Signal = StoredSignal;
export type Segment = SegmentView;
export type SegmentRefresh = RefreshResult;
export type Quadrant = MatrixQuadrant;
/** A definition as the builder edits it: defaults may be left out, the API fills them in. */
export type PlayDefinition = PlayDefinitionInput;
export type PlayStepInput = PlayDefinitionInput['steps'][number];
/** One committed change, as /api/v1/events sends it. */
export type Change = ChangeEntry;

export interface Session {
  user: User;
  csrfToken: string | null;
}

export interface Page<T> {
  total: number;
  items: T[];
}

export interface Items<T> {
  items: T[];
}

export interface MatrixCell {
  quadrant: Quadrant;
  cases: number;
  arrAtRisk: number;
  ltv: number;
}

// The Reports screens: the monthly risk report, the churn analysis, backtests and fits of the score.
export type { MonthlyRiskReport, ReportCase } from '../../../src/domain/monthly-report';
export type { Bucket } from '../../../src/domain/churn-analysis';
export type { AttritionLine, ChurnAnalysis } from '../../../src/services/churn-analysis';
export type { HealthMeasure, MeasureInput, Scorecard } from '../../../src/domain/health';
export type { BacktestReport } from '../../../src/domain/churn-model/backtest';
export type { BacktestResult, FitResult } from '../../../src/services/churn-model';
export type { BandCount, BandMove, ScorecardPreview, ScoreRun } from '../../../src/services/health';

/** A row of the account list: the account with its latest score and last activity. */
export type { AccountListItem } from '../../../src/services/accounts';
export type { BacktestRun, DetectionBacktest } from '../../../src/services/detection-backtest';

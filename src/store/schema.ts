// Table shapes as the query builder sees them. Timestamps are UTC ISO-8601 strings, calendar dates
// are `YYYY-MM-DD`, booleans are 0/1 integers and JSON is text: the same on SQLite and PostgreSQL.
import type { ColumnType, Generated, Insertable, Selectable } from 'kysely';

type Id = Generated<number>;
type Flag = number;
/** A column with a database default: optional on insert. */
type Defaulted<T> = ColumnType<T, T | undefined, T>;

export interface TeamTable {
  id: Id;
  name: string;
  created_at: string;
}

export interface UserTable {
  id: Id;
  email: string;
  name: string;
  role: string;
  team_id: number | null;
  password_hash: string | null;
  active: Defaulted<Flag>;
  created_at: string;
  updated_at: string;
  last_login_at: string | null;
  /** When an admin last sent a password reset that the user has not yet used; null otherwise. */
  password_reset_at: Generated<string | null>;
}

/** A set-password link: an invitation or a reset, used once, until it expires. */
export interface PasswordLinkTable {
  id: Id;
  user_id: number;
  /** `invitation` or `reset`. */
  purpose: string;
  token_hash: string;
  created_at: string;
  expires_at: string;
  used_at: string | null;
}

export interface SessionTable {
  id_hash: string;
  user_id: number;
  csrf_token: string;
  created_at: string;
  last_seen_at: string;
  expires_at: string;
}

export interface ApiTokenTable {
  id: Id;
  user_id: number;
  name: string;
  token_hash: string;
  scope: string;
  created_at: string;
  last_used_at: string | null;
  revoked_at: string | null;
}

/** A login token bucket; `tat_ms` is its theoretical arrival time in epoch milliseconds. */
export interface LoginThrottleTable {
  kind: string;
  key: string;
  tat_ms: number;
  noted_until_ms: number | null;
}

/** A client (an address, or the hash of a device cookie) that logged in to a user before. */
export interface LoginTrustedClientTable {
  user_id: number;
  kind: string;
  key: string;
  trusted_until_ms: number;
}

export interface AccountTable {
  id: Id;
  external_id: string;
  name: string;
  owner_id: number | null;
  team_id: number | null;
  tier: string | null;
  arr: Defaulted<number>;
  renewal_date: string | null;
  lifecycle_stage: string | null;
  attributes: Defaulted<string>;
  created_at: string;
  updated_at: string;
  version: ColumnType<number, number | undefined, number>;
}

export interface ContactTable {
  id: Id;
  account_id: number;
  email: string;
  name: string | null;
  role: string | null;
  is_champion: Defaulted<Flag>;
  attributes: Defaulted<string>;
  created_at: string;
  updated_at: string;
}

export interface RiskStageTable {
  id: Id;
  key: string;
  name: string;
  position: number;
  is_end: Flag;
  outcome: string | null;
  active: Flag;
}

export interface RiskReasonTable {
  id: Id;
  key: string;
  name: string;
  description: string | null;
  position: number;
  active: Flag;
}

export interface RiskCaseTable {
  id: Id;
  account_id: number;
  stage_id: number;
  stage_entered_at: string;
  /** Open-clock time accumulated before the current stage was entered. */
  open_ms_before_stage: Defaulted<number>;
  opened_at: string;
  opened_by_user_id: number | null;
  source: string;
  expected: Flag | null;
  avoidable: Flag | null;
  arr_at_risk: number;
  ltv: number;
  ltv_given: Flag;
  track: string;
  closed_at: string | null;
  outcome: string | null;
  last_update_at: string | null;
  created_at: string;
  updated_at: string;
  version: ColumnType<number, number | undefined, number>;
}

export interface RiskCaseReasonTable {
  case_id: number;
  reason_id: number;
  added_at: string;
  added_by_user_id: number | null;
}

export interface RiskStageHistoryTable {
  id: Id;
  case_id: number;
  from_stage_id: number | null;
  to_stage_id: number;
  at: string;
  by_user_id: number | null;
  note: string | null;
}

export interface RiskUpdateTable {
  id: Id;
  case_id: number;
  background: string;
  done_so_far: string;
  next_steps: string;
  author_id: number | null;
  at: string;
}

export interface AuditLogTable {
  id: Id;
  at: string;
  actor_id: number | null;
  actor_label: string;
  entity_type: string;
  entity_id: string;
  account_id: number | null;
  action: string;
  changes: string;
}

export interface SettingTable {
  key: string;
  value: string;
  updated_at: string;
}

export interface SignalTable {
  id: Id;
  account_id: number;
  kind: string;
  occurred_at: string;
  received_at: string;
  idempotency_key: string | null;
  value: number | null;
  data: string;
  source: string;
}

export interface DailyRollupTable {
  account_id: number;
  metric: string;
  day: string;
  value: number;
  samples: number;
  last_at: string;
}

export interface DueItemTable {
  account_id: number;
  kind: string;
  key: string;
  due_date: string;
  done_date: string | null;
  amount: number | null;
  updated_at: string;
}

export interface HealthScoreTable {
  account_id: number;
  day: string;
  score: number;
  band: string;
  components: string;
  missing: string;
  computed_at: string;
}

export interface CsmSentimentTable {
  id: Id;
  account_id: number;
  sentiment: string;
  note: string | null;
  user_id: number | null;
  at: string;
}

export interface RuleStateTable {
  account_id: number;
  rule_key: string;
  active: Flag;
  fired_at: string | null;
  cleared_at: string | null;
  last_value: number | null;
  holding_since: string | null;
  updated_at: string;
}

export interface RiskCaseEvidenceTable {
  id: Id;
  case_id: number;
  rule_key: string;
  reason_id: number;
  at: string;
  summary: string;
  details: string;
}

/** A Segment identity: `user:<userId>` or `anon:<anonymousId>`. */
export interface SegmentUserTable {
  key: string;
  account_id: number | null;
  /** The identity this one stands for (an alias's new id, an anonymous visitor's user). */
  alias_of: string | null;
  /** JSON of the contact an identify call described, kept until the user's account is known. */
  contact: string | null;
  /** The account (external id) an identify call named before that account existed. */
  group_id: string | null;
  updated_at: string;
}

export interface ImportMappingTable {
  id: Id;
  /** `accounts`, `contacts` or `signals`. */
  kind: string;
  name: string;
  /** JSON object: header -> field, `attribute`, `attribute:<name>` or `ignore`. */
  columns: string;
  locale: string | null;
  encoding: string | null;
  updated_by: string | null;
  created_at: string;
  updated_at: string;
  version: ColumnType<number, number | undefined, number>;
}

export interface WorklistViewTable {
  id: Id;
  user_id: number;
  /** The team it is shared with, or null for its owner only. */
  team_id: number | null;
  name: string;
  /** `mine`, `team` or `all`, read for whoever opens the view. */
  scope: string;
  /** JSON object of the worklist's filters. */
  filters: string;
  sort: string;
  sort_order: string | null;
  created_at: string;
  updated_at: string;
}

export interface EmailSuppressionTable {
  email: string;
  /** How the address asked: `one_click` (the mail client's button) or `page` (the unsubscribe page). */
  source: string;
  created_at: string;
}

export interface ServerSecretTable {
  name: string;
  value: string;
  created_at: string;
}

export interface IngestRejectionTable {
  id: Id;
  source: string;
  received_at: string;
  message_id: string | null;
  message_type: string | null;
  field: string;
  message: string;
  /** The start of the refused message as JSON. */
  excerpt: string;
}

export interface SavedSegmentTable {
  id: Id;
  key: string;
  name: string;
  description: string | null;
  filter: string;
  created_by_user_id: number | null;
  member_count: Defaulted<number>;
  refreshed_at: string | null;
  created_at: string;
  updated_at: string;
  version: ColumnType<number, number | undefined, number>;
}

export interface SegmentMemberTable {
  segment_id: number;
  account_id: number;
  entered_at: string;
}

export interface SegmentMembershipEventTable {
  id: Id;
  segment_id: number;
  account_id: number;
  /** `entered` or `left`. */
  kind: string;
  at: string;
}

export interface KpiSnapshotTable {
  card_key: string;
  /** 0 for the whole book. */
  team_id: number;
  day: string;
  value: number | null;
  taken_at: string;
  /** 1 when derived afterwards from case history rather than recorded on the day. */
  backfilled: Defaulted<Flag>;
}

export interface HuddleTable {
  id: Id;
  team_id: number | null;
  held_at: string;
  held_by_user_id: number | null;
}

export interface SeparationSurveyTable {
  case_id: number;
  primary_reason: string;
  would_return: Flag | null;
  competitor: string | null;
  comments: string | null;
  recorded_at: string;
  recorded_by_user_id: number | null;
}

export interface PlayTable {
  id: Id;
  key: string;
  name: string;
  description: string | null;
  active: Defaulted<Flag>;
  current_version: number;
  last_schedule_period: number | null;
  created_at: string;
  updated_at: string;
  version: ColumnType<number, number | undefined, number>;
}

export interface PlayVersionTable {
  play_id: number;
  version: number;
  /** The play's definition (trigger, conditions, steps, holdout) as JSON. */
  definition: string;
  created_at: string;
  created_by_user_id: number | null;
}

export interface PlayEventTable {
  id: Id;
  kind: string;
  account_id: number;
  payload: string;
  at: string;
  processed_at: string | null;
}

export interface PlayRunTable {
  id: Id;
  play_id: number;
  play_version: number;
  account_id: number;
  case_id: number | null;
  trigger_key: string;
  /** `treated` or `holdout`. */
  cohort: string;
  status: string;
  step_index: Defaulted<number>;
  /** When the current step began (a `wait_until` times out from here). */
  step_started_at: string | null;
  wake_at: string | null;
  lease_until: string | null;
  lease_owner: string | null;
  attempts: Defaulted<number>;
  last_error: string | null;
  health_at_start: number | null;
  started_at: string;
  finished_at: string | null;
}

export interface PlayStepLogTable {
  run_id: number;
  step_index: number;
  kind: string;
  at: string;
  result: string;
}

export interface TaskTable {
  id: Id;
  run_id: number | null;
  step_index: number | null;
  account_id: number;
  case_id: number | null;
  assignee_id: number | null;
  title: string;
  description: string;
  due_at: string;
  /** `open`, `done` or `cancelled`. */
  status: string;
  actions: string;
  actions_mode: string | null;
  applied: string | null;
  note: string | null;
  created_at: string;
  completed_at: string | null;
  completed_by_user_id: number | null;
}

/** One entry in a user's inbox; `dedupe_key` names the event, once per user. */
export interface NotificationTable {
  id: Id;
  user_id: number;
  /** `case_opened`, `update_overdue`, `task_assigned` or `play_needs_you`. */
  kind: string;
  dedupe_key: string;
  title: string;
  summary: string;
  account_id: number | null;
  case_id: number | null;
  task_id: number | null;
  created_at: string;
  read_at: string | null;
}

export interface OutboxMessageTable {
  id: Id;
  key: string;
  /** `email` or `webhook`. */
  kind: string;
  run_id: number | null;
  account_id: number;
  payload: string;
  /** `pending`, `sending`, `sent`, `failed`, `unconfirmed` or `undeliverable`. */
  status: string;
  attempts: Defaulted<number>;
  next_attempt_at: string;
  lease_until: string | null;
  sent_at: string | null;
  last_error: string | null;
  created_at: string;
}

export interface Database {
  teams: TeamTable;
  users: UserTable;
  sessions: SessionTable;
  password_links: PasswordLinkTable;
  api_tokens: ApiTokenTable;
  login_throttle: LoginThrottleTable;
  login_trusted_clients: LoginTrustedClientTable;
  accounts: AccountTable;
  contacts: ContactTable;
  risk_stages: RiskStageTable;
  risk_reasons: RiskReasonTable;
  risk_cases: RiskCaseTable;
  risk_case_reasons: RiskCaseReasonTable;
  risk_stage_history: RiskStageHistoryTable;
  risk_updates: RiskUpdateTable;
  audit_log: AuditLogTable;
  settings: SettingTable;
  signals: SignalTable;
  daily_rollups: DailyRollupTable;
  due_items: DueItemTable;
  health_scores: HealthScoreTable;
  csm_sentiments: CsmSentimentTable;
  rule_states: RuleStateTable;
  risk_case_evidence: RiskCaseEvidenceTable;
  segment_users: SegmentUserTable;
  ingest_rejections: IngestRejectionTable;
  email_suppressions: EmailSuppressionTable;
  import_mappings: ImportMappingTable;
  worklist_views: WorklistViewTable;
  server_secrets: ServerSecretTable;
  saved_segments: SavedSegmentTable;
  segment_members: SegmentMemberTable;
  segment_membership_events: SegmentMembershipEventTable;
  kpi_snapshots: KpiSnapshotTable;
  huddles: HuddleTable;
  separation_surveys: SeparationSurveyTable;
  plays: PlayTable;
  play_versions: PlayVersionTable;
  play_events: PlayEventTable;
  play_runs: PlayRunTable;
  play_step_log: PlayStepLogTable;
  tasks: TaskTable;
  outbox_messages: OutboxMessageTable;
  notifications: NotificationTable;
}

export type AccountRow = Selectable<AccountTable>;
export type NewAccountRow = Insertable<AccountTable>;
export type ContactRow = Selectable<ContactTable>;
export type UserRow = Selectable<UserTable>;
export type RiskCaseRow = Selectable<RiskCaseTable>;
export type AuditRow = Insertable<AuditLogTable>;

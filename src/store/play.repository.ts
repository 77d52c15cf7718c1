// Plays, their versions, the events they start on, runs (the runner's durable queue), tasks and the
// outbox of messages. Claims are conditional updates, so any number of workers can share one store.
import type { Kysely } from 'kysely';
import type { PlayEvent, PlayTrigger, RunStatus } from '../domain/playbook';
import type { Filter } from '../domain/segment-filter';
import { parseJsonObject } from './json';
import { filterCondition, type FilterContext } from './segment-query';
import type { Database } from './schema';

const CHUNK = 500;

export interface PlayRecord {
  id: number;
  key: string;
  name: string;
  description: string | null;
  active: boolean;
  currentVersion: number;
  /** The current version's definition, as stored JSON. */
  definition: string;
  lastSchedulePeriod: number | null;
  createdAt: string;
  updatedAt: string;
  version: number;
}

export interface StoredEvent {
  id: number;
  event: PlayEvent;
  at: string;
}

export interface RunRecord {
  id: number;
  playId: number;
  playVersion: number;
  accountId: number;
  caseId: number | null;
  triggerKey: string;
  cohort: 'treated' | 'holdout';
  status: RunStatus;
  stepIndex: number;
  stepStartedAt: string | null;
  wakeAt: string | null;
  attempts: number;
  lastError: string | null;
  healthAtStart: number | null;
  startedAt: string;
  finishedAt: string | null;
}

export interface NewRun {
  playId: number;
  playVersion: number;
  accountId: number;
  caseId: number | null;
  triggerKey: string;
  cohort: 'treated' | 'holdout';
  status: RunStatus;
  healthAtStart: number | null;
}

export interface RunChanges {
  status?: RunStatus;
  stepIndex?: number;
  stepStartedAt?: string | null;
  wakeAt?: string | null;
  lastError?: string | null;
  finishedAt?: string | null;
  caseId?: number | null;
}

export interface NewTask {
  runId: number | null;
  stepIndex: number | null;
  accountId: number;
  caseId: number | null;
  assigneeId: number | null;
  title: string;
  description: string;
  dueAt: string;
  actions: unknown[];
  actionsMode: 'automatic' | 'offered' | null;
}

export interface TaskRecord {
  id: number;
  runId: number | null;
  stepIndex: number | null;
  playKey: string | null;
  playName: string | null;
  accountId: number;
  accountExternalId: string;
  accountName: string;
  /** Who owns the task's account and their team: who besides the assignee may complete it. */
  accountOwnerId: number | null;
  accountTeamId: number | null;
  caseId: number | null;
  caseStage: string | null;
  assigneeId: number | null;
  assigneeEmail: string | null;
  title: string;
  description: string;
  dueAt: string;
  status: 'open' | 'done' | 'cancelled';
  actions: unknown[];
  actionsMode: 'automatic' | 'offered' | null;
  applied: unknown[] | null;
  note: string | null;
  createdAt: string;
  completedAt: string | null;
}

export interface OutboxRecord {
  id: number;
  key: string;
  kind: 'email' | 'webhook';
  runId: number | null;
  accountId: number;
  payload: Record<string, unknown>;
  status: string;
  attempts: number;
  sentAt: string | null;
  lastError: string | null;
  createdAt: string;
}

export class PlayRepository {
  constructor(private readonly db: Kysely<Database>) {}

  // --- plays ------------------------------------------------------------------------------

  private playQuery() {
    return this.db
      .selectFrom('plays as p')
      .innerJoin('play_versions as v', (join) =>
        join.onRef('v.play_id', '=', 'p.id').onRef('v.version', '=', 'p.current_version'),
      )
      .select([
        'p.id',
        'p.key',
        'p.name',
        'p.description',
        'p.active',
        'p.current_version',
        'p.last_schedule_period',
        'p.created_at',
        'p.updated_at',
        'p.version',
        'v.definition',
      ]);
  }

  async list(options: { activeOnly?: boolean } = {}): Promise<PlayRecord[]> {
    let query = this.playQuery();
    if (options.activeOnly) query = query.where('p.active', '=', 1);
    return (await query.orderBy('p.name').execute()).map(toPlay);
  }

  async find(id: number): Promise<PlayRecord | undefined> {
    const row = await this.playQuery().where('p.id', '=', id).executeTakeFirst();
    return row && toPlay(row);
  }

  async findByKey(key: string): Promise<PlayRecord | undefined> {
    const row = await this.playQuery().where('p.key', '=', key).executeTakeFirst();
    return row && toPlay(row);
  }

  /** The definition a run started on. */
  async definitionAt(playId: number, version: number): Promise<string | undefined> {
    const row = await this.db
      .selectFrom('play_versions')
      .select('definition')
      .where('play_id', '=', playId)
      .where('version', '=', version)
      .executeTakeFirst();
    return row?.definition;
  }

  async versions(playId: number): Promise<{ version: number; definition: string; createdAt: string }[]> {
    const rows = await this.db
      .selectFrom('play_versions')
      .select(['version', 'definition', 'created_at'])
      .where('play_id', '=', playId)
      .orderBy('version', 'desc')
      .execute();
    return rows.map((row) => ({
      version: row.version,
      definition: row.definition,
      createdAt: row.created_at,
    }));
  }

  async insert(
    fields: { key: string; name: string; description: string | null; definition: string },
    userId: number | null,
    now: Date,
  ): Promise<number> {
    const at = now.toISOString();
    const { id } = await this.db
      .insertInto('plays')
      .values({
        key: fields.key,
        name: fields.name,
        description: fields.description,
        active: 0,
        current_version: 1,
        last_schedule_period: null,
        created_at: at,
        updated_at: at,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    await this.db
      .insertInto('play_versions')
      .values({
        play_id: id,
        version: 1,
        definition: fields.definition,
        created_at: at,
        created_by_user_id: userId,
      })
      .execute();
    return id;
  }

  /**
   * Changes name, description, activation and (as a new version) the definition, if `expectedVersion`
   * still holds; false when someone else changed the play first.
   */
  async update(
    id: number,
    changes: { name?: string; description?: string | null; active?: boolean; definition?: string },
    expectedVersion: number | undefined,
    userId: number | null,
    now: Date,
  ): Promise<boolean> {
    const current = await this.find(id);
    if (!current) return false;
    const at = now.toISOString();
    const newVersion =
      changes.definition !== undefined && changes.definition !== current.definition
        ? current.currentVersion + 1
        : current.currentVersion;
    let query = this.db
      .updateTable('plays')
      .set({
        ...(changes.name !== undefined && { name: changes.name }),
        ...(changes.description !== undefined && { description: changes.description }),
        ...(changes.active !== undefined && { active: changes.active ? 1 : 0 }),
        current_version: newVersion,
        updated_at: at,
        version: current.version + 1,
      })
      .where('id', '=', id)
      .where('version', '=', current.version);
    if (expectedVersion !== undefined) query = query.where('version', '=', expectedVersion);
    const result = await query.executeTakeFirst();
    if (Number(result.numUpdatedRows) !== 1) return false;
    if (newVersion !== current.currentVersion && changes.definition !== undefined) {
      await this.db
        .insertInto('play_versions')
        .values({
          play_id: id,
          version: newVersion,
          definition: changes.definition,
          created_at: at,
          created_by_user_id: userId,
        })
        .execute();
    }
    return true;
  }

  /** Claims a schedule period for a play; true for exactly one caller per period. */
  async claimSchedulePeriod(playId: number, period: number): Promise<boolean> {
    const result = await this.db
      .updateTable('plays')
      .set({ last_schedule_period: period })
      .where('id', '=', playId)
      .where((eb) => eb.or([eb('last_schedule_period', 'is', null), eb('last_schedule_period', '<', period)]))
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  // --- who a play applies to ---------------------------------------------------------------

  /** Of the given accounts (or all, when `accountIds` is null), those matching the filter. */
  async accountsMatching(
    filter: Filter,
    context: FilterContext,
    accountIds: readonly number[] | null,
  ): Promise<number[]> {
    const base = this.db.selectFrom('accounts').select('accounts.id').where(filterCondition(filter, context));
    if (accountIds === null) return (await base.orderBy('accounts.id').execute()).map((row) => row.id);
    const found: number[] = [];
    for (let start = 0; start < accountIds.length; start += CHUNK) {
      const rows = await base.where('accounts.id', 'in', accountIds.slice(start, start + CHUNK)).execute();
      found.push(...rows.map((row) => row.id));
    }
    return found;
  }

  /** Each account's open case, if it has one. */
  async openCases(accountIds: readonly number[]): Promise<Map<number, number>> {
    const found = new Map<number, number>();
    for (let start = 0; start < accountIds.length; start += CHUNK) {
      const rows = await this.db
        .selectFrom('risk_cases')
        .select(['id', 'account_id'])
        .where('account_id', 'in', accountIds.slice(start, start + CHUNK))
        .where('closed_at', 'is', null)
        .execute();
      for (const row of rows) found.set(row.account_id, row.id);
    }
    return found;
  }

  /**
   * Accounts in the state a trigger reacts to right now (an open case with the reason, in the
   * segment, with the rule active ...): who a dry run says would enter the play.
   */
  async triggerPopulation(trigger: PlayTrigger, now: Date): Promise<number[]> {
    const since = new Date(now.getTime() - 30 * 86_400_000).toISOString();
    const openCases = this.db.selectFrom('risk_cases as c').where('c.closed_at', 'is', null);
    switch (trigger.kind) {
      case 'case_opened': {
        let query = openCases.select('c.account_id');
        if (trigger.source) query = query.where('c.source', '=', trigger.source);
        if (trigger.reasons && trigger.reasons.length > 0)
          query = query.where('c.id', 'in', (eb) =>
            eb
              .selectFrom('risk_case_reasons as cr')
              .innerJoin('risk_reasons as r', 'r.id', 'cr.reason_id')
              .select('cr.case_id')
              .where('r.key', 'in', trigger.reasons ?? []),
          );
        return ids(await query.execute());
      }
      case 'reason_added':
        return ids(
          await openCases
            .innerJoin('risk_case_reasons as cr', 'cr.case_id', 'c.id')
            .innerJoin('risk_reasons as r', 'r.id', 'cr.reason_id')
            .select('c.account_id')
            .where('r.key', '=', trigger.reason)
            .execute(),
        );
      case 'stage_changed':
        return ids(
          await openCases
            .innerJoin('risk_stages as s', 's.id', 'c.stage_id')
            .select('c.account_id')
            .where('s.key', '=', trigger.to)
            .execute(),
        );
      case 'segment_entered':
        return ids(
          await this.db
            .selectFrom('segment_members as m')
            .innerJoin('saved_segments as g', 'g.id', 'm.segment_id')
            .select('m.account_id')
            .where('g.key', '=', trigger.segment)
            .execute(),
        );
      case 'segment_left':
        return ids(
          await this.db
            .selectFrom('segment_membership_events as e')
            .innerJoin('saved_segments as g', 'g.id', 'e.segment_id')
            .select('e.account_id')
            .where('g.key', '=', trigger.segment)
            .where('e.kind', '=', 'left')
            .where('e.at', '>=', since)
            .where((eb) =>
              eb.not(
                eb.exists(
                  eb
                    .selectFrom('segment_members as m')
                    .select('m.account_id')
                    .whereRef('m.segment_id', '=', 'g.id')
                    .whereRef('m.account_id', '=', 'e.account_id'),
                ),
              ),
            )
            .execute(),
        );
      case 'signal_rule_fired':
        return ids(
          await this.db
            .selectFrom('rule_states')
            .select('account_id')
            .where('rule_key', '=', trigger.rule)
            .where('active', '=', 1)
            .execute(),
        );
      case 'touchpoint_logged': {
        const rows = await this.db
          .selectFrom('signals')
          .select(['account_id', 'data'])
          .where('kind', '=', 'touchpoint')
          .where('occurred_at', '>=', since)
          .execute();
        const wanted = trigger.reason.trim().toLowerCase();
        return ids(
          rows.filter((row) => {
            const reason = parseJsonObject(row.data).reason;
            return typeof reason === 'string' && reason.trim().toLowerCase() === wanted;
          }),
        );
      }
      case 'schedule':
        return ids(await this.db.selectFrom('accounts').select('id as account_id').execute());
    }
  }

  // --- events -----------------------------------------------------------------------------

  /** Records events in the caller's transaction, so they exist exactly when the change does. */
  async recordEvents(events: readonly PlayEvent[], now: Date): Promise<void> {
    const at = now.toISOString();
    for (let start = 0; start < events.length; start += CHUNK) {
      await this.db
        .insertInto('play_events')
        .values(
          events.slice(start, start + CHUNK).map(({ kind, accountId, ...rest }) => ({
            kind,
            account_id: accountId,
            payload: JSON.stringify(rest),
            at,
            processed_at: null,
          })),
        )
        .execute();
    }
  }

  async pendingEvents(limit: number): Promise<StoredEvent[]> {
    const rows = await this.db
      .selectFrom('play_events')
      .select(['id', 'kind', 'account_id', 'payload', 'at'])
      .where('processed_at', 'is', null)
      .orderBy('id')
      .limit(limit)
      .execute();
    return rows.map((row) => ({
      id: row.id,
      at: row.at,
      event: { ...parseJsonObject(row.payload), kind: row.kind, accountId: row.account_id } as PlayEvent,
    }));
  }

  async markEventsProcessed(ids: readonly number[], now: Date): Promise<void> {
    for (let start = 0; start < ids.length; start += CHUNK) {
      await this.db
        .updateTable('play_events')
        .set({ processed_at: now.toISOString() })
        .where('id', 'in', ids.slice(start, start + CHUNK))
        .where('processed_at', 'is', null)
        .execute();
    }
  }

  /**
   * Marks as handled, without starting anything, the events of these accounts recorded for moments
   * in [from, to): history written after the fact, which plays do not act on.
   */
  async passOverEvents(accountIds: readonly number[], from: Date, to: Date, now: Date): Promise<number> {
    let passed = 0;
    for (let start = 0; start < accountIds.length; start += CHUNK) {
      const result = await this.db
        .updateTable('play_events')
        .set({ processed_at: now.toISOString() })
        .where('account_id', 'in', accountIds.slice(start, start + CHUNK))
        .where('at', '>=', from.toISOString())
        .where('at', '<', to.toISOString())
        .where('processed_at', 'is', null)
        .executeTakeFirst();
      passed += Number(result.numUpdatedRows);
    }
    return passed;
  }

  /** Forgets events handled before `before`; they served their purpose. */
  async pruneEvents(before: Date): Promise<number> {
    const result = await this.db
      .deleteFrom('play_events')
      .where('processed_at', 'is not', null)
      .where('processed_at', '<', before.toISOString())
      .executeTakeFirst();
    return Number(result.numDeletedRows);
  }

  // --- runs -------------------------------------------------------------------------------

  /** Starts runs, skipping any whose trigger already started one; returns the cohorts of those started. */
  async insertRuns(runs: readonly NewRun[], now: Date): Promise<{ id: number; cohort: string }[]> {
    const at = now.toISOString();
    const started: { id: number; cohort: string }[] = [];
    for (let start = 0; start < runs.length; start += CHUNK) {
      const rows = await this.db
        .insertInto('play_runs')
        .values(
          runs.slice(start, start + CHUNK).map((run) => {
            const held = run.status === 'held_out';
            return {
              play_id: run.playId,
              play_version: run.playVersion,
              account_id: run.accountId,
              case_id: run.caseId,
              trigger_key: run.triggerKey,
              cohort: run.cohort,
              status: run.status,
              step_index: 0,
              step_started_at: held ? null : at,
              wake_at: held ? null : at,
              health_at_start: run.healthAtStart,
              started_at: at,
              finished_at: held ? at : null,
            };
          }),
        )
        .onConflict((conflict) => conflict.columns(['play_id', 'trigger_key']).doNothing())
        .returning(['id', 'cohort'])
        .execute();
      started.push(...rows);
    }
    return started;
  }

  /** Accounts (of those given) already in the play: a live run, or held out in the last `days`. */
  async accountsInPlay(playId: number, accountIds: readonly number[], heldSince: Date): Promise<Set<number>> {
    const found = new Set<number>();
    for (let start = 0; start < accountIds.length; start += CHUNK) {
      const rows = await this.db
        .selectFrom('play_runs')
        .select('account_id')
        .where('play_id', '=', playId)
        .where('account_id', 'in', accountIds.slice(start, start + CHUNK))
        .where((eb) =>
          eb.or([
            eb('status', 'in', ['running', 'waiting', 'waiting_task']),
            eb.and([eb('status', '=', 'held_out'), eb('started_at', '>=', heldSince.toISOString())]),
          ]),
        )
        .execute();
      for (const row of rows) found.add(row.account_id);
    }
    return found;
  }

  /**
   * Takes up to `limit` due runs that no live worker holds, for `owner` until `until`, in one
   * statement; on PostgreSQL rows another worker is claiming are skipped rather than waited for.
   */
  async claimDueRuns(
    owner: string,
    now: Date,
    until: Date,
    limit: number,
    postgres: boolean,
  ): Promise<number[]> {
    const at = now.toISOString();
    let due = this.db
      .selectFrom('play_runs')
      .select('id')
      .where('status', 'in', ['running', 'waiting'])
      .where('wake_at', '<=', at)
      .where((eb) => eb.or([eb('lease_until', 'is', null), eb('lease_until', '<', at)]))
      .orderBy('wake_at')
      .orderBy('id')
      .limit(limit);
    if (postgres) due = due.forUpdate().skipLocked();
    const rows = await this.db
      .updateTable('play_runs')
      .set((eb) => ({
        lease_owner: owner,
        lease_until: until.toISOString(),
        attempts: eb('attempts', '+', 1),
      }))
      .where('id', 'in', due)
      .where((eb) => eb.or([eb('lease_until', 'is', null), eb('lease_until', '<', at)]))
      .returning('id')
      .execute();
    return rows.map((row) => row.id).sort((a, b) => a - b);
  }

  /** Moves a run on, only while `owner` still holds it; false when the lease was lost. */
  async updateRun(id: number, owner: string | null, changes: RunChanges): Promise<boolean> {
    let query = this.db
      .updateTable('play_runs')
      .set({
        ...(changes.status !== undefined && { status: changes.status }),
        ...(changes.stepIndex !== undefined && { step_index: changes.stepIndex }),
        ...(changes.stepStartedAt !== undefined && { step_started_at: changes.stepStartedAt }),
        ...(changes.wakeAt !== undefined && { wake_at: changes.wakeAt }),
        ...(changes.lastError !== undefined && { last_error: changes.lastError }),
        ...(changes.finishedAt !== undefined && { finished_at: changes.finishedAt }),
        ...(changes.caseId !== undefined && { case_id: changes.caseId }),
      })
      .where('id', '=', id);
    if (owner !== null) query = query.where('lease_owner', '=', owner);
    const result = await query.executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  /** Lets go of a run; `clearError` when the worker's last attempt went through. */
  async releaseRun(id: number, owner: string, options: { clearError?: boolean } = {}): Promise<void> {
    await this.db
      .updateTable('play_runs')
      .set({ lease_owner: null, lease_until: null, ...(options.clearError && { last_error: null }) })
      .where('id', '=', id)
      .where('lease_owner', '=', owner)
      .execute();
  }

  async findRun(id: number): Promise<RunRecord | undefined> {
    const row = await this.db.selectFrom('play_runs').selectAll().where('id', '=', id).executeTakeFirst();
    return row && toRun(row);
  }

  async runs(
    filter: { playId?: number; accountId?: number; status?: string },
    limit: number,
    offset: number,
  ) {
    let query = this.db.selectFrom('play_runs').selectAll();
    if (filter.playId !== undefined) query = query.where('play_id', '=', filter.playId);
    if (filter.accountId !== undefined) query = query.where('account_id', '=', filter.accountId);
    if (filter.status !== undefined) query = query.where('status', '=', filter.status);
    const rows = await query.orderBy('id', 'desc').limit(limit).offset(offset).execute();
    return rows.map(toRun);
  }

  async countRuns(filter: { playId?: number; accountId?: number; status?: string }): Promise<number> {
    let query = this.db.selectFrom('play_runs').select((eb) => eb.fn.countAll<number>().as('n'));
    if (filter.playId !== undefined) query = query.where('play_id', '=', filter.playId);
    if (filter.accountId !== undefined) query = query.where('account_id', '=', filter.accountId);
    if (filter.status !== undefined) query = query.where('status', '=', filter.status);
    return Number((await query.executeTakeFirstOrThrow()).n);
  }

  /** Every run of a play with what happened to its case, for the effectiveness report. */
  async runOutcomes(playId: number) {
    return this.db
      .selectFrom('play_runs as r')
      .leftJoin('risk_cases as c', 'c.id', 'r.case_id')
      .select([
        'r.id',
        'r.account_id',
        'r.cohort',
        'r.started_at',
        'r.health_at_start',
        'c.outcome',
        'c.closed_at',
      ])
      .where('r.play_id', '=', playId)
      .orderBy('r.id')
      .execute();
  }

  async logStep(runId: number, stepIndex: number, kind: string, result: unknown, now: Date): Promise<void> {
    await this.db
      .insertInto('play_step_log')
      .values({
        run_id: runId,
        step_index: stepIndex,
        kind,
        at: now.toISOString(),
        result: JSON.stringify(result),
      })
      .onConflict((conflict) => conflict.columns(['run_id', 'step_index']).doNothing())
      .execute();
  }

  async stepLog(runId: number) {
    const rows = await this.db
      .selectFrom('play_step_log')
      .selectAll()
      .where('run_id', '=', runId)
      .orderBy('step_index')
      .execute();
    return rows.map((row) => ({
      stepIndex: row.step_index,
      kind: row.kind,
      at: row.at,
      result: JSON.parse(row.result) as unknown,
    }));
  }

  // --- tasks ------------------------------------------------------------------------------

  /** Creates the task of a run's step once; a second call for the same step does nothing. */
  async insertTask(task: NewTask, now: Date): Promise<number | null> {
    const row = await this.db
      .insertInto('tasks')
      .values({
        run_id: task.runId,
        step_index: task.stepIndex,
        account_id: task.accountId,
        case_id: task.caseId,
        assignee_id: task.assigneeId,
        title: task.title,
        description: task.description,
        due_at: task.dueAt,
        status: 'open',
        actions: JSON.stringify(task.actions),
        actions_mode: task.actionsMode,
        applied: null,
        note: null,
        created_at: now.toISOString(),
        completed_at: null,
        completed_by_user_id: null,
      })
      .onConflict((conflict) => conflict.columns(['run_id', 'step_index']).doNothing())
      .returning('id')
      .executeTakeFirst();
    return row?.id ?? null;
  }

  private taskQuery() {
    return this.db
      .selectFrom('tasks as t')
      .innerJoin('accounts as a', 'a.id', 't.account_id')
      .leftJoin('users as u', 'u.id', 't.assignee_id')
      .leftJoin('play_runs as r', 'r.id', 't.run_id')
      .leftJoin('plays as p', 'p.id', 'r.play_id')
      .leftJoin('risk_cases as c', 'c.id', 't.case_id')
      .leftJoin('risk_stages as s', 's.id', 'c.stage_id')
      .select([
        't.id',
        't.run_id',
        't.step_index',
        'p.key as play_key',
        'p.name as play_name',
        't.account_id',
        'a.external_id',
        'a.name as account_name',
        't.case_id',
        's.key as stage_key',
        't.assignee_id',
        'u.email as assignee_email',
        't.title',
        't.description',
        't.due_at',
        't.status',
        't.actions',
        't.actions_mode',
        't.applied',
        't.note',
        't.created_at',
        't.completed_at',
        'a.owner_id',
        'a.team_id',
      ]);
  }

  async findTask(id: number) {
    const row = await this.taskQuery().where('t.id', '=', id).executeTakeFirst();
    return row && toTask(row);
  }

  async tasks(
    filter: {
      assigneeId?: number | null;
      teamId?: number;
      accountId?: number;
      runId?: number;
      state?: 'open' | 'due' | 'overdue' | 'done' | 'all';
    },
    now: Date,
    limit: number,
    offset: number,
  ): Promise<{ total: number; items: TaskRecord[] }> {
    let query = this.taskQuery();
    if (filter.assigneeId !== undefined)
      query =
        filter.assigneeId === null
          ? query.where('t.assignee_id', 'is', null)
          : query.where('t.assignee_id', '=', filter.assigneeId);
    if (filter.teamId !== undefined) query = query.where('a.team_id', '=', filter.teamId);
    if (filter.accountId !== undefined) query = query.where('t.account_id', '=', filter.accountId);
    if (filter.runId !== undefined) query = query.where('t.run_id', '=', filter.runId);
    const at = now.toISOString();
    const endOfDay = `${at.slice(0, 10)}T23:59:59.999Z`;
    switch (filter.state ?? 'open') {
      case 'open':
        query = query.where('t.status', '=', 'open');
        break;
      case 'due':
        query = query
          .where('t.status', '=', 'open')
          .where('t.due_at', '<=', endOfDay)
          .where('t.due_at', '>=', at);
        break;
      case 'overdue':
        query = query.where('t.status', '=', 'open').where('t.due_at', '<', at);
        break;
      case 'done':
        query = query.where('t.status', '=', 'done');
        break;
      case 'all':
        break;
    }
    const { n } = await query
      .clearSelect()
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    const rows = await query
      .orderBy('t.status', 'desc')
      .orderBy('t.due_at')
      .orderBy('t.id')
      .limit(limit)
      .offset(offset)
      .execute();
    return { total: Number(n), items: rows.map(toTask) };
  }

  /** Marks an open task done; false when it was already done or cancelled. */
  async completeTask(
    id: number,
    done: { userId: number | null; applied: unknown[]; note: string | null },
    now: Date,
  ): Promise<boolean> {
    const result = await this.db
      .updateTable('tasks')
      .set({
        status: 'done',
        completed_at: now.toISOString(),
        completed_by_user_id: done.userId,
        applied: JSON.stringify(done.applied),
        note: done.note,
      })
      .where('id', '=', id)
      .where('status', '=', 'open')
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  async countTasks(): Promise<number> {
    const { n } = await this.db
      .selectFrom('tasks')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    return Number(n);
  }

  // --- outbox -----------------------------------------------------------------------------

  /** Queues messages once per key; delivery happens after the transaction commits. */
  async enqueue(
    messages: readonly {
      key: string;
      kind: 'email' | 'webhook';
      runId: number | null;
      accountId: number;
      payload: unknown;
    }[],
    now: Date,
  ): Promise<void> {
    if (messages.length === 0) return;
    const at = now.toISOString();
    await this.db
      .insertInto('outbox_messages')
      .values(
        messages.map((message) => ({
          key: message.key,
          kind: message.kind,
          run_id: message.runId,
          account_id: message.accountId,
          payload: JSON.stringify(message.payload),
          status: 'pending',
          next_attempt_at: at,
          created_at: at,
        })),
      )
      .onConflict((conflict) => conflict.column('key').doNothing())
      .execute();
  }

  async dueMessages(now: Date, limit: number): Promise<number[]> {
    const rows = await this.db
      .selectFrom('outbox_messages')
      .select('id')
      .where('status', 'in', ['pending', 'failed'])
      .where('next_attempt_at', '<=', now.toISOString())
      .orderBy('id')
      .limit(limit)
      .execute();
    return rows.map((row) => row.id);
  }

  /**
   * Marks a message as being sent, committed before the send: if the process dies mid-send the
   * message stays `sending` and is never sent again automatically.
   */
  async claimMessage(id: number, now: Date, until: Date): Promise<OutboxRecord | undefined> {
    const result = await this.db
      .updateTable('outbox_messages')
      .set((eb) => ({
        status: 'sending',
        lease_until: until.toISOString(),
        attempts: eb('attempts', '+', 1),
      }))
      .where('id', '=', id)
      .where('status', 'in', ['pending', 'failed'])
      .where('next_attempt_at', '<=', now.toISOString())
      .executeTakeFirst();
    if (Number(result.numUpdatedRows) !== 1) return undefined;
    const row = await this.db
      .selectFrom('outbox_messages')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirst();
    return row && toMessage(row);
  }

  async settleMessage(
    id: number,
    outcome: { status: 'sent' | 'failed' | 'undeliverable'; error?: string; retryAt?: Date },
    now: Date,
  ): Promise<void> {
    await this.db
      .updateTable('outbox_messages')
      .set({
        status: outcome.status,
        lease_until: null,
        ...(outcome.status === 'sent' && { sent_at: now.toISOString(), last_error: null }),
        ...(outcome.error !== undefined && { last_error: outcome.error }),
        ...(outcome.retryAt && { next_attempt_at: outcome.retryAt.toISOString() }),
      })
      .where('id', '=', id)
      .where('status', '=', 'sending')
      .execute();
  }

  /**
   * Messages whose sender died mid-send: it is unknown whether they went out, so they are marked
   * `unconfirmed` for a person to check rather than risk sending twice.
   */
  async markAbandonedSends(now: Date): Promise<number> {
    const result = await this.db
      .updateTable('outbox_messages')
      .set({
        status: 'unconfirmed',
        lease_until: null,
        last_error: 'the sender stopped mid-send; not resent',
      })
      .where('status', '=', 'sending')
      .where('lease_until', '<', now.toISOString())
      .executeTakeFirst();
    return Number(result.numUpdatedRows);
  }

  async messages(
    filter: { runId?: number; accountId?: number; status?: string },
    limit = 500,
  ): Promise<OutboxRecord[]> {
    let query = this.db.selectFrom('outbox_messages').selectAll();
    if (filter.runId !== undefined) query = query.where('run_id', '=', filter.runId);
    if (filter.accountId !== undefined) query = query.where('account_id', '=', filter.accountId);
    if (filter.status !== undefined) query = query.where('status', '=', filter.status);
    return (await query.orderBy('id').limit(limit).execute()).map(toMessage);
  }

  /** Sends a message again (after a person checked that an `unconfirmed` one did not arrive). */
  async retryMessage(id: number, now: Date): Promise<boolean> {
    const result = await this.db
      .updateTable('outbox_messages')
      .set({ status: 'pending', next_attempt_at: now.toISOString(), last_error: null })
      .where('id', '=', id)
      .where('status', 'in', ['unconfirmed', 'undeliverable', 'failed'])
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }
}

function ids(rows: readonly { account_id: number }[]): number[] {
  return [...new Set(rows.map((row) => row.account_id))].sort((a, b) => a - b);
}

function toPlay(row: {
  id: number;
  key: string;
  name: string;
  description: string | null;
  active: number;
  current_version: number;
  last_schedule_period: number | null;
  created_at: string;
  updated_at: string;
  version: number;
  definition: string;
}): PlayRecord {
  return {
    id: row.id,
    key: row.key,
    name: row.name,
    description: row.description,
    active: row.active === 1,
    currentVersion: row.current_version,
    definition: row.definition,
    lastSchedulePeriod: row.last_schedule_period,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    version: row.version,
  };
}

function toRun(row: {
  id: number;
  play_id: number;
  play_version: number;
  account_id: number;
  case_id: number | null;
  trigger_key: string;
  cohort: string;
  status: string;
  step_index: number;
  step_started_at: string | null;
  wake_at: string | null;
  attempts: number;
  last_error: string | null;
  health_at_start: number | null;
  started_at: string;
  finished_at: string | null;
}): RunRecord {
  return {
    id: row.id,
    playId: row.play_id,
    playVersion: row.play_version,
    accountId: row.account_id,
    caseId: row.case_id,
    triggerKey: row.trigger_key,
    cohort: row.cohort === 'holdout' ? 'holdout' : 'treated',
    status: row.status as RunStatus,
    stepIndex: row.step_index,
    stepStartedAt: row.step_started_at,
    wakeAt: row.wake_at,
    attempts: row.attempts,
    lastError: row.last_error,
    healthAtStart: row.health_at_start,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
  };
}

function toTask(row: {
  id: number;
  run_id: number | null;
  step_index: number | null;
  play_key: string | null;
  play_name: string | null;
  account_id: number;
  external_id: string;
  account_name: string;
  owner_id: number | null;
  team_id: number | null;
  case_id: number | null;
  stage_key: string | null;
  assignee_id: number | null;
  assignee_email: string | null;
  title: string;
  description: string;
  due_at: string;
  status: string;
  actions: string;
  actions_mode: string | null;
  applied: string | null;
  note: string | null;
  created_at: string;
  completed_at: string | null;
}): TaskRecord {
  return {
    id: row.id,
    runId: row.run_id,
    stepIndex: row.step_index,
    playKey: row.play_key,
    playName: row.play_name,
    accountId: row.account_id,
    accountExternalId: row.external_id,
    accountName: row.account_name,
    accountOwnerId: row.owner_id,
    accountTeamId: row.team_id,
    caseId: row.case_id,
    caseStage: row.stage_key,
    assigneeId: row.assignee_id,
    assigneeEmail: row.assignee_email,
    title: row.title,
    description: row.description,
    dueAt: row.due_at,
    status: row.status === 'done' ? 'done' : row.status === 'cancelled' ? 'cancelled' : 'open',
    actions: JSON.parse(row.actions) as unknown[],
    actionsMode: row.actions_mode === 'automatic' || row.actions_mode === 'offered' ? row.actions_mode : null,
    applied: row.applied === null ? null : (JSON.parse(row.applied) as unknown[]),
    note: row.note,
    createdAt: row.created_at,
    completedAt: row.completed_at,
  };
}

function toMessage(row: {
  id: number;
  key: string;
  kind: string;
  run_id: number | null;
  account_id: number;
  payload: string;
  status: string;
  attempts: number;
  sent_at: string | null;
  last_error: string | null;
  created_at: string;
}): OutboxRecord {
  return {
    id: row.id,
    key: row.key,
    kind: row.kind === 'webhook' ? 'webhook' : 'email',
    runId: row.run_id,
    accountId: row.account_id,
    payload: parseJsonObject(row.payload),
    status: row.status,
    attempts: row.attempts,
    sentAt: row.sent_at,
    lastError: row.last_error,
    createdAt: row.created_at,
  };
}

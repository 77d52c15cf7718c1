// The play runner: turns recorded events and schedules into runs, walks due runs through their steps,
// and delivers the outbox. All state is in the store; a worker holds a run only by a time-limited
// lease, so several workers share the work and a killed one's runs are picked up after its lease.
//
// Exactly-once where the store can promise it: a task, a step's bookkeeping and the run's next state
// commit together. Email and webhooks leave through the outbox: queued in that same transaction,
// marked `sending` before the network call and `sent` after. A worker killed mid-send leaves the
// message `sending`; it is then marked `unconfirmed` and never sent again without a person asking.
import { composeEmail } from '../domain/email';
import { EmailPreferenceService, suppressedAmong } from '../services/email-preferences';
import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import { z } from 'zod';
import {
  addDays,
  afterStep,
  isHeldOut,
  playDefinitionSchema,
  renderTemplate,
  webhookBody,
  schedulePeriod,
  triggerMatches,
  type PlayDefinition,
  type PlayStep,
  type TaskAssignee,
} from '../domain/playbook';
import type { Actor } from '../domain/policy';
import { parseFilter } from '../domain/segment-filter';
import { dayOf } from '../domain/signals';
import { AccountRepository } from '../store/account.repository';
import { AuditRepository } from '../store/audit.repository';
import { HealthRepository } from '../store/health.repository';
import { PlayRepository, type PlayRecord, type RunRecord } from '../store/play.repository';
import type { Database } from '../store/schema';
import type { Account } from '../domain/account';
import type { User } from '../domain/user';
import { UserRepository } from '../store/user.repository';
import { playActor, type CaseActions } from '../services/case-actions';
import { inTransaction, type ServiceContext } from '../services/context';
import { notifyIn, taskNotification } from '../services/notifications';
import {
  deliveryFailure,
  httpWebhookClient,
  mailerFromEnv,
  type DeliveryFailureCategory,
  type Mailer,
  type WebhookClient,
} from '../services/messaging';
import { RiskConfigService } from '../services/risk-config';
import { failpoint } from './failpoints';

export interface PlayRunnerOptions {
  /** Names this worker in leases; unique per process. */
  owner?: string;
  batchSize?: number;
  /** How long a claimed run or message is this worker's before others may take it. */
  leaseMs?: number;
  maxStepAttempts?: number;
  /** Hears why each send failed, in full (for the server log; the outbox keeps only the category). */
  onDeliveryFailure?: (failure: DeliveryFailureReport) => void;
  /** Where Retain is reached from outside (RETAIN_PUBLIC_URL), for the links in emails. */
  publicUrl?: string;
}

export interface DeliveryFailureReport {
  messageId: number;
  kind: 'email' | 'webhook';
  attempt: number;
  category: DeliveryFailureCategory;
  detail: string;
}

export interface TickReport {
  events: number;
  runsStarted: number;
  heldOut: number;
  stepsRun: number;
  messagesSent: number;
  messagesFailed: number;
  unconfirmed: number;
}

const emptyReport = (): TickReport => ({
  events: 0,
  runsStarted: 0,
  heldOut: 0,
  stepsRun: 0,
  messagesSent: 0,
  messagesFailed: 0,
  unconfirmed: 0,
});

const MAX_SEND_ATTEMPTS = 8;
const STEPS_PER_CLAIM = 25;
const HOLDOUT_MEMORY_DAYS = 30;

export class PlayRunner {
  private readonly owner: string;
  private readonly batchSize: number;
  private readonly leaseMs: number;
  private readonly maxStepAttempts: number;
  private readonly onDeliveryFailure: (failure: DeliveryFailureReport) => void;
  private readonly publicUrl: string;
  private readonly preferences: EmailPreferenceService;
  private readonly definitions = new Map<string, PlayDefinition>();
  /** The audit actor of each play (`play:<key>`); a play's key never changes. */
  private readonly actors = new Map<number, Actor>();
  /** Users, read once per tick: assignees resolve against this without a query per task. */
  private users: Promise<User[]> | null = null;
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<unknown> | null = null;

  constructor(
    private readonly context: ServiceContext,
    private readonly actions: CaseActions,
    private readonly mailer: Mailer,
    private readonly webhooks: WebhookClient,
    options: PlayRunnerOptions = {},
  ) {
    this.owner = options.owner ?? `worker-${process.pid}-${randomUUID().slice(0, 8)}`;
    this.batchSize = options.batchSize ?? 500;
    this.leaseMs = options.leaseMs ?? 5 * 60_000;
    this.maxStepAttempts = options.maxStepAttempts ?? 5;
    this.onDeliveryFailure = options.onDeliveryFailure ?? (() => undefined);
    this.publicUrl = (options.publicUrl ?? 'http://localhost:3000').replace(/\/+$/, '');
    this.preferences = new EmailPreferenceService(context);
  }

  private get repo(): PlayRepository {
    return new PlayRepository(this.context.store.db);
  }

  private now(): Date {
    return this.context.clock.now();
  }

  /** One pass over everything due now. */
  async tick(): Promise<TickReport> {
    const report = emptyReport();
    this.users = null;
    const plays = await this.activePlays();
    for (;;) {
      const handled = await this.processEvents(plays, report);
      if (handled < this.batchSize) break;
    }
    await this.startScheduled(plays, report);
    const postgres = this.context.store.kind === 'postgres';
    // PostgreSQL takes several runs at once; SQLite has one writer, so more would only queue.
    const parallel = postgres ? 4 : 1;
    for (let round = 0; round < 10_000; round += 1) {
      const now = this.now();
      const ids = await this.repo.claimDueRuns(
        this.owner,
        now,
        new Date(now.getTime() + this.leaseMs),
        this.batchSize,
        postgres,
      );
      if (ids.length === 0) break;
      for (let start = 0; start < ids.length; start += parallel)
        await Promise.all(ids.slice(start, start + parallel).map((id) => this.advance(id, report)));
    }
    await this.deliver(report);
    return report;
  }

  /** Ticks until nothing is left to do now (tests, benchmarks, `retain worker --once`). */
  async drain(maxTicks = 1000): Promise<TickReport> {
    const total = emptyReport();
    for (let i = 0; i < maxTicks; i += 1) {
      const report = await this.tick();
      for (const key of Object.keys(total) as (keyof TickReport)[]) total[key] += report[key];
      if (
        report.events + report.runsStarted + report.stepsRun + report.messagesSent + report.messagesFailed ===
        0
      )
        break;
    }
    return total;
  }

  /** Polls every `intervalMs` until stopped; errors are reported and the next tick tries again. */
  start(intervalMs: number, onError: (error: unknown) => void = () => undefined): void {
    const loop = () => {
      this.running = this.tick()
        .catch(onError)
        .finally(() => {
          if (this.timer !== null) this.timer = setTimeout(loop, intervalMs);
        });
    };
    this.timer = setTimeout(loop, 0);
  }

  async stop(): Promise<void> {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    await this.running;
  }

  // --- starting runs ----------------------------------------------------------------------

  private async activePlays(): Promise<{ play: PlayRecord; definition: PlayDefinition }[]> {
    const plays = await this.repo.list({ activeOnly: true });
    return plays.map((play) => ({
      play,
      definition: this.definitionOf(play.id, play.currentVersion, play.definition),
    }));
  }

  private async actorOf(playId: number): Promise<Actor> {
    let actor = this.actors.get(playId);
    if (!actor) {
      const play = await this.repo.find(playId);
      actor = playActor(play?.key ?? String(playId));
      this.actors.set(playId, actor);
    }
    return actor;
  }

  private definitionOf(playId: number, version: number, json: string): PlayDefinition {
    const key = `${playId}:${version}`;
    let definition = this.definitions.get(key);
    if (!definition) {
      definition = playDefinitionSchema.parse(JSON.parse(json));
      this.definitions.set(key, definition);
    }
    return definition;
  }

  private async processEvents(
    plays: readonly { play: PlayRecord; definition: PlayDefinition }[],
    report: TickReport,
  ): Promise<number> {
    const events = await this.repo.pendingEvents(this.batchSize);
    if (events.length === 0) return 0;
    const now = this.now();
    await inTransaction(this.context, async (db) => {
      const repo = new PlayRepository(db);
      for (const { play, definition } of plays) {
        const entering = new Map<number, { caseId: number | null; triggerKey: string }>();
        for (const { id, event } of events) {
          if (!triggerMatches(definition.trigger, event) || entering.has(event.accountId)) continue;
          entering.set(event.accountId, {
            caseId: 'caseId' in event ? event.caseId : null,
            triggerKey: `event:${id}`,
          });
        }
        if (entering.size > 0) await this.startRuns(db, play, definition, entering, now, report);
      }
      await repo.markEventsProcessed(
        events.map((event) => event.id),
        now,
      );
    });
    report.events += events.length;
    return events.length;
  }

  private async startScheduled(
    plays: readonly { play: PlayRecord; definition: PlayDefinition }[],
    report: TickReport,
  ): Promise<void> {
    const now = this.now();
    for (const { play, definition } of plays) {
      if (definition.trigger.kind !== 'schedule') continue;
      const period = schedulePeriod(definition.trigger.everyDays, now);
      if (play.lastSchedulePeriod !== null && play.lastSchedulePeriod >= period) continue;
      await inTransaction(this.context, async (db) => {
        const repo = new PlayRepository(db);
        if (!(await repo.claimSchedulePeriod(play.id, period))) return;
        const accounts = definition.conditions
          ? await repo.accountsMatching(parseFilter(definition.conditions), this.filterContext(now), null)
          : await repo.triggerPopulation(definition.trigger, now);
        const entering = new Map(
          accounts.map((accountId) => [
            accountId,
            { caseId: null, triggerKey: `schedule:${period}:${accountId}` },
          ]),
        );
        await this.startRuns(db, play, definition, entering, now, report, true);
      });
    }
  }

  private filterContext(now: Date) {
    return { now, postgres: this.context.store.kind === 'postgres' };
  }

  /** Starts runs for the accounts that meet the conditions and are not already in the play. */
  private async startRuns(
    db: Kysely<Database>,
    play: PlayRecord,
    definition: PlayDefinition,
    entering: Map<number, { caseId: number | null; triggerKey: string }>,
    now: Date,
    report: TickReport,
    conditionsChecked = false,
  ): Promise<void> {
    const repo = new PlayRepository(db);
    let accountIds = [...entering.keys()];
    if (definition.conditions && !conditionsChecked)
      accountIds = await repo.accountsMatching(
        parseFilter(definition.conditions),
        this.filterContext(now),
        accountIds,
      );
    const already = await repo.accountsInPlay(
      play.id,
      accountIds,
      new Date(now.getTime() - HOLDOUT_MEMORY_DAYS * 86_400_000),
    );
    accountIds = accountIds.filter((id) => !already.has(id));
    if (accountIds.length === 0) return;
    const [openCases, health] = await Promise.all([
      repo.openCases(accountIds),
      new HealthRepository(db).scoresAsOf(accountIds, dayOf(now.toISOString())),
    ]);
    const runs = accountIds.flatMap((accountId) => {
      const entry = entering.get(accountId);
      if (!entry) return [];
      const held = isHeldOut(play.key, accountId, definition.holdoutPercent);
      return [
        {
          playId: play.id,
          playVersion: play.currentVersion,
          accountId,
          caseId: entry.caseId ?? openCases.get(accountId) ?? null,
          triggerKey: entry.triggerKey,
          cohort: held ? ('holdout' as const) : ('treated' as const),
          status: held ? ('held_out' as const) : ('running' as const),
          healthAtStart: health.get(accountId)?.score ?? null,
        },
      ];
    });
    for (const run of await repo.insertRuns(runs, now)) {
      if (run.cohort === 'holdout') report.heldOut += 1;
      else report.runsStarted += 1;
    }
  }

  // --- walking a run ----------------------------------------------------------------------

  /** Walks a run this worker has claimed until it waits or ends; the number of steps taken. */
  private async advance(runId: number, report: TickReport): Promise<number> {
    const repo = this.repo;
    const now = this.now();
    let steps = 0;
    try {
      let run = await repo.findRun(runId);
      while (run && (run.status === 'running' || run.status === 'waiting') && steps < STEPS_PER_CLAIM) {
        const json = await repo.definitionAt(run.playId, run.playVersion);
        if (json === undefined) throw new Error(`play ${run.playId} version ${run.playVersion} is missing`);
        const definition = this.definitionOf(run.playId, run.playVersion, json);
        const step = definition.steps[run.stepIndex];
        if (!step) {
          await repo.updateRun(run.id, this.owner, {
            status: 'completed',
            finishedAt: now.toISOString(),
            wakeAt: null,
          });
          break;
        }
        const moved = await this.runStep(run, definition, step);
        if (!moved) break;
        steps += 1;
        report.stepsRun += 1;
        run = await repo.findRun(runId);
        if (run && run.wakeAt !== null && run.wakeAt > this.now().toISOString()) break;
      }
      await repo.releaseRun(runId, this.owner, { clearError: true });
    } catch (error) {
      await this.recordFailure(runId, error);
      await repo.releaseRun(runId, this.owner);
    }
    return steps;
  }

  private async recordFailure(runId: number, error: unknown): Promise<void> {
    const run = await this.repo.findRun(runId);
    if (!run) return;
    const message = error instanceof Error ? error.message : String(error);
    const now = this.now();
    const giveUp = run.attempts >= this.maxStepAttempts;
    await this.repo.updateRun(runId, this.owner, {
      lastError: message,
      ...(giveUp
        ? { status: 'failed', finishedAt: now.toISOString(), wakeAt: null }
        : { wakeAt: new Date(now.getTime() + 60_000 * 2 ** run.attempts).toISOString() }),
    });
  }

  /** Does one step and moves the run on; false when the run stays where it is (still waiting). */
  private async runStep(run: RunRecord, definition: PlayDefinition, step: PlayStep): Promise<boolean> {
    const now = this.now();
    const next = afterStep(definition.steps, run.stepIndex, now);
    const advance = async (repo: PlayRepository, result: unknown) => {
      await repo.logStep(run.id, run.stepIndex, step.kind, result, now);
      const moved = await repo.updateRun(run.id, this.owner, {
        status: next.status,
        stepIndex: next.stepIndex,
        wakeAt: next.wakeAt,
        stepStartedAt: next.stepIndex !== run.stepIndex ? now.toISOString() : run.stepStartedAt,
        ...(next.status === 'completed' && { finishedAt: now.toISOString() }),
      });
      if (!moved) throw new Error(`run ${run.id} was taken over by another worker`);
    };
    switch (step.kind) {
      case 'task': {
        const facts = await this.accountFacts(run.accountId);
        const fields = templateFields(facts);
        const assigneeId = assigneeOf(facts, step.assignee);
        const actor = await this.actorOf(run.playId);
        const playName = (await this.repo.find(run.playId))?.name ?? actor.label;
        await inTransaction(this.context, async (db) => {
          const repo = new PlayRepository(db);
          const task = {
            runId: run.id,
            stepIndex: run.stepIndex,
            accountId: run.accountId,
            caseId: run.caseId,
            assigneeId,
            title: renderTemplate(step.title, fields),
            description: renderTemplate(step.description, fields),
            dueAt: addDays(now, step.dueInDays),
            actions: step.onComplete?.actions ?? [],
            actionsMode: step.onComplete?.mode ?? null,
          };
          const taskId = await repo.insertTask(task, now);
          if (taskId !== null)
            await new AuditRepository(db).append(actor, now, [
              {
                entityType: 'task',
                entityId: taskId,
                accountId: run.accountId,
                action: 'created',
                changes: { title: task.title, assigneeId, dueAt: task.dueAt },
              },
            ]);
          // One notice per task: a play that waits on it needs the assignee, else it is a new task.
          if (taskId !== null)
            await notifyIn(
              db,
              actor,
              now,
              taskNotification({
                taskId,
                title: task.title,
                assigneeId,
                accountId: run.accountId,
                accountName: facts.account?.name ?? `account ${run.accountId}`,
                caseId: run.caseId,
                play: { name: playName, waits: step.waitForCompletion },
              }),
            );
          failpoint('before-task-commit');
          await advance(repo, { taskId, assigneeId });
        });
        return true;
      }
      case 'wait':
        await inTransaction(this.context, (db) => advance(new PlayRepository(db), { until: next.wakeAt }));
        return true;
      case 'wait_until': {
        const [match] = await this.repo.accountsMatching(
          parseFilter(step.condition),
          this.filterContext(now),
          [run.accountId],
        );
        const deadline = addDays(new Date(run.stepStartedAt ?? run.startedAt), step.timeoutDays);
        if (match === undefined && now.toISOString() < deadline) {
          const recheck = addDays(now, 1);
          await this.repo.updateRun(run.id, this.owner, {
            status: 'waiting',
            wakeAt: recheck < deadline ? recheck : deadline,
          });
          return false;
        }
        const after = { stepIndex: run.stepIndex + 1, done: run.stepIndex + 1 >= definition.steps.length };
        await inTransaction(this.context, async (db) => {
          const repo = new PlayRepository(db);
          await repo.logStep(run.id, run.stepIndex, step.kind, { matched: match !== undefined }, now);
          await repo.updateRun(run.id, this.owner, {
            status: after.done ? 'completed' : 'running',
            stepIndex: after.stepIndex,
            stepStartedAt: now.toISOString(),
            wakeAt: after.done ? null : now.toISOString(),
            ...(after.done && { finishedAt: now.toISOString() }),
          });
        });
        return true;
      }
      case 'email': {
        const facts = await this.accountFacts(run.accountId);
        const listed = await this.recipients(facts, step.to);
        const base = templateFields(facts);
        // Replies reach the account's owner, not a mailbox nobody reads.
        const replyTo = step.to === 'owner' ? undefined : facts.owner?.email;
        await inTransaction(this.context, async (db) => {
          const repo = new PlayRepository(db);
          // An address that unsubscribed gets nothing more from any play.
          const suppressed = await suppressedAmong(
            db,
            listed.map((recipient) => recipient.email),
          );
          const recipients = listed.filter((recipient) => !suppressed.has(recipient.email.toLowerCase()));
          await repo.enqueue(
            recipients.map((recipient) => {
              const fields = { ...base, 'contact.name': recipient.name, 'contact.email': recipient.email };
              return {
                key: `run:${run.id}:step:${run.stepIndex}:${recipient.email.toLowerCase()}`,
                kind: 'email' as const,
                runId: run.id,
                accountId: run.accountId,
                payload: {
                  to: recipient.email,
                  subject: renderTemplate(step.subject, fields),
                  text: renderTemplate(step.body, fields),
                  ...(replyTo !== undefined && { replyTo }),
                },
              };
            }),
            now,
          );
          await advance(repo, {
            recipients: recipients.map((recipient) => recipient.email),
            ...(suppressed.size > 0 && { unsubscribed: [...suppressed] }),
          });
        });
        return true;
      }
      case 'webhook': {
        const fields = templateFields(await this.accountFacts(run.accountId));
        await inTransaction(this.context, async (db) => {
          const repo = new PlayRepository(db);
          await repo.enqueue(
            [
              {
                key: `run:${run.id}:step:${run.stepIndex}:webhook`,
                kind: 'webhook',
                runId: run.id,
                accountId: run.accountId,
                payload: { url: step.url, body: webhookBody(step, fields) },
              },
            ],
            now,
          );
          // The URL is the admin's secret: the step log only says a call was queued.
          await advance(repo, { queued: true });
        });
        return true;
      }
      case 'action': {
        const result = await this.actions.apply(
          await this.actorOf(run.playId),
          run.accountId,
          run.caseId,
          step.action,
        );
        failpoint('after-action');
        await inTransaction(this.context, (db) => advance(new PlayRepository(db), result));
        return true;
      }
    }
  }

  /** The account a step is about, its owner, and the users (read once per tick) tasks go to. */
  private async accountFacts(accountId: number): Promise<AccountFacts> {
    const db = this.context.store.db;
    this.users ??= new UserRepository(db).listUsers();
    const [account, users] = await Promise.all([new AccountRepository(db).findById(accountId), this.users]);
    const owner = account?.ownerId ? users.find((user) => user.id === account.ownerId) : undefined;
    return { accountId, account, owner, users };
  }

  private async recipients(
    facts: AccountFacts,
    to: 'contacts' | 'champion' | 'owner',
  ): Promise<{ email: string; name: string }[]> {
    if (to === 'owner') return facts.owner ? [{ email: facts.owner.email, name: facts.owner.name }] : [];
    const contacts = await new AccountRepository(this.context.store.db).listContacts(facts.accountId);
    return contacts
      .filter((contact) => to === 'contacts' || contact.isChampion)
      .map((contact) => ({ email: contact.email, name: contact.name ?? 'there' }));
  }

  // --- the outbox -------------------------------------------------------------------------

  private async deliver(report: TickReport): Promise<void> {
    const repo = this.repo;
    report.unconfirmed += await repo.markAbandonedSends(this.now());
    const { outboundAllowlist } = await new RiskConfigService(this.context).settings();
    for (;;) {
      const now = this.now();
      const ids = await repo.dueMessages(now, this.batchSize);
      if (ids.length === 0) return;
      let claimed = 0;
      for (const id of ids) {
        const message = await repo.claimMessage(id, now, new Date(now.getTime() + this.leaseMs));
        if (!message) continue;
        claimed += 1;
        try {
          if (message.kind === 'email') {
            const email = emailPayload.parse(message.payload);
            if ((await suppressedAmong(this.context.store.db, [email.to])).size > 0) {
              // Unsubscribed after the message was queued: it is not sent.
              await repo.settleMessage(
                id,
                { status: 'undeliverable', error: 'the recipient unsubscribed' },
                now,
              );
              continue;
            }
            const unsubscribeUrl = `${this.publicUrl}/email/unsubscribe?token=${await this.preferences.token(email.to)}`;
            await this.mailer.send({
              ...email,
              ...composeEmail(email.text, unsubscribeUrl),
              unsubscribeUrl,
              messageKey: message.key,
            });
          } else {
            const call = webhookPayload.parse(message.payload);
            await this.webhooks.post({
              url: call.url,
              body: call.body,
              idempotencyKey: message.key,
              allowlist: outboundAllowlist,
            });
          }
        } catch (error) {
          // Stored and shown: what kind of failure, never the remote's answer or addresses.
          const { category, detail } = deliveryFailure(error);
          const text = `${message.kind} delivery failed: ${category}`;
          this.onDeliveryFailure({
            messageId: id,
            kind: message.kind,
            attempt: message.attempts,
            category,
            detail,
          });
          const giveUp = message.attempts >= MAX_SEND_ATTEMPTS;
          await repo.settleMessage(
            id,
            giveUp
              ? { status: 'undeliverable', error: text }
              : {
                  status: 'failed',
                  error: text,
                  retryAt: new Date(now.getTime() + 60_000 * 2 ** message.attempts),
                },
            now,
          );
          report.messagesFailed += 1;
          continue;
        }
        failpoint('after-send');
        await repo.settleMessage(id, { status: 'sent' }, now);
        report.messagesSent += 1;
      }
      if (claimed === 0) return;
    }
  }
}

interface AccountFacts {
  accountId: number;
  account: Account | undefined;
  owner: User | undefined;
  users: User[];
}

/** Account fields a template may use: {{account.name}}, {{account.owner}}, {{account.arr}} ... */
function templateFields({ account, owner }: AccountFacts): Record<string, string> {
  return {
    'account.name': account?.name ?? '',
    'account.external_id': account?.externalId ?? '',
    'account.tier': account?.tier ?? '',
    'account.arr': account ? String(account.arr) : '',
    'account.renewal_date': account?.renewalDate ?? '',
    'account.owner': owner?.name ?? 'Your customer success manager',
    'account.owner_email': owner?.email ?? '',
    'contact.name': 'there',
  };
}

/** Who gets a task: the owner, the team's lead, someone in a role (same team first), or a named user. */
function assigneeOf({ account, users: everyone }: AccountFacts, assignee: TaskAssignee): number | null {
  const users = everyone.filter((user) => user.active);
  const inTeam = (role: string) =>
    users.find((user) => user.role === role && account?.teamId != null && user.teamId === account.teamId) ??
    users.find((user) => user.role === role);
  switch (assignee.kind) {
    case 'account_owner':
      return account?.ownerId ?? inTeam('lead')?.id ?? null;
    case 'team_lead':
      return inTeam('lead')?.id ?? null;
    case 'role':
      return inTeam(assignee.role)?.id ?? null;
    case 'user':
      return users.find((user) => user.email.toLowerCase() === assignee.email.toLowerCase())?.id ?? null;
  }
}

const emailPayload = z.object({
  to: z.string(),
  subject: z.string(),
  text: z.string(),
  replyTo: z.string().optional(),
});
const webhookPayload = z.object({ url: z.string(), body: z.record(z.string(), z.unknown()) });

/**
 * A runner over the services, sending email by SMTP_URL and webhooks over HTTP. RETAIN_PUBLIC_URL
 * is where the links in emails point. RETAIN_LEASE_MS shortens how long a dead worker's runs wait
 * before another takes them (crash drills).
 */
export function createPlayRunner(
  services: { context: ServiceContext; caseActions: CaseActions },
  options: PlayRunnerOptions & { mailer?: Mailer; webhooks?: WebhookClient } = {},
  env: NodeJS.ProcessEnv = process.env,
): PlayRunner {
  const leaseMs = Number(env.RETAIN_LEASE_MS);
  return new PlayRunner(
    services.context,
    services.caseActions,
    options.mailer ?? mailerFromEnv(env),
    options.webhooks ?? httpWebhookClient(),
    {
      ...(Number.isFinite(leaseMs) && leaseMs > 0 && { leaseMs }),
      ...(env.RETAIN_PUBLIC_URL && { publicUrl: env.RETAIN_PUBLIC_URL }),
      ...options,
    },
  );
}

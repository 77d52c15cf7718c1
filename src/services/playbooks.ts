// Playbooks as users manage them: list, create, edit (each edit a new version; runs in flight keep
// theirs), turn on and off, preview who would enter now, follow runs, and measure effectiveness.
import { z } from 'zod';
import { AppError } from '../domain/errors';
import { playEffectiveness, type EffectivenessReport, type RunOutcome } from '../domain/play-effectiveness';
import { OutboundPolicy } from '../domain/outbound';
import {
  HIDDEN_URL,
  isHeldOut,
  playDefinitionSchema,
  withUrlsHidden,
  type PlayAction,
  type PlayDefinition,
} from '../domain/playbook';
import { assertCan, can, type Actor } from '../domain/policy';
import { parseFilter } from '../domain/segment-filter';
import { dayOf } from '../domain/signals';
import { keyFromName } from '../domain/values';
import { AccountRepository } from '../store/account.repository';
import { AuditRepository } from '../store/audit.repository';
import { HealthRepository } from '../store/health.repository';
import { PlayRepository, type OutboxRecord, type PlayRecord, type RunRecord } from '../store/play.repository';
import { SavedSegmentRepository } from '../store/saved-segment.repository';
import { UserRepository } from '../store/user.repository';
import { inTransaction, type ServiceContext } from './context';
import type { DetectionService } from './detection';
import { validationFailed } from './json-config';
import type { RiskConfigService } from './risk-config';

const playInput = z
  .object({
    key: z
      .string()
      .regex(/^[a-z0-9_]{1,64}$/, 'lower-case letters, digits and _')
      .optional(),
    name: z.string().trim().min(1).max(200),
    description: z.string().max(2000).nullable().optional(),
    definition: playDefinitionSchema,
  })
  .strict();

const playPatch = z
  .object({
    name: z.string().trim().min(1).max(200).optional(),
    description: z.string().max(2000).nullable().optional(),
    definition: playDefinitionSchema.optional(),
    active: z.boolean().optional(),
    version: z.number().int().positive(),
  })
  .strict();

export interface PlayView {
  id: number;
  key: string;
  name: string;
  description: string | null;
  active: boolean;
  /** The definition's version; runs record the one they started on. */
  definitionVersion: number;
  definition: PlayDefinition;
  createdAt: string;
  updatedAt: string;
  /** Optimistic-concurrency version of the play record. */
  version: number;
}

export interface DryRun {
  playId: number;
  total: number;
  treated: number;
  holdout: number;
  alreadyInPlay: number;
  accounts: { id: number; externalId: string; name: string; cohort: 'treated' | 'holdout' }[];
}

const PREVIEW_LIMIT = 100;

export class PlaybookService {
  constructor(
    private readonly context: ServiceContext,
    private readonly config: RiskConfigService,
    private readonly detection: DetectionService,
  ) {}

  private get repo(): PlayRepository {
    return new PlayRepository(this.context.store.db);
  }

  /** Every play; webhook URLs only for readers who may edit plays. */
  async list(reader: Actor): Promise<PlayView[]> {
    return (await this.repo.list()).map((play) => viewFor(reader, toView(play)));
  }

  /** A play by id or key. */
  async get(ref: number | string, reader: Actor): Promise<PlayView> {
    return viewFor(reader, toView(await this.require(ref)));
  }

  private async require(ref: number | string): Promise<PlayRecord> {
    const play =
      typeof ref === 'number' || /^\d+$/.test(ref)
        ? await this.repo.find(Number(ref))
        : await this.repo.findByKey(ref);
    if (!play) throw new AppError('PLAY_NOT_FOUND', `No play ${JSON.stringify(ref)}.`, { play: ref });
    return play;
  }

  async create(actor: Actor, input: unknown): Promise<PlayView> {
    assertCan(actor, 'config.write');
    const parsed = playInput.safeParse(input);
    if (!parsed.success) throw validationFailed(parsed.error, 'play');
    await this.checkReferences(parsed.data.definition);
    await this.checkDestinations(parsed.data.definition);
    const key = parsed.data.key ?? keyFromName(parsed.data.name, 'play').slice(0, 64);
    if (await this.repo.findByKey(key))
      throw new AppError('PLAY_KEY_TAKEN', `A play with key "${key}" exists.`, { key });
    const now = this.context.clock.now();
    const id = await inTransaction(this.context, async (db) => {
      const created = await new PlayRepository(db).insert(
        {
          key,
          name: parsed.data.name,
          description: parsed.data.description ?? null,
          definition: JSON.stringify(parsed.data.definition),
        },
        actor.userId,
        now,
      );
      await new AuditRepository(db).append(actor, now, [
        {
          entityType: 'play',
          entityId: created,
          accountId: null,
          action: 'created',
          changes: { key, ...parsed.data },
        },
      ]);
      return created;
    });
    return this.get(id, actor);
  }

  /** Edits a play; a changed definition becomes a new version that only new runs use. */
  async update(actor: Actor, ref: number | string, input: unknown): Promise<PlayView> {
    assertCan(actor, 'config.write');
    const parsed = playPatch.safeParse(input);
    if (!parsed.success) throw validationFailed(parsed.error, 'play');
    const play = await this.require(ref);
    const { version, ...changes } = parsed.data;
    if (changes.definition) {
      await this.checkReferences(changes.definition);
      await this.checkDestinations(changes.definition);
    }
    const now = this.context.clock.now();
    await inTransaction(this.context, async (db) => {
      const repo = new PlayRepository(db);
      const done = await repo.update(
        play.id,
        { ...changes, definition: changes.definition && JSON.stringify(changes.definition) },
        version,
        actor.userId,
        now,
      );
      if (!done) {
        const current = await repo.find(play.id);
        throw new AppError('VERSION_CONFLICT', `Play ${play.key} was changed by someone else.`, {
          current: current && toView(current),
        });
      }
      await new AuditRepository(db).append(actor, now, [
        {
          entityType: 'play',
          entityId: play.id,
          accountId: null,
          action: changes.active === undefined ? 'updated' : changes.active ? 'activated' : 'deactivated',
          changes,
        },
      ]);
    });
    return this.get(play.id, actor);
  }

  async versions(
    ref: number | string,
    reader: Actor,
  ): Promise<{ version: number; definition: PlayDefinition; createdAt: string }[]> {
    const play = await this.require(ref);
    return (await this.repo.versions(play.id)).map((entry) => {
      const definition = playDefinitionSchema.parse(JSON.parse(entry.definition));
      return {
        version: entry.version,
        definition: mayReadUrls(reader) ? definition : withUrlsHidden(definition),
        createdAt: entry.createdAt,
      };
    });
  }

  /** Who would enter the play if it were turned on now, and which group each would land in. */
  async dryRun(ref: number | string, definitionInput?: unknown): Promise<DryRun> {
    const play = await this.require(ref);
    let definition = toView(play).definition;
    if (definitionInput !== undefined) {
      const parsed = playDefinitionSchema.safeParse(definitionInput);
      if (!parsed.success) throw validationFailed(parsed.error, 'definition');
      definition = parsed.data;
    }
    const now = this.context.clock.now();
    const repo = this.repo;
    let accountIds = await repo.triggerPopulation(definition.trigger, now);
    if (definition.conditions)
      accountIds = await repo.accountsMatching(
        parseFilter(definition.conditions),
        { now, postgres: this.context.store.kind === 'postgres' },
        accountIds,
      );
    const already = await repo.accountsInPlay(play.id, accountIds, new Date(now.getTime() - 30 * 86_400_000));
    const entering = accountIds.filter((id) => !already.has(id));
    const cohorts = entering.map((id) => ({
      id,
      cohort: isHeldOut(play.key, id, definition.holdoutPercent)
        ? ('holdout' as const)
        : ('treated' as const),
    }));
    const shown = await new AccountRepository(this.context.store.db).findManyById(
      cohorts.slice(0, PREVIEW_LIMIT).map((entry) => entry.id),
    );
    return {
      playId: play.id,
      total: entering.length,
      treated: cohorts.filter((entry) => entry.cohort === 'treated').length,
      holdout: cohorts.filter((entry) => entry.cohort === 'holdout').length,
      alreadyInPlay: already.size,
      accounts: cohorts.slice(0, PREVIEW_LIMIT).flatMap((entry) => {
        const account = shown.get(entry.id);
        return account
          ? [{ id: entry.id, externalId: account.externalId, name: account.name, cohort: entry.cohort }]
          : [];
      }),
    };
  }

  async runs(
    filter: { play?: number | string; accountId?: number; status?: string },
    page: { limit: number; offset: number },
  ): Promise<{ total: number; items: RunRecord[] }> {
    const playId = filter.play === undefined ? undefined : (await this.require(filter.play)).id;
    const query = { playId, accountId: filter.accountId, status: filter.status };
    const [total, items] = await Promise.all([
      this.repo.countRuns(query),
      this.repo.runs(query, page.limit, page.offset),
    ]);
    return { total, items };
  }

  /** One run with what each step did, its tasks and its messages. */
  async run(id: number, reader: Actor) {
    const repo = this.repo;
    const run = await repo.findRun(id);
    if (!run) throw new AppError('NOT_FOUND', `No play run ${id}.`, { runId: id });
    const [steps, messages, tasks] = await Promise.all([
      repo.stepLog(id),
      repo.messages({ runId: id }),
      repo.tasks({ runId: id, state: 'all' }, this.context.clock.now(), 100, 0),
    ]);
    if (mayReadUrls(reader)) return { ...run, steps, messages, tasks: tasks.items };
    return {
      ...run,
      // Runs logged before the step log stopped keeping the URL still hold it.
      steps: steps.map((step) => (step.kind === 'webhook' ? { ...step, result: { queued: true } } : step)),
      messages: messages.map(withoutUrl),
      tasks: tasks.items,
    };
  }

  /** Treated vs held-out: save rate, churn and health change after 30 days, with intervals. */
  async effectiveness(ref: number | string): Promise<EffectivenessReport & { playId: number }> {
    const play = await this.require(ref);
    const db = this.context.store.db;
    const rows = await this.repo.runOutcomes(play.id);
    const now = this.context.clock.now();
    const health = new HealthRepository(db);
    // Health 30 days on, read per distinct day so a book of runs costs a few queries, not one each.
    const byDay = new Map<string, number[]>();
    for (const row of rows) {
      const day = thirtyDaysOn(row.started_at);
      if (day > dayOf(now.toISOString())) continue;
      byDay.set(day, [...(byDay.get(day) ?? []), row.account_id]);
    }
    const later = new Map<string, number>();
    for (const [day, accounts] of byDay) {
      const scores = await health.scoresAsOf(accounts, day);
      for (const [accountId, stored] of scores) later.set(`${day}:${accountId}`, stored.score);
    }
    const outcomes: RunOutcome[] = rows.map((row) => {
      const day = thirtyDaysOn(row.started_at);
      const after = later.get(`${day}:${row.account_id}`);
      return {
        cohort: row.cohort === 'holdout' ? 'holdout' : 'treated',
        outcome: row.outcome === 'recovered' || row.outcome === 'lost' ? row.outcome : null,
        healthChange30:
          after !== undefined && row.health_at_start !== null ? after - row.health_at_start : null,
      };
    });
    return { playId: play.id, ...playEffectiveness(outcomes) };
  }

  /** Messages plays queued, optionally only those in one state or for one account. */
  async messages(filter: { status?: string; accountId?: number }, reader: Actor): Promise<OutboxRecord[]> {
    const messages = await this.repo.messages(filter);
    return mayReadUrls(reader) ? messages : messages.map(withoutUrl);
  }

  /** Queues an unconfirmed, failed or undeliverable message again, once a person has checked it. */
  async retryMessage(actor: Actor, id: number) {
    assertCan(actor, 'config.write');
    const now = this.context.clock.now();
    await inTransaction(this.context, async (db) => {
      if (!(await new PlayRepository(db).retryMessage(id, now)))
        throw new AppError('NOT_FOUND', `No unconfirmed, failed or undeliverable message ${id}.`, {
          messageId: id,
        });
      await new AuditRepository(db).append(actor, now, [
        {
          entityType: 'outbox_message',
          entityId: id,
          accountId: null,
          action: 'resend_requested',
          changes: {},
        },
      ]);
    });
    const [message] = (await this.repo.messages({})).filter((candidate) => candidate.id === id);
    return message;
  }

  /** Every webhook must point where the outbound rules and the admins' allowlist allow. */
  private async checkDestinations(definition: PlayDefinition): Promise<void> {
    if (!definition.steps.some((step) => step.kind === 'webhook')) return;
    const policy = new OutboundPolicy((await this.config.settings()).outboundAllowlist);
    for (const [i, step] of definition.steps.entries()) {
      if (step.kind !== 'webhook') continue;
      const checked = policy.checkUrl(step.url);
      if (checked.allowed) continue;
      const field = `definition.steps.${i}.url`;
      throw new AppError('DESTINATION_FORBIDDEN', `${field}: ${explainRefusal(checked.reason)}`, {
        field,
        reason: checked.reason,
      });
    }
  }

  /** Every stage, reason, segment, rule and user a definition names must exist. */
  private async checkReferences(definition: PlayDefinition): Promise<void> {
    const [stages, reasons, rules] = await Promise.all([
      this.config.listStages(),
      this.config.listReasons(),
      this.detection.rules(),
    ]);
    const segments = new SavedSegmentRepository(this.context.store.db);
    const users = await new UserRepository(this.context.store.db).listUsers();
    const fail = (field: string, message: string) => {
      throw new AppError('VALIDATION_FAILED', `${field}: ${message}`, { field });
    };
    const stageKeys = new Set(stages.map((stage) => stage.key));
    const retired = new Set(stages.filter((stage) => !stage.active).map((stage) => stage.key));
    const reasonKeys = new Set(reasons.map((reason) => reason.key));
    const trigger = definition.trigger;
    switch (trigger.kind) {
      case 'case_opened':
        for (const [i, reason] of (trigger.reasons ?? []).entries())
          if (!reasonKeys.has(reason)) fail(`definition.trigger.reasons.${i}`, `no risk reason "${reason}"`);
        break;
      case 'reason_added':
        if (!reasonKeys.has(trigger.reason))
          fail('definition.trigger.reason', `no risk reason "${trigger.reason}"`);
        break;
      case 'stage_changed':
        if (!stageKeys.has(trigger.to)) fail('definition.trigger.to', `no risk stage "${trigger.to}"`);
        break;
      case 'segment_entered':
      case 'segment_left':
        if (!(await segments.findByKey(trigger.segment)))
          fail('definition.trigger.segment', `no saved segment "${trigger.segment}"`);
        break;
      case 'signal_rule_fired':
        if (!rules.some((rule) => rule.key === trigger.rule))
          fail('definition.trigger.rule', `no detection rule "${trigger.rule}"`);
        break;
      case 'touchpoint_logged':
      case 'schedule':
        break;
    }
    const checkAction = (action: PlayAction, field: string) => {
      if (action.kind === 'set_stage' && !stageKeys.has(action.stage))
        fail(field, `no risk stage "${action.stage}"`);
      if (action.kind === 'set_stage' && retired.has(action.stage))
        fail(field, `the stage "${action.stage}" is retired: it takes no more cases`);
      if ((action.kind === 'add_reason' || action.kind === 'remove_reason') && !reasonKeys.has(action.reason))
        fail(field, `no risk reason "${action.reason}"`);
    };
    definition.steps.forEach((step, i) => {
      if (step.kind === 'action') checkAction(step.action, `definition.steps.${i}.action`);
      if (step.kind === 'task') {
        step.onComplete?.actions.forEach((action, j) =>
          checkAction(action, `definition.steps.${i}.onComplete.actions.${j}`),
        );
        const assignee = step.assignee;
        if (
          assignee.kind === 'user' &&
          !users.some((user) => user.email.toLowerCase() === assignee.email.toLowerCase())
        )
          fail(`definition.steps.${i}.assignee.email`, `no user "${assignee.email}"`);
      }
    });
  }
}

/** The day health is read again for a run that started at `startedAt`. */
function thirtyDaysOn(startedAt: string): string {
  return dayOf(new Date(Date.parse(startedAt) + 30 * 86_400_000).toISOString());
}

/** Webhook URLs (often holding a token) are for those who may edit plays. */
function mayReadUrls(reader: Actor): boolean {
  return can(reader, 'config.write');
}

function viewFor(reader: Actor, view: PlayView): PlayView {
  return mayReadUrls(reader) ? view : { ...view, definition: withUrlsHidden(view.definition) };
}

function withoutUrl(message: OutboxRecord): OutboxRecord {
  return message.kind === 'webhook'
    ? { ...message, payload: { ...message.payload, url: HIDDEN_URL } }
    : message;
}

function explainRefusal(reason: string): string {
  switch (reason) {
    case 'invalid_url':
      return 'not a valid URL.';
    case 'scheme':
      return 'only http and https URLs may be used.';
    case 'metadata':
      return 'cloud metadata addresses are never reachable from plays.';
    default:
      return (
        `the address is on an internal or reserved network (${reason}); an admin can open internal ` +
        'hosts to plays with the outboundAllowlist setting.'
      );
  }
}

function toView(play: PlayRecord): PlayView {
  return {
    id: play.id,
    key: play.key,
    name: play.name,
    description: play.description,
    active: play.active,
    definitionVersion: play.currentVersion,
    definition: playDefinitionSchema.parse(JSON.parse(play.definition)),
    createdAt: play.createdAt,
    updatedAt: play.updatedAt,
    version: play.version,
  };
}

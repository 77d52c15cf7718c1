// Saved segments: named account filters with live counts, their members, and a history of who
// entered and left (refreshed by the daily run and after ingest; playbooks trigger on it).
import { z } from 'zod';
import { AppError } from '../domain/errors';
import { assertCan, type Actor } from '../domain/policy';
import { parseFilter, readsActivity, type Filter } from '../domain/segment-filter';
import { keyFromName } from '../domain/values';
import { AuditRepository } from '../store/audit.repository';
import { HealthRepository } from '../store/health.repository';
import { PlayRepository } from '../store/play.repository';
import {
  SavedSegmentRepository,
  type MembershipEvent,
  type SavedSegment,
  type SegmentAccount,
} from '../store/saved-segment.repository';
import type { FilterContext } from '../store/segment-query';
import { inTransaction, type ServiceContext } from './context';
import { validationFailed } from './json-config';

const segmentInput = z
  .object({
    key: z
      .string()
      .regex(/^[a-z0-9_]{1,64}$/, 'lower-case letters, digits and _')
      .optional(),
    name: z.string().trim().min(1).max(200),
    description: z.string().max(2000).nullable().optional(),
    filter: z.string().min(1).max(4000),
  })
  .strict();

const segmentPatch = segmentInput.partial().extend({ version: z.number().int().positive() }).strict();

/**
 * A segment with its members as of the last refresh (kept current by every ingest for the accounts
 * it touched, the daily run and each save of its filter), and its live count only when asked for:
 * counting a windowed usage filter over a large book takes seconds per segment.
 */
export interface SegmentView extends SavedSegment {
  /** Accounts matching the filter right now, when counted. */
  liveCount?: number;
}

/** An account matching a segment, with its latest health score (null before it was first scored). */
export interface SegmentMember extends SegmentAccount {
  health: { score: number; band: string } | null;
}

export interface RefreshResult {
  segmentId: number;
  key: string;
  entered: number;
  left: number;
  members: number;
}

export interface MembershipChange {
  segmentId: number;
  key: string;
  entered: number[];
  left: number[];
  at: string;
}

type MembershipListener = (changes: MembershipChange[]) => Promise<void>;

export class SavedSegmentService {
  private readonly listeners: MembershipListener[] = [];

  constructor(private readonly context: ServiceContext) {}

  private get repo() {
    return new SavedSegmentRepository(this.context.store.db);
  }

  private filterContext(): FilterContext {
    return { now: this.context.clock.now(), postgres: this.context.store.kind === 'postgres' };
  }

  /** Called with every batch of entries and exits, after they are stored. */
  onMembershipChanged(listener: MembershipListener): void {
    this.listeners.push(listener);
  }

  private async require(id: number): Promise<SavedSegment> {
    const segment = await this.repo.findById(id);
    if (!segment) throw new AppError('SEGMENT_NOT_FOUND', `No segment ${id}.`, { segmentId: id });
    return segment;
  }

  /** Every saved segment with its members as of the last refresh; with `live`, also counted now. */
  async list(options: { live?: boolean } = {}): Promise<SegmentView[]> {
    const segments = await this.repo.list();
    return options.live ? Promise.all(segments.map((segment) => this.counted(segment))) : segments;
  }

  /** One segment; with `live`, also counted now. */
  async get(id: number, options: { live?: boolean } = {}): Promise<SegmentView> {
    const segment = await this.require(id);
    return options.live ? this.counted(segment) : segment;
  }

  private async counted(segment: SavedSegment): Promise<SegmentView> {
    return {
      ...segment,
      liveCount: await this.repo.countMatching(parseFilter(segment.filter), this.filterContext()),
    };
  }

  /** A page of the accounts matching a filter now, each with its latest health score. */
  private async matching(
    filter: Filter,
    context: FilterContext,
    page: { limit: number; offset: number },
  ): Promise<SegmentMember[]> {
    return this.withScores(await this.repo.matchingAccounts(filter, context, page), context);
  }

  private async withScores(accounts: SegmentAccount[], context: FilterContext): Promise<SegmentMember[]> {
    const scores = await new HealthRepository(this.context.store.db).latestScores(
      accounts.map((account) => account.id),
      context.now.toISOString().slice(0, 10),
      { inclusive: true },
    );
    return accounts.map((account) => ({ ...account, health: scores.get(account.id) ?? null }));
  }

  /** How many accounts a filter matches now, and the first of them: for writing a filter before saving it. */
  async preview(
    filterText: string,
    page = { limit: 50, offset: 0 },
  ): Promise<{ count: number; items: SegmentMember[] }> {
    const filter = parseFilter(filterText);
    const context = this.filterContext();
    return {
      count: await this.repo.countMatching(filter, context),
      items: await this.matching(filter, context, page),
    };
  }

  /**
   * The segment's members as of its last refresh, by name, a page at a time; with `live`, the
   * accounts matching its filter now.
   */
  async members(
    id: number,
    page: { limit: number; offset: number },
    options: { live?: boolean } = {},
  ): Promise<{ total: number; items: SegmentMember[] }> {
    const segment = await this.require(id);
    const context = this.filterContext();
    if (!options.live)
      return {
        total: segment.memberCount,
        items: await this.withScores(await this.repo.memberAccounts(id, page), context),
      };
    const filter = parseFilter(segment.filter);
    return {
      total: await this.repo.countMatching(filter, context),
      items: await this.matching(filter, context, page),
    };
  }

  async create(actor: Actor, input: unknown): Promise<SegmentView> {
    assertCan(actor, 'segments.write');
    const parsed = segmentInput.safeParse(input);
    if (!parsed.success) throw validationFailed(parsed.error, 'segment');
    parseFilter(parsed.data.filter);
    const key = parsed.data.key ?? keyFromName(parsed.data.name, 'segment').slice(0, 64);
    if (await this.repo.findByKey(key))
      throw new AppError('SEGMENT_KEY_TAKEN', `A segment with key "${key}" exists.`, { key });
    const now = this.context.clock.now();
    const id = await inTransaction(this.context, async (db) => {
      const created = await new SavedSegmentRepository(db).insert(
        {
          key,
          name: parsed.data.name,
          description: parsed.data.description ?? null,
          filter: parsed.data.filter,
        },
        actor.userId,
        now,
      );
      await new AuditRepository(db).append(actor, now, [
        {
          entityType: 'segment',
          entityId: created,
          accountId: null,
          action: 'created',
          changes: { key, ...parsed.data },
        },
      ]);
      return created;
    });
    return this.refreshed(id);
  }

  /**
   * The segment after bringing its membership up to date, so that its member count is right from
   * the moment its filter is saved (entries are recorded, as the next daily run would).
   */
  private async refreshed(id: number): Promise<SegmentView> {
    await this.refresh({ segmentIds: [id] });
    const segment = await this.require(id);
    return { ...segment, liveCount: segment.memberCount };
  }

  async update(actor: Actor, id: number, input: unknown): Promise<SegmentView> {
    assertCan(actor, 'segments.write');
    const parsed = segmentPatch.safeParse(input);
    if (!parsed.success) throw validationFailed(parsed.error, 'segment');
    const { version, ...changes } = parsed.data;
    if (changes.filter !== undefined) parseFilter(changes.filter);
    const before = await this.require(id);
    if (changes.key !== undefined && changes.key !== before.key && (await this.repo.findByKey(changes.key)))
      throw new AppError('SEGMENT_KEY_TAKEN', `A segment with key "${changes.key}" exists.`, {
        key: changes.key,
      });
    const now = this.context.clock.now();
    await inTransaction(this.context, async (db) => {
      const fields = {
        ...(changes.key !== undefined && { key: changes.key }),
        ...(changes.name !== undefined && { name: changes.name }),
        ...(changes.description !== undefined && { description: changes.description }),
        ...(changes.filter !== undefined && { filter: changes.filter }),
      };
      if (!(await new SavedSegmentRepository(db).update(id, fields, now, version))) {
        const current = await new SavedSegmentRepository(db).findById(id);
        throw new AppError('VERSION_CONFLICT', `Segment ${id} was changed by someone else.`, { current });
      }
      await new AuditRepository(db).append(actor, now, [
        { entityType: 'segment', entityId: id, accountId: null, action: 'updated', changes: fields },
      ]);
    });
    return changes.filter !== undefined && changes.filter !== before.filter
      ? this.refreshed(id)
      : this.get(id);
  }

  async delete(actor: Actor, id: number): Promise<void> {
    assertCan(actor, 'segments.write');
    const segment = await this.require(id);
    const now = this.context.clock.now();
    await inTransaction(this.context, async (db) => {
      await new SavedSegmentRepository(db).delete(id);
      await new AuditRepository(db).append(actor, now, [
        {
          entityType: 'segment',
          entityId: id,
          accountId: null,
          action: 'deleted',
          changes: { key: segment.key },
        },
      ]);
    });
  }

  /**
   * Brings membership up to date: who matches now against who was a member, recording each entry
   * and exit, in one transaction. Limited to `accountIds` (after an ingest: then only segments whose
   * filter reads health, signals or risk cases, the things an ingest changes) or to `segmentIds`.
   */
  async refresh(
    options: { segmentIds?: readonly number[]; accountIds?: readonly number[] } = {},
  ): Promise<RefreshResult[]> {
    const context = this.filterContext();
    const complete = options.accountIds === undefined;
    const segments = (await this.repo.list()).flatMap((segment) => {
      if (options.segmentIds && !options.segmentIds.includes(segment.id)) return [];
      try {
        const filter = parseFilter(segment.filter);
        return complete || readsActivity(filter) ? [{ segment, filter }] : [];
      } catch {
        return []; // a filter saved before a field was renamed; it shows its error where it is edited
      }
    });
    const { results, changes } = await inTransaction(this.context, async (db) => {
      const repo = new SavedSegmentRepository(db);
      const results: RefreshResult[] = [];
      const changes: MembershipChange[] = [];
      for (const { segment, filter } of segments) {
        const matching = new Set(await repo.matchingIds(filter, context, options.accountIds));
        const members = await repo.memberIds(segment.id, options.accountIds);
        const wanted = {
          entered: [...matching].filter((id) => !members.has(id)),
          left: [...members].filter((id) => !matching.has(id)),
        };
        const { entered, left } =
          complete || wanted.entered.length + wanted.left.length > 0
            ? await repo.applyMembership(segment.id, wanted, context.now, complete)
            : wanted;
        await new PlayRepository(db).recordEvents(
          [
            ...entered.map((accountId) => ({
              kind: 'segment_entered' as const,
              accountId,
              segment: segment.key,
            })),
            ...left.map((accountId) => ({ kind: 'segment_left' as const, accountId, segment: segment.key })),
          ],
          context.now,
        );
        results.push({
          segmentId: segment.id,
          key: segment.key,
          entered: entered.length,
          left: left.length,
          members: segment.memberCount + entered.length - left.length,
        });
        if (entered.length + left.length > 0)
          changes.push({
            segmentId: segment.id,
            key: segment.key,
            entered,
            left,
            at: context.now.toISOString(),
          });
      }
      return { results, changes };
    });
    if (changes.length > 0) for (const listener of this.listeners) await listener(changes);
    return results;
  }

  /**
   * Brings one segment's membership up to date now (leads and admins), recording entries and exits;
   * a filter that no longer reads is refused with its error rather than passed over.
   */
  async refreshOne(actor: Actor, id: number): Promise<RefreshResult> {
    assertCan(actor, 'segments.write');
    const segment = await this.require(id);
    parseFilter(segment.filter);
    const [result] = await this.refresh({ segmentIds: [id] });
    if (!result) throw new AppError('SEGMENT_NOT_FOUND', `No segment ${id}.`, { segmentId: id });
    return result;
  }

  /** Entries and exits of one segment, newest first. */
  async history(id: number, page: { limit: number; offset: number }): Promise<MembershipEvent[]> {
    await this.require(id);
    return this.repo.events({ segmentId: id }, page);
  }

  /** The segments an account entered and left, newest first. */
  async accountHistory(
    accountId: number,
    page: { limit: number; offset: number },
  ): Promise<MembershipEvent[]> {
    return this.repo.events({ accountId }, page);
  }
}

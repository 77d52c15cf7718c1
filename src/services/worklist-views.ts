// Saved worklist views: a user names the worklist's filters, sort and scope ("Renewals this
// quarter") and picks them again later; a view can be shared with the owner's team, who read it
// but cannot change it. Only known filter keys are stored.
import type { Selectable } from 'kysely';
import { z } from 'zod';
import { AppError } from '../domain/errors';
import { QUADRANTS } from '../domain/matrix';
import type { Actor } from '../domain/policy';
import { isUniqueViolation } from '../store/errors';
import type { WorklistViewTable } from '../store/schema';
import { UserRepository } from '../store/user.repository';
import type { ServiceContext } from './context';

const key = z.string().regex(/^[a-z0-9_]{1,64}$/, 'use lowercase letters, digits and _');

export const WORKLIST_SCOPES = ['mine', 'team', 'all'] as const;
export type WorklistScope = (typeof WORKLIST_SCOPES)[number];
export const WORKLIST_SORTS = [
  'priority',
  'time_in_stage',
  'arr_at_risk',
  'ltv',
  'opened_at',
  'last_update',
] as const;

/** The worklist filters a view keeps: only these keys, each as the worklist reads it. */
export const worklistFiltersSchema = z
  .object({
    q: z.string().max(200),
    stage: z.array(key).min(1).max(20),
    reason: key,
    ownerId: z.number().int().positive(),
    teamId: z.number().int().positive(),
    track: z.enum(['human', 'digital']),
    quadrant: z.enum(QUADRANTS),
    overdue: z.boolean(),
    status: z.enum(['open', 'closed', 'all']),
  })
  .partial()
  .strict();
export type WorklistFilters = z.infer<typeof worklistFiltersSchema>;

const viewName = z.string().trim().min(1).max(100);

export const worklistViewInput = z
  .object({
    name: viewName,
    scope: z.enum(WORKLIST_SCOPES),
    filters: worklistFiltersSchema.default({}),
    sort: z.enum(WORKLIST_SORTS).default('priority'),
    order: z.enum(['asc', 'desc']).nullable().default(null),
    /** Shared with the owner's team (read only for them). */
    shared: z.boolean().default(false),
  })
  .strict();
export type WorklistViewInput = z.input<typeof worklistViewInput>;

export const worklistViewPatch = z
  .object({
    name: viewName,
    scope: z.enum(WORKLIST_SCOPES),
    filters: worklistFiltersSchema,
    sort: z.enum(WORKLIST_SORTS),
    order: z.enum(['asc', 'desc']).nullable(),
    shared: z.boolean(),
  })
  .partial()
  .strict();
export type WorklistViewPatch = z.input<typeof worklistViewPatch>;

export interface WorklistView {
  id: number;
  name: string;
  scope: WorklistScope;
  filters: WorklistFilters;
  sort: (typeof WORKLIST_SORTS)[number];
  order: 'asc' | 'desc' | null;
  /** Shared with the owner's team. */
  shared: boolean;
  ownerId: number;
  ownerName: string;
  /** The caller's own view (they may rename, change and delete it). */
  mine: boolean;
  createdAt: string;
  updatedAt: string;
}

export class WorklistViewService {
  constructor(private readonly context: ServiceContext) {}

  /** The caller's own views, then those their team shares, by name. */
  async list(actor: Actor): Promise<WorklistView[]> {
    const userId = signedIn(actor);
    const db = this.context.store.db;
    const rows = await db
      .selectFrom('worklist_views')
      .selectAll()
      .where((eb) =>
        actor.teamId === null
          ? eb('user_id', '=', userId)
          : eb.or([eb('user_id', '=', userId), eb('team_id', '=', actor.teamId)]),
      )
      .execute();
    const views = await this.toViews(actor, rows);
    return views.sort(
      (a, b) => Number(b.mine) - Number(a.mine) || a.name.localeCompare(b.name) || a.id - b.id,
    );
  }

  /** One view the caller may read; another's unshared view is not found. */
  async get(actor: Actor, id: number): Promise<WorklistView> {
    const [view] = await this.toViews(actor, [await this.readable(actor, id)]);
    if (!view) throw notFound(id);
    return view;
  }

  async create(actor: Actor, input: WorklistViewInput): Promise<WorklistView> {
    const userId = signedIn(actor);
    const fields = worklistViewInput.parse(input);
    const now = this.context.clock.now().toISOString();
    const inserted = await this.context.store.db
      .insertInto('worklist_views')
      .values({
        user_id: userId,
        team_id: fields.shared ? teamOf(actor) : null,
        name: fields.name,
        scope: fields.scope,
        filters: JSON.stringify(fields.filters),
        sort: fields.sort,
        sort_order: fields.order,
        created_at: now,
        updated_at: now,
      })
      .returning('id')
      .executeTakeFirstOrThrow()
      .catch((error: unknown) => {
        if (isUniqueViolation(error)) throw nameTaken(fields.name);
        throw error;
      });
    return this.get(actor, inserted.id);
  }

  /** Renames, reshapes or (un)shares one of the caller's own views. */
  async update(actor: Actor, id: number, patch: WorklistViewPatch): Promise<WorklistView> {
    const fields = worklistViewPatch.parse(patch);
    await this.own(actor, id);
    const now = this.context.clock.now().toISOString();
    await this.context.store.db
      .updateTable('worklist_views')
      .set({
        ...(fields.name !== undefined && { name: fields.name }),
        ...(fields.scope !== undefined && { scope: fields.scope }),
        ...(fields.filters !== undefined && { filters: JSON.stringify(fields.filters) }),
        ...(fields.sort !== undefined && { sort: fields.sort }),
        ...(fields.order !== undefined && { sort_order: fields.order }),
        ...(fields.shared !== undefined && { team_id: fields.shared ? teamOf(actor) : null }),
        updated_at: now,
      })
      .where('id', '=', id)
      .execute()
      .catch((error: unknown) => {
        if (isUniqueViolation(error)) throw nameTaken(fields.name ?? '');
        throw error;
      });
    return this.get(actor, id);
  }

  async remove(actor: Actor, id: number): Promise<void> {
    await this.own(actor, id);
    await this.context.store.db.deleteFrom('worklist_views').where('id', '=', id).execute();
  }

  private async readable(actor: Actor, id: number): Promise<Selectable<WorklistViewTable>> {
    const userId = signedIn(actor);
    const row = await this.context.store.db
      .selectFrom('worklist_views')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirst();
    if (!row || (row.user_id !== userId && (actor.teamId === null || row.team_id !== actor.teamId)))
      throw notFound(id);
    return row;
  }

  /** The caller's own view: another's, shared or not, is not theirs to change. */
  private async own(actor: Actor, id: number): Promise<Selectable<WorklistViewTable>> {
    const row = await this.readable(actor, id);
    if (row.user_id !== actor.userId) throw notFound(id);
    return row;
  }

  private async toViews(actor: Actor, rows: Selectable<WorklistViewTable>[]): Promise<WorklistView[]> {
    if (rows.length === 0) return [];
    const users = new Map(
      (await new UserRepository(this.context.store.db).listUsers()).map((user) => [user.id, user.name]),
    );
    return rows.map((row) => ({
      id: row.id,
      name: row.name,
      scope: z.enum(WORKLIST_SCOPES).parse(row.scope),
      filters: worklistFiltersSchema.parse(JSON.parse(row.filters)),
      sort: z.enum(WORKLIST_SORTS).parse(row.sort),
      order: z.enum(['asc', 'desc']).nullable().parse(row.sort_order),
      shared: row.team_id !== null,
      ownerId: row.user_id,
      ownerName: users.get(row.user_id) ?? '',
      mine: row.user_id === actor.userId,
      createdAt: row.created_at,
      updatedAt: row.updated_at,
    }));
  }
}

function signedIn(actor: Actor): number {
  if (actor.userId === null)
    throw new AppError('FORBIDDEN', 'Saved worklist views belong to a signed-in user.', {
      permission: 'read',
    });
  return actor.userId;
}

function teamOf(actor: Actor): number {
  if (actor.teamId === null)
    throw new AppError('VALIDATION_FAILED', 'shared: you are in no team to share the view with.', {
      field: 'shared',
    });
  return actor.teamId;
}

const notFound = (id: number) =>
  new AppError('WORKLIST_VIEW_NOT_FOUND', `No saved worklist view ${id}.`, { viewId: id });

const nameTaken = (name: string) =>
  new AppError('WORKLIST_VIEW_NAME_TAKEN', `You already have a view named "${name}".`, {
    field: 'name',
  });

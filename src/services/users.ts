// Users and teams, managed by admins.
import { AppError } from '../domain/errors';
import { assertCan, type Actor, type Role } from '../domain/policy';
import type { Team, User } from '../domain/user';
import { AuditRepository } from '../store/audit.repository';
import { isUniqueViolation } from '../store/errors';
import { PasswordLinkRepository } from '../store/password-link.repository';
import { UserRepository } from '../store/user.repository';
import { inTransaction, type ServiceContext } from './context';
import type { PasswordLinkSent, PasswordLinkService } from './password-links';
import { checkPasswordRules, hashPassword } from './passwords';

/** Where links point when neither RETAIN_PUBLIC_URL nor a request says (the CLI, the demo). */
export const DEFAULT_ORIGIN = 'http://localhost:3000';

/** A user just added, with the invitation sent when no password was given. */
export type CreatedUser = User & { invitation: PasswordLinkSent | null };

export interface NewUserInput {
  email: string;
  name: string;
  role: Role;
  teamId?: number | null;
  password?: string;
}

export interface UserChanges {
  name?: string;
  role?: Role;
  teamId?: number | null;
  active?: boolean;
  password?: string;
}

export class UserService {
  constructor(
    private readonly context: ServiceContext,
    private readonly links: PasswordLinkService,
  ) {}

  private get repo() {
    return new UserRepository(this.context.store.db);
  }

  listTeams(): Promise<Team[]> {
    return this.repo.listTeams();
  }

  async getTeam(id: number): Promise<Team> {
    const team = await this.repo.findTeam(id);
    if (!team) throw new AppError('TEAM_NOT_FOUND', `No team ${id}.`, { teamId: id });
    return team;
  }

  async createTeam(actor: Actor, name: string): Promise<Team> {
    assertCan(actor, 'users.manage');
    const now = this.context.clock.now();
    const id = await inTransaction(this.context, async (db) => {
      const teamId = await new UserRepository(db).insertTeam(name.trim(), now).catch((error: unknown) => {
        if (isUniqueViolation(error))
          throw new AppError('TEAM_NAME_TAKEN', `A team "${name}" exists.`, { name });
        throw error;
      });
      await new AuditRepository(db).append(actor, now, [
        { entityType: 'team', entityId: teamId, accountId: null, action: 'created', changes: { name } },
      ]);
      return teamId;
    });
    const team = await this.repo.findTeam(id);
    if (!team) throw new Error('team vanished after insert');
    return team;
  }

  listUsers(): Promise<User[]> {
    return this.repo.listUsers();
  }

  async get(id: number): Promise<User> {
    const user = await this.repo.findUser(id);
    if (!user) throw new AppError('USER_NOT_FOUND', `No user ${id}.`, { userId: id });
    return user;
  }

  /**
   * Creates a user. Without a password the user is invited: a set-password link is e-mailed when
   * mail is set up, and answered either way. `origin` is where the links point without
   * RETAIN_PUBLIC_URL.
   */
  async create(actor: Actor, input: NewUserInput, origin = DEFAULT_ORIGIN): Promise<CreatedUser> {
    assertCan(actor, 'users.manage');
    if (input.password !== undefined) checkPasswordRules(input.password);
    // An invitation's link must be one to send before the user is added.
    else this.links.linkBase(origin);
    const email = input.email.trim().toLowerCase();
    const passwordHash = input.password === undefined ? null : await hashPassword(input.password);
    const now = this.context.clock.now();
    const id = await inTransaction(this.context, async (db) => {
      const repo = new UserRepository(db);
      if (input.teamId !== undefined && input.teamId !== null && !(await repo.findTeam(input.teamId))) {
        throw new AppError('TEAM_NOT_FOUND', `No team ${input.teamId}.`, { field: 'teamId' });
      }
      const userId = await repo
        .insertUser(
          { email, name: input.name, role: input.role, teamId: input.teamId ?? null, active: true },
          passwordHash,
          now,
        )
        .catch((error: unknown) => {
          if (isUniqueViolation(error))
            throw new AppError('USER_EMAIL_TAKEN', `A user "${email}" exists.`, { email });
          throw error;
        });
      await new AuditRepository(db).append(actor, now, [
        {
          entityType: 'user',
          entityId: userId,
          accountId: null,
          action: 'created',
          changes: { email, role: input.role, teamId: input.teamId ?? null },
        },
      ]);
      return userId;
    });
    const invitation = input.password === undefined ? await this.links.invite(actor, id, origin) : null;
    return { ...(await this.get(id)), invitation };
  }

  async update(actor: Actor, id: number, changes: UserChanges): Promise<User> {
    assertCan(actor, 'users.manage');
    // Nothing asked for, nothing written (no audit entry, no new updatedAt).
    if (Object.values(changes).every((value) => value === undefined)) return this.get(id);
    if (changes.password !== undefined) checkPasswordRules(changes.password);
    const passwordHash = changes.password === undefined ? undefined : await hashPassword(changes.password);
    const now = this.context.clock.now();
    await inTransaction(this.context, async (db) => {
      const repo = new UserRepository(db);
      const user = await repo.findUser(id);
      if (!user) throw new AppError('USER_NOT_FOUND', `No user ${id}.`, { userId: id });
      const losesAdmin =
        user.role === 'admin' &&
        user.active &&
        ((changes.role !== undefined && changes.role !== 'admin') || changes.active === false);
      if (
        losesAdmin &&
        (await repo.otherActiveAdmins(id, this.context.store.kind === 'postgres')).length === 0
      ) {
        throw new AppError(
          'LAST_ADMIN',
          actor.userId === id
            ? 'You are the only active admin who can log in: make someone else an admin first.'
            : `${user.name} is the only active admin who can log in: make someone else an admin first.`,
          { userId: id },
        );
      }
      if (changes.teamId !== undefined && changes.teamId !== null && !(await repo.findTeam(changes.teamId))) {
        throw new AppError('TEAM_NOT_FOUND', `No team ${changes.teamId}.`, { field: 'teamId' });
      }
      const { password: _password, ...fields } = changes;
      await repo.updateUser(id, fields, now, passwordHash);
      // A password change or deactivation ends every session of that user.
      if (passwordHash !== undefined || changes.active === false) await repo.deleteSessionsOfUser(id);
      // A deactivated user's links stop working; once reactivated, an admin sends a new one.
      if (changes.active === false) await new PasswordLinkRepository(db).withdrawPending(id);
      await new AuditRepository(db).append(actor, now, [
        {
          entityType: 'user',
          entityId: id,
          accountId: null,
          action: 'updated',
          changes: { ...fields, ...(passwordHash !== undefined && { password: 'changed' }) },
        },
      ]);
    });
    return this.get(id);
  }
}

// Users, teams, sessions and API tokens.
import type { Kysely } from 'kysely';
import type { Role } from '../domain/policy';
import { userStatus, type Team, type User } from '../domain/user';
import type { Database, UserRow } from './schema';

export interface ApiToken {
  id: number;
  userId: number;
  name: string;
  scope: string;
  createdAt: string;
  lastUsedAt: string | null;
  revokedAt: string | null;
}

export interface UserFields {
  email: string;
  name: string;
  role: Role;
  teamId: number | null;
  active: boolean;
}

export class UserRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async listTeams(): Promise<Team[]> {
    const rows = await this.db.selectFrom('teams').selectAll().orderBy('name').execute();
    return rows.map((row) => ({ id: row.id, name: row.name, createdAt: row.created_at }));
  }

  async findTeam(id: number): Promise<Team | undefined> {
    const row = await this.db.selectFrom('teams').selectAll().where('id', '=', id).executeTakeFirst();
    return row && { id: row.id, name: row.name, createdAt: row.created_at };
  }

  async insertTeam(name: string, now: Date): Promise<number> {
    const row = await this.db
      .insertInto('teams')
      .values({ name, created_at: now.toISOString() })
      .returning('id')
      .executeTakeFirstOrThrow();
    return row.id;
  }

  async listUsers(): Promise<User[]> {
    const rows = await this.db.selectFrom('users').selectAll().orderBy('email').execute();
    return rows.map(toUser);
  }

  async findUser(id: number): Promise<User | undefined> {
    const row = await this.db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();
    return row && toUser(row);
  }

  /**
   * The user with this email and the stored password hash, for login. `lock` (PostgreSQL) holds
   * the row until the transaction ends, so a reset or deactivation waits for the session to exist
   * and then ends it, or commits first and is seen.
   */
  async findUserForLogin(
    email: string,
    lock = false,
  ): Promise<{ user: User; passwordHash: string | null } | undefined> {
    let query = this.db.selectFrom('users').selectAll().where('email', '=', email);
    if (lock) query = query.forUpdate();
    const row = await query.executeTakeFirst();
    return row && { user: toUser(row), passwordHash: row.password_hash };
  }

  /**
   * The active admins other than `exceptId` who can log in (an invited admin, or one sent a
   * reset, cannot until they choose a password). On PostgreSQL their rows stay locked until the
   * transaction ends, so two admins demoting each other at once cannot both succeed.
   */
  async otherActiveAdmins(exceptId: number, postgres: boolean): Promise<number[]> {
    let query = this.db
      .selectFrom('users')
      .select('id')
      .where('role', '=', 'admin')
      .where('active', '=', 1)
      .where('password_hash', 'is not', null)
      .orderBy('id');
    if (postgres) query = query.forUpdate();
    const rows = await query.execute();
    return rows.map((row) => row.id).filter((id) => id !== exceptId);
  }

  /** Whether the user has chosen a password (an invited user has not yet). */
  async hasPassword(id: number): Promise<boolean> {
    const row = await this.db
      .selectFrom('users')
      .select('password_hash')
      .where('id', '=', id)
      .executeTakeFirst();
    return (row?.password_hash ?? null) !== null;
  }

  /** Ends the user's password: they choose a new one by the reset link. */
  async clearPasswordForReset(id: number, now: Date): Promise<void> {
    await this.db
      .updateTable('users')
      .set({ password_hash: null, password_reset_at: now.toISOString(), updated_at: now.toISOString() })
      .where('id', '=', id)
      .execute();
  }

  async recordLogin(id: number, now: Date): Promise<void> {
    await this.db
      .updateTable('users')
      .set({ last_login_at: now.toISOString() })
      .where('id', '=', id)
      .execute();
  }

  async countUsers(): Promise<number> {
    const row = await this.db
      .selectFrom('users')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }

  async insertUser(fields: UserFields, passwordHash: string | null, now: Date): Promise<number> {
    const at = now.toISOString();
    const row = await this.db
      .insertInto('users')
      .values({
        email: fields.email,
        name: fields.name,
        role: fields.role,
        team_id: fields.teamId,
        active: fields.active ? 1 : 0,
        password_hash: passwordHash,
        created_at: at,
        updated_at: at,
        last_login_at: null,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    return row.id;
  }

  async updateUser(id: number, fields: Partial<UserFields>, now: Date, passwordHash?: string): Promise<void> {
    await this.db
      .updateTable('users')
      .set({
        ...(fields.email !== undefined && { email: fields.email }),
        ...(fields.name !== undefined && { name: fields.name }),
        ...(fields.role !== undefined && { role: fields.role }),
        ...(fields.teamId !== undefined && { team_id: fields.teamId }),
        ...(fields.active !== undefined && { active: fields.active ? 1 : 0 }),
        ...(passwordHash !== undefined && { password_hash: passwordHash, password_reset_at: null }),
        updated_at: now.toISOString(),
      })
      .where('id', '=', id)
      .execute();
  }

  async insertSession(session: {
    idHash: string;
    userId: number;
    csrfToken: string;
    now: Date;
    expiresAt: Date;
  }): Promise<void> {
    await this.db
      .insertInto('sessions')
      .values({
        id_hash: session.idHash,
        user_id: session.userId,
        csrf_token: session.csrfToken,
        created_at: session.now.toISOString(),
        last_seen_at: session.now.toISOString(),
        expires_at: session.expiresAt.toISOString(),
      })
      .execute();
  }

  async findSession(idHash: string) {
    return this.db.selectFrom('sessions').selectAll().where('id_hash', '=', idHash).executeTakeFirst();
  }

  async touchSession(idHash: string, now: Date, expiresAt: Date): Promise<void> {
    await this.db
      .updateTable('sessions')
      .set({ last_seen_at: now.toISOString(), expires_at: expiresAt.toISOString() })
      .where('id_hash', '=', idHash)
      .execute();
  }

  async deleteSession(idHash: string): Promise<void> {
    await this.db.deleteFrom('sessions').where('id_hash', '=', idHash).execute();
  }

  async deleteSessionsOfUser(userId: number): Promise<void> {
    await this.db.deleteFrom('sessions').where('user_id', '=', userId).execute();
  }

  async insertApiToken(token: {
    userId: number;
    name: string;
    hash: string;
    scope: string;
    now: Date;
  }): Promise<number> {
    const row = await this.db
      .insertInto('api_tokens')
      .values({
        user_id: token.userId,
        name: token.name,
        token_hash: token.hash,
        scope: token.scope,
        created_at: token.now.toISOString(),
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    return row.id;
  }

  async findApiTokenByHash(hash: string) {
    return this.db.selectFrom('api_tokens').selectAll().where('token_hash', '=', hash).executeTakeFirst();
  }

  async findApiToken(id: number): Promise<ApiToken | undefined> {
    const row = await this.db.selectFrom('api_tokens').selectAll().where('id', '=', id).executeTakeFirst();
    return row && toToken(row);
  }

  async listApiTokens(userId?: number): Promise<ApiToken[]> {
    let query = this.db.selectFrom('api_tokens').selectAll();
    if (userId !== undefined) query = query.where('user_id', '=', userId);
    const rows = await query.orderBy('id').execute();
    return rows.map(toToken);
  }

  async markApiTokenUsed(id: number, now: Date): Promise<void> {
    await this.db
      .updateTable('api_tokens')
      .set({ last_used_at: now.toISOString() })
      .where('id', '=', id)
      .execute();
  }

  async revokeApiToken(id: number, now: Date): Promise<void> {
    await this.db
      .updateTable('api_tokens')
      .set({ revoked_at: now.toISOString() })
      .where('id', '=', id)
      .execute();
  }
}

function toUser(row: UserRow): User {
  return {
    id: row.id,
    email: row.email,
    name: row.name,
    role: row.role as Role,
    teamId: row.team_id,
    active: row.active === 1,
    status: userStatus(row.active === 1, row.password_hash !== null, row.password_reset_at !== null),
    lastLoginAt: row.last_login_at,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

function toToken(row: {
  id: number;
  user_id: number;
  name: string;
  scope: string;
  created_at: string;
  last_used_at: string | null;
  revoked_at: string | null;
}): ApiToken {
  return {
    id: row.id,
    userId: row.user_id,
    name: row.name,
    scope: row.scope,
    createdAt: row.created_at,
    lastUsedAt: row.last_used_at,
    revokedAt: row.revoked_at,
  };
}

// Authentication: password login with throttling, database-held sessions with a CSRF token, and
// hashed API tokens for machine clients. Only hashes of secrets are stored.
import { createHash, randomBytes } from 'node:crypto';
import { AppError } from '../domain/errors';
import { assertCan, type Actor } from '../domain/policy';
import type { User } from '../domain/user';
import { AuditRepository } from '../store/audit.repository';
import { UserRepository, type ApiToken } from '../store/user.repository';
import { inTransaction, type ServiceContext } from './context';
import type { RiskConfigService } from './risk-config';
import { DUMMY_HASH, verifyPassword } from './passwords';

/** Failed logins allowed per email within the window before further attempts are refused. */
export const LOGIN_MAX_FAILURES = 5;
/** The first lock-out after LOGIN_MAX_FAILURES failures; each further failure doubles it. */
export const LOGIN_LOCK_MS = 15 * 60_000;
/** The longest lock-out, and how far back failures count. */
export const LOGIN_LOCK_MAX_MS = 24 * 60 * 60_000;

/** How long an email is locked out after `failures` failed logins (0 below the threshold). */
export function lockoutMs(failures: number): number {
  if (failures < LOGIN_MAX_FAILURES) return 0;
  return Math.min(LOGIN_LOCK_MS * 2 ** (failures - LOGIN_MAX_FAILURES), LOGIN_LOCK_MAX_MS);
}
const SESSION_TOUCH_INTERVAL_MS = 60_000;

export interface LoginResult {
  sessionToken: string;
  csrfToken: string;
  expiresAt: string;
  user: User;
}

export interface AuthenticatedSession {
  actor: Actor;
  user: User;
  csrfToken: string;
  expiresAt: string;
}

export type TokenScope = 'full' | 'ingest';

const sha256 = (value: string) => createHash('sha256').update(value).digest('hex');
const secret = (prefix: string) => `${prefix}${randomBytes(32).toString('base64url')}`;

export function actorOf(user: User, label = user.email): Actor {
  return { userId: user.id, role: user.role, teamId: user.teamId, label };
}

export class AuthService {
  constructor(
    private readonly context: ServiceContext,
    private readonly config: RiskConfigService,
  ) {}

  private get repo() {
    return new UserRepository(this.context.store.db);
  }

  /**
   * Checks email and password. After 5 failures an email is locked out for 15 minutes, and every
   * further failure once the lock ends doubles it (30 min, 1 h, ... up to a day); a success clears it.
   */
  async login(emailInput: string, password: string): Promise<LoginResult> {
    const email = emailInput.trim().toLowerCase();
    const now = this.context.clock.now();
    const failures = await this.repo.recentFailures(email, new Date(now.getTime() - LOGIN_LOCK_MAX_MS));
    const lockedUntil = failures.latest ? new Date(failures.latest).getTime() + lockoutMs(failures.count) : 0;
    if (lockedUntil > now.getTime()) {
      const retryAfterSeconds = Math.ceil((lockedUntil - now.getTime()) / 1000);
      await this.audit(null, email, 'login_throttled');
      throw new AppError('LOGIN_THROTTLED', 'Too many failed logins; try again later.', {
        retryAfterSeconds,
      });
    }
    const found = await this.repo.findUserForLogin(email);
    const ok = await verifyPassword(password, found?.passwordHash ?? DUMMY_HASH);
    if (!found || !ok || !found.user.active || found.passwordHash === null) {
      await this.repo.recordLoginAttempt(email, now, false);
      await this.audit(found?.user ?? null, email, 'login_failed');
      throw new AppError('INVALID_CREDENTIALS', 'Email or password is wrong.');
    }
    const settings = await this.config.settings();
    const sessionToken = secret('rs_');
    const csrfToken = randomBytes(24).toString('base64url');
    const expiresAt = new Date(now.getTime() + settings.sessionIdleHours * 3_600_000);
    await inTransaction(this.context, async (db) => {
      const repo = new UserRepository(db);
      await repo.clearLoginFailures(email);
      await repo.recordLoginAttempt(email, now, true);
      await repo.insertSession({
        idHash: sha256(sessionToken),
        userId: found.user.id,
        csrfToken,
        now,
        expiresAt,
      });
    });
    await this.audit(found.user, email, 'login');
    return { sessionToken, csrfToken, expiresAt: expiresAt.toISOString(), user: found.user };
  }

  /** Resolves a session cookie to its user; sliding expiry on activity. */
  async authenticateSession(sessionToken: string): Promise<AuthenticatedSession> {
    const now = this.context.clock.now();
    const idHash = sha256(sessionToken);
    const session = await this.repo.findSession(idHash);
    if (!session) throw new AppError('UNAUTHENTICATED', 'Not logged in.');
    if (new Date(session.expires_at) <= now) {
      await this.repo.deleteSession(idHash);
      throw new AppError('SESSION_EXPIRED', 'The session has expired; log in again.');
    }
    const user = await this.repo.findUser(session.user_id);
    if (!user?.active) throw new AppError('UNAUTHENTICATED', 'Not logged in.');
    let expiresAt = session.expires_at;
    if (now.getTime() - new Date(session.last_seen_at).getTime() > SESSION_TOUCH_INTERVAL_MS) {
      const settings = await this.config.settings();
      const next = new Date(now.getTime() + settings.sessionIdleHours * 3_600_000);
      await this.repo.touchSession(idHash, now, next);
      expiresAt = next.toISOString();
    }
    return { actor: actorOf(user), user, csrfToken: session.csrf_token, expiresAt };
  }

  async logout(sessionToken: string): Promise<void> {
    const idHash = sha256(sessionToken);
    const session = await this.repo.findSession(idHash);
    if (!session) return;
    await this.repo.deleteSession(idHash);
    const user = await this.repo.findUser(session.user_id);
    if (user) await this.audit(user, user.email, 'logout');
  }

  /** Creates an API token for the actor (or, for admins, another user); the secret is shown once. */
  async createApiToken(
    actor: Actor,
    input: { name: string; scope?: TokenScope; userId?: number },
  ): Promise<{ token: string; apiToken: ApiToken }> {
    if (actor.userId === null && input.userId === undefined) {
      throw new AppError('VALIDATION_FAILED', 'A token belongs to a user.', { field: 'userId' });
    }
    const userId = input.userId ?? actor.userId;
    if (userId !== actor.userId) assertCan(actor, 'users.manage');
    if (userId === null || !(await this.repo.findUser(userId))) {
      throw new AppError('USER_NOT_FOUND', `No user ${String(userId)}.`, { field: 'userId' });
    }
    const token = secret('rt_');
    const now = this.context.clock.now();
    const id = await inTransaction(this.context, async (db) => {
      const tokenId = await new UserRepository(db).insertApiToken({
        userId,
        name: input.name,
        hash: sha256(token),
        scope: input.scope ?? 'full',
        now,
      });
      await new AuditRepository(db).append(actor, now, [
        {
          entityType: 'api_token',
          entityId: tokenId,
          accountId: null,
          action: 'created',
          changes: { name: input.name, userId },
        },
      ]);
      return tokenId;
    });
    const apiToken = await this.repo.findApiToken(id);
    if (!apiToken) throw new Error('token vanished after insert');
    return { token, apiToken };
  }

  /** Resolves a bearer token to the user it acts for. */
  async authenticateToken(token: string): Promise<{ actor: Actor; user: User; scope: TokenScope }> {
    const row = await this.repo.findApiTokenByHash(sha256(token));
    if (!row || row.revoked_at !== null)
      throw new AppError('UNAUTHENTICATED', 'The API token is unknown or revoked.');
    const user = await this.repo.findUser(row.user_id);
    if (!user?.active) throw new AppError('UNAUTHENTICATED', 'The API token is unknown or revoked.');
    const now = this.context.clock.now();
    if (
      !row.last_used_at ||
      now.getTime() - new Date(row.last_used_at).getTime() > SESSION_TOUCH_INTERVAL_MS
    ) {
      await this.repo.markApiTokenUsed(row.id, now);
    }
    return { actor: actorOf(user, `token:${row.name}`), user, scope: row.scope as TokenScope };
  }

  listApiTokens(actor: Actor): Promise<ApiToken[]> {
    return this.repo.listApiTokens(actor.role === 'admin' ? undefined : (actor.userId ?? -1));
  }

  async revokeApiToken(actor: Actor, id: number): Promise<void> {
    const token = await this.repo.findApiToken(id);
    if (!token) throw new AppError('TOKEN_NOT_FOUND', `No API token ${id}.`, { tokenId: id });
    if (token.userId !== actor.userId) assertCan(actor, 'users.manage');
    const now = this.context.clock.now();
    await inTransaction(this.context, async (db) => {
      await new UserRepository(db).revokeApiToken(id, now);
      await new AuditRepository(db).append(actor, now, [
        {
          entityType: 'api_token',
          entityId: id,
          accountId: null,
          action: 'revoked',
          changes: { name: token.name },
        },
      ]);
    });
  }

  private async audit(user: User | null, email: string, action: string): Promise<void> {
    const actor: Actor = user ? actorOf(user) : { userId: null, role: 'viewer', teamId: null, label: email };
    await new AuditRepository(this.context.store.db).append(actor, this.context.clock.now(), [
      { entityType: 'auth', entityId: email, accountId: null, action, changes: {} },
    ]);
  }
}

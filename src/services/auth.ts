// Authentication: password login with throttling, database-held sessions with a CSRF token, and
// hashed API tokens for machine clients. Only hashes of secrets are stored.
import { createHash, randomBytes } from 'node:crypto';
import { AppError } from '../domain/errors';
import { assertCan, type Actor } from '../domain/policy';
import {
  LOGIN_TRUST_MS,
  LOGIN_TRUSTED_CLIENTS_PER_USER,
  loginBuckets,
  refillMs,
  retryAfterSeconds,
  type LoginBucket,
  type LoginTrust,
} from '../domain/login-throttle';
import type { User } from '../domain/user';
import { AuditRepository } from '../store/audit.repository';
import { LoginThrottleRepository } from '../store/login-throttle.repository';
import { UserRepository, type ApiToken } from '../store/user.repository';
import { inTransaction, type ServiceContext } from './context';
import type { RiskConfigService } from './risk-config';
import { DUMMY_HASH, verifyPassword } from './passwords';

const SESSION_TOUCH_INTERVAL_MS = 60_000;

/** Where a login comes from: the client's address and the device cookie its browser holds, if any. */
export interface LoginClient {
  address: string;
  deviceToken?: string | undefined;
}

export interface LoginResult {
  sessionToken: string;
  csrfToken: string;
  expiresAt: string;
  user: User;
  /** A fresh device cookie for the browser: it keeps the client known to the user until `deviceExpiresAt`. */
  deviceToken: string;
  deviceExpiresAt: string;
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
   * Checks email and password after taking a slot from every login bucket that applies to the
   * client (see domain/login-throttle); refuses with LOGIN_THROTTLED when one is empty. A success
   * gives the slots back and makes the client's address and a fresh device cookie known to the user.
   */
  async login(emailInput: string, password: string, client: LoginClient): Promise<LoginResult> {
    const email = emailInput.trim().toLowerCase();
    const now = this.context.clock.now();
    const nowMs = now.getTime();
    const throttle = new LoginThrottleRepository(this.context.store.db);
    const found = await this.repo.findUserForLogin(email);
    const deviceKey = client.deviceToken ? sha256(client.deviceToken) : null;
    const trust = found ? await trustOf(throttle, found.user.id, client.address, deviceKey, nowMs) : NO_TRUST;
    const buckets = loginBuckets(email, client.address, trust);
    const taken: LoginBucket[] = [];
    for (const bucket of buckets) {
      if (await throttle.take(bucket, nowMs)) {
        taken.push(bucket);
        continue;
      }
      for (const held of taken) if (held.limit.onSuccess !== 'keep') await throttle.giveBack(held);
      const tatMs = (await throttle.arrivalTime(bucket)) ?? nowMs;
      const retryAfter = retryAfterSeconds(bucket.limit, tatMs, nowMs);
      // One audit entry per bucket and refill window, however many attempts it refuses.
      if (await throttle.claimNote(bucket, nowMs, nowMs + refillMs(bucket.limit))) {
        await this.audit(found?.user ?? null, email, 'login_throttled', {
          limit: bucket.limit.name,
          address: client.address,
          retryAfterSeconds: retryAfter,
        });
      }
      throw new AppError('LOGIN_THROTTLED', 'Too many login attempts; try again later.', {
        retryAfterSeconds: retryAfter,
      });
    }
    const ok = await verifyPassword(password, found?.passwordHash ?? DUMMY_HASH);
    await throttle.pruneFull(nowMs);
    if (!found || !ok || !found.user.active || found.passwordHash === null) {
      await this.audit(found?.user ?? null, email, 'login_failed', { address: client.address });
      throw new AppError('INVALID_CREDENTIALS', 'Email or password is wrong.');
    }
    for (const bucket of taken) {
      if (bucket.limit.onSuccess === 'refund') await throttle.giveBack(bucket);
      else if (bucket.limit.onSuccess === 'reset') await throttle.reset(bucket);
    }
    const settings = await this.config.settings();
    const sessionToken = secret('rs_');
    const csrfToken = randomBytes(24).toString('base64url');
    const deviceToken = secret('rd_');
    const expiresAt = new Date(now.getTime() + settings.sessionIdleHours * 3_600_000);
    const trustedUntilMs = nowMs + LOGIN_TRUST_MS;
    const userId = found.user.id;
    const stillValid = await inTransaction(this.context, async (db) => {
      // The password was checked outside the transaction (it is slow on purpose): a reset, a
      // password change or a deactivation committed meanwhile refuses the login.
      const current = await new UserRepository(db).findUserForLogin(
        email,
        this.context.store.kind === 'postgres',
      );
      if (!current?.user.active || current.passwordHash !== found.passwordHash) return false;
      const trusted = new LoginThrottleRepository(db);
      await trusted.trust(userId, 'address', client.address, trustedUntilMs);
      // Device cookies are only ever ones Retain issued: each login replaces the one presented.
      if (deviceKey) await trusted.distrust(userId, 'device', deviceKey);
      await trusted.trust(userId, 'device', sha256(deviceToken), trustedUntilMs);
      await trusted.pruneTrust(userId, nowMs, LOGIN_TRUSTED_CLIENTS_PER_USER);
      const users = new UserRepository(db);
      await users.insertSession({
        idHash: sha256(sessionToken),
        userId,
        csrfToken,
        now,
        expiresAt,
      });
      await users.recordLogin(userId, now);
      return true;
    });
    if (!stillValid) {
      await this.audit(found.user, email, 'login_failed', { address: client.address });
      throw new AppError('INVALID_CREDENTIALS', 'Email or password is wrong.');
    }
    await this.audit(found.user, email, 'login', { address: client.address });
    return {
      sessionToken,
      csrfToken,
      expiresAt: expiresAt.toISOString(),
      user: found.user,
      deviceToken,
      deviceExpiresAt: new Date(trustedUntilMs).toISOString(),
    };
  }

  /** Resolves a session cookie to its user; sliding expiry on activity (unless `touch` is false). */
  async authenticateSession(
    sessionToken: string,
    options: { touch?: boolean } = {},
  ): Promise<AuthenticatedSession> {
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
    if (
      options.touch !== false &&
      now.getTime() - new Date(session.last_seen_at).getTime() > SESSION_TOUCH_INTERVAL_MS
    ) {
      const settings = await this.config.settings();
      const next = new Date(now.getTime() + settings.sessionIdleHours * 3_600_000);
      inBackground(this.repo.touchSession(idHash, now, next));
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
      inBackground(this.repo.markApiTokenUsed(row.id, now));
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

  private async audit(
    user: User | null,
    email: string,
    action: string,
    changes: Record<string, unknown> = {},
  ): Promise<void> {
    const actor: Actor = user ? actorOf(user) : { userId: null, role: 'viewer', teamId: null, label: email };
    await new AuditRepository(this.context.store.db).append(actor, this.context.clock.now(), [
      { entityType: 'auth', entityId: email, accountId: null, action, changes },
    ]);
  }
}

const NO_TRUST: LoginTrust = { kind: 'none' };

/** How the client is known to the user: by a device cookie it was given, by its address, or not. */
async function trustOf(
  throttle: LoginThrottleRepository,
  userId: number,
  address: string,
  deviceKey: string | null,
  nowMs: number,
): Promise<LoginTrust> {
  if (deviceKey && (await throttle.isTrusted(userId, 'device', deviceKey, nowMs))) {
    return { kind: 'device', deviceKey };
  }
  if (await throttle.isTrusted(userId, 'address', address, nowMs)) return { kind: 'address' };
  return NO_TRUST;
}

/**
 * Bookkeeping a request need not wait for (when a session or token was last used): on SQLite a write
 * waits its turn behind a long transaction such as a big import, and the request would wait with it.
 * Failing to record it is not the request's failure.
 */
function inBackground(work: Promise<unknown>): void {
  work.catch(() => undefined);
}

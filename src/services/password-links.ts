// Set-password links: an admin invites a user added without a password, or sends a password reset;
// the user opens the link, chooses a password, and the link is used up. A link's token is random
// and only its hash is kept. The link is e-mailed when SMTP is set up, and always handed back to
// the admin so it can be passed on by other means.
import { createHash, randomBytes } from 'node:crypto';
import { composeEmail } from '../domain/email';
import { AppError } from '../domain/errors';
import { passwordLinkBucket, refillMs, retryAfterSeconds } from '../domain/login-throttle';
import { passwordLinkExpiry, type PasswordLinkPurpose } from '../domain/password-link';
import { assertCan, type Actor } from '../domain/policy';
import type { User } from '../domain/user';
import { AuditRepository } from '../store/audit.repository';
import { LoginThrottleRepository } from '../store/login-throttle.repository';
import { PasswordLinkRepository } from '../store/password-link.repository';
import { UserRepository } from '../store/user.repository';
import { inTransaction, type ServiceContext } from './context';
import { deliveryFailure, unconfiguredMailer, type DeliveryFailureCategory, type Mailer } from './messaging';
import { checkPasswordRules, hashPassword } from './passwords';

/** How set-password links reach people: the mailer, and the address users open Retain at. */
export interface PasswordLinkDelivery {
  mailer: Mailer;
  /** RETAIN_PUBLIC_URL; when unset, links point where the admin's own request reached Retain. */
  publicUrl: string | null;
  /** Told when an e-mail with a link could not be sent (the link itself is never passed). */
  onDeliveryFailure?: (failure: {
    userId: number;
    category: DeliveryFailureCategory;
    detail: string;
  }) => void;
}

/** A link that was sent: where it leads, until when, and whether it went out by e-mail. */
export interface PasswordLinkSent {
  purpose: PasswordLinkPurpose;
  /** The link itself, for the admin to pass on when it was not e-mailed. */
  url: string;
  expiresAt: string;
  emailed: boolean;
  /**
   * Why it was not e-mailed: `not_configured` when SMTP is not set up, `no_public_url` when
   * RETAIN_PUBLIC_URL is not set (a link built from a request's Host header is never e-mailed),
   * else the failure's category.
   */
  emailFailure: DeliveryFailureCategory | 'no_public_url' | null;
}

/** What setting a password by a link answers: whose password it was, for the login form. */
export interface PasswordSet {
  email: string;
}

const sha256 = (value: string) => createHash('sha256').update(value).digest('hex');

const INVALID_LINK = () =>
  new AppError(
    'PASSWORD_LINK_INVALID',
    'This link to set a password no longer works. Ask an admin of Retain to send a new one.',
  );

export class PasswordLinkService {
  constructor(
    private readonly context: ServiceContext,
    private readonly delivery: PasswordLinkDelivery,
  ) {}

  /** Sends a new invitation to a user who has no password yet; earlier links stop working. */
  async invite(actor: Actor, userId: number, origin: string): Promise<PasswordLinkSent> {
    assertCan(actor, 'users.manage');
    return this.send(actor, userId, 'invitation', origin);
  }

  /**
   * Sends a password reset: the user's password and sessions end now, and earlier links stop
   * working. Their API tokens are not touched (revoke those in Settings → API tokens).
   */
  async reset(actor: Actor, userId: number, origin: string): Promise<PasswordLinkSent> {
    assertCan(actor, 'users.manage');
    return this.send(actor, userId, 'reset', origin);
  }

  /**
   * Sets the password of the link's user and uses the link up. An unknown, used or expired link,
   * or one of a user deactivated since, is the same PASSWORD_LINK_INVALID. Attempts are throttled
   * per client address like logins.
   */
  async setPassword(token: string, password: string, client: { address: string }): Promise<PasswordSet> {
    // A password that breaks the rules is refused before it costs an attempt.
    checkPasswordRules(password);
    const now = this.context.clock.now();
    const nowMs = now.getTime();
    const throttle = new LoginThrottleRepository(this.context.store.db);
    const bucket = passwordLinkBucket(client.address);
    if (!(await throttle.take(bucket, nowMs))) {
      const tatMs = (await throttle.arrivalTime(bucket)) ?? nowMs;
      const retryAfter = retryAfterSeconds(bucket.limit, tatMs, nowMs);
      if (await throttle.claimNote(bucket, nowMs, nowMs + refillMs(bucket.limit)))
        await new AuditRepository(this.context.store.db).append(anonymous(client.address), now, [
          {
            entityType: 'auth',
            entityId: client.address,
            accountId: null,
            action: 'set_password_throttled',
            changes: { address: client.address, retryAfterSeconds: retryAfter },
          },
        ]);
      throw new AppError('PASSWORD_LINK_THROTTLED', 'Too many attempts to set a password; try again later.', {
        retryAfterSeconds: retryAfter,
      });
    }
    const passwordHash = await hashPassword(password);
    const user = await inTransaction(this.context, async (db) => {
      const link = await new PasswordLinkRepository(db).use(sha256(token), now);
      if (!link) throw INVALID_LINK();
      const users = new UserRepository(db);
      const found = await users.findUser(link.userId);
      if (!found?.active) throw INVALID_LINK();
      await users.updateUser(found.id, {}, now, passwordHash);
      await users.deleteSessionsOfUser(found.id);
      await new PasswordLinkRepository(db).withdrawPending(found.id);
      await new AuditRepository(db).append(
        { userId: found.id, role: found.role, teamId: found.teamId, label: found.email },
        now,
        [
          {
            entityType: 'user',
            entityId: found.id,
            accountId: null,
            action: 'password_set',
            changes: { by: link.purpose, address: client.address },
          },
        ],
      );
      return found;
    });
    await throttle.giveBack(bucket);
    return { email: user.email };
  }

  /**
   * Where links lead: RETAIN_PUBLIC_URL, else the origin the admin's request reached (refused with
   * BAD_REQUEST when its Host header is not a plain host). Checked before anything is written.
   */
  linkBase(origin: string): string {
    return (this.delivery.publicUrl ?? plainOrigin(origin)).replace(/\/+$/, '');
  }

  private async send(
    actor: Actor,
    userId: number,
    purpose: PasswordLinkPurpose,
    origin: string,
  ): Promise<PasswordLinkSent> {
    const token = `rp_${randomBytes(32).toString('base64url')}`;
    const now = this.context.clock.now();
    const expiresAt = passwordLinkExpiry(purpose, now);
    const { user, linkId } = await inTransaction(this.context, async (db) => {
      const users = new UserRepository(db);
      const found = await users.findUser(userId);
      if (!found) throw new AppError('USER_NOT_FOUND', `No user ${userId}.`, { userId });
      if (!found.active)
        throw new AppError('USER_DEACTIVATED', `${found.name} is deactivated; reactivate them first.`, {
          userId,
        });
      if (purpose === 'invitation' && (await users.hasPassword(userId)))
        throw new AppError(
          'USER_ALREADY_SET_UP',
          `${found.name} has set a password already; send a password reset instead.`,
          { userId },
        );
      const links = new PasswordLinkRepository(db);
      await links.withdrawPending(userId);
      const id = await links.insert({ userId, purpose, tokenHash: sha256(token), now, expiresAt });
      if (
        purpose === 'reset' &&
        found.role === 'admin' &&
        (await users.hasPassword(userId)) &&
        (await users.otherActiveAdmins(userId, this.context.store.kind === 'postgres')).length === 0
      )
        throw new AppError(
          'LAST_ADMIN',
          actor.userId === userId
            ? 'You are the only admin who can log in: a reset would leave nobody to log in as an admin. Change your password instead, or make someone else an admin first.'
            : `${found.name} is the only admin who can log in: make someone else an admin first.`,
          { userId },
        );
      if (purpose === 'reset') {
        // The old password stops working now, not when the new one is chosen: a reset is sent
        // when a password is forgotten or may be known to someone else.
        await users.clearPasswordForReset(userId, now);
        await users.deleteSessionsOfUser(userId);
      }
      await new AuditRepository(db).append(actor, now, [
        {
          entityType: 'user',
          entityId: userId,
          accountId: null,
          action: purpose === 'invitation' ? 'invitation_sent' : 'password_reset_sent',
          changes: { expiresAt: expiresAt.toISOString() },
        },
      ]);
      return { user: found, linkId: id };
    });
    const url = `${this.linkBase(origin)}/set-password?token=${token}`;
    // Without RETAIN_PUBLIC_URL the link points where the admin's request said it reached Retain;
    // that is shown to the admin, who sees the address, but never mailed to someone who cannot.
    const emailFailure =
      this.delivery.mailer === unconfiguredMailer
        ? 'not_configured'
        : this.delivery.publicUrl === null
          ? 'no_public_url'
          : await this.email(user, purpose, url, expiresAt, actor, linkId);
    return { purpose, url, expiresAt: expiresAt.toISOString(), emailed: emailFailure === null, emailFailure };
  }

  /** E-mails the link; null when it went out, else why not. */
  private async email(
    user: User,
    purpose: PasswordLinkPurpose,
    url: string,
    expiresAt: Date,
    actor: Actor,
    linkId: number,
  ): Promise<DeliveryFailureCategory | null> {
    const until = expiresAt.toUTCString();
    const body =
      purpose === 'invitation'
        ? `Hello ${user.name},\n\n${actor.label} has added you to Retain. Choose your password here:\n\n${url}\n\n` +
          `The link works once, until ${until}. Then log in with ${user.email}.`
        : `Hello ${user.name},\n\n${actor.label} has sent you a link to choose a new password for Retain:\n\n${url}\n\n` +
          `The link works once, until ${until}. If you did not ask for it, tell your admin.`;
    const { text, html } = composeEmail(body, null);
    try {
      await this.delivery.mailer.send({
        to: user.email,
        subject: purpose === 'invitation' ? 'You are invited to Retain' : 'Choose a new password for Retain',
        text,
        html,
        messageKey: `retain.password-link.${linkId}`,
      });
      return null;
    } catch (error) {
      const { category, detail } = deliveryFailure(error);
      if (category !== 'not_configured')
        this.delivery.onDeliveryFailure?.({ userId: user.id, category, detail });
      return category;
    }
  }
}

/**
 * The origin a request reached Retain at, when it is one: a Host header that reads as something
 * else (`retain.example@evil.example` is a user name at evil.example) is refused, not linked to.
 */
function plainOrigin(origin: string): string {
  const parsed = URL.canParse(origin) ? new URL(origin) : null;
  if (
    !parsed ||
    parsed.username !== '' ||
    parsed.password !== '' ||
    parsed.pathname !== '/' ||
    parsed.search !== '' ||
    parsed.hash !== ''
  )
    throw new AppError(
      'BAD_REQUEST',
      'The Host header is not a plain host name: set RETAIN_PUBLIC_URL to the address users open Retain at.',
      { header: 'Host' },
    );
  return parsed.origin;
}

function anonymous(address: string): Actor {
  return { userId: null, role: 'viewer', teamId: null, label: address };
}

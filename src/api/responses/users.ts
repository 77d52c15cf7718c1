// Users, teams, sessions and API tokens.
import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import { ROLES } from '../../domain/policy';
import { PASSWORD_LINK_PURPOSES } from '../../domain/password-link';
import type { Team, User, UserAsSeen } from '../../domain/user';
import type { Services } from '../../services';
import type { PasswordLinkSent, PasswordSet } from '../../services/password-links';
import type { CreatedUser } from '../../services/users';
import type { ApiToken } from '../../store/user.repository';
import { exactly, id, listOf, timestamp, type Answer } from './shared';

export const userSchema = exactly<User>()(
  z
    .object({
      id,
      email: z.string(),
      name: z.string(),
      role: z.enum(ROLES),
      teamId: id.nullable(),
      active: z.boolean(),
      status: z
        .enum(['active', 'invited', 'password_reset', 'deactivated'])
        .describe(
          'invited: added, and has not chosen a password yet; password_reset: sent a reset, the old password no longer works',
        ),
      lastLoginAt: timestamp.nullable().describe('null: never logged in'),
      createdAt: timestamp,
      updatedAt: timestamp,
    })
    .meta({ id: 'User' }),
);

/** A user as a colleague sees them: status and last login are for admins' eyes only. */
export const userAsSeenSchema = exactly<UserAsSeen>()(
  userSchema
    .partial({ status: true, lastLoginAt: true, updatedAt: true })
    .describe('status, lastLoginAt and updatedAt are answered to admins only')
    .meta({ id: 'UserAsSeen' }),
);

export const usersResponse = listOf(userAsSeenSchema);

export const passwordLinkSentSchema = exactly<PasswordLinkSent>()(
  z
    .object({
      purpose: z.enum(PASSWORD_LINK_PURPOSES),
      url: z.string().describe('The set-password link, to pass on when it was not e-mailed; it works once'),
      expiresAt: timestamp,
      emailed: z.boolean(),
      emailFailure: z
        .enum([
          'refused_destination',
          'dns_failed',
          'connection_failed',
          'timeout',
          'redirect_refused',
          'http_error',
          'rejected',
          'not_configured',
          'no_public_url',
          'error',
        ])
        .nullable()
        .describe(
          'Why it was not e-mailed: not_configured when SMTP is not set up; no_public_url when RETAIN_PUBLIC_URL is not set',
        ),
    })
    .meta({ id: 'PasswordLinkSent' }),
);

export const createdUserResponse = exactly<CreatedUser>()(
  userSchema
    .extend({
      invitation: passwordLinkSentSchema
        .nullable()
        .describe('The invitation sent to a user added without a password'),
    })
    .meta({ id: 'CreatedUser' }),
);

export const passwordSetResponse = exactly<PasswordSet>()(
  z.object({ email: z.string().describe('Whose password was set: log in with it') }),
);

export const teamSchema = exactly<Team>()(
  z.object({ id, name: z.string(), createdAt: timestamp }).meta({ id: 'Team' }),
);

export const teamsResponse = listOf(teamSchema);

export const loginResponse = z
  .object({
    user: userSchema,
    csrfToken: z.string().describe('Send it as x-csrf-token on every write with the session cookie'),
    expiresAt: timestamp,
  })
  .meta({ id: 'Login' });

export const logoutResponse = z.object({ ok: z.literal(true) });

type Credential = NonNullable<FastifyRequest['auth']>;

export const sessionResponse = exactly<Omit<Credential, 'actor' | 'scope'>>()(
  z
    .object({
      user: userSchema,
      via: z.enum(['session', 'token']),
      csrfToken: z
        .string()
        .nullable()
        .describe('The session’s CSRF token; null when called with an API token'),
    })
    .meta({ id: 'Session' }),
);

export const apiTokenSchema = exactly<ApiToken>()(
  z
    .object({
      id,
      userId: id,
      name: z.string(),
      scope: z.string().describe('full, or ingest (may only push data in)'),
      createdAt: timestamp,
      lastUsedAt: timestamp.nullable(),
      revokedAt: timestamp.nullable(),
    })
    .meta({ id: 'ApiToken' }),
);

export const apiTokensResponse = listOf(apiTokenSchema);

export const createdApiTokenResponse = exactly<Answer<Services['auth']['createApiToken']>>()(
  z.object({
    token: z.string().describe('The secret, shown this once: send it as `Authorization: Bearer <token>`'),
    apiToken: apiTokenSchema,
  }),
);

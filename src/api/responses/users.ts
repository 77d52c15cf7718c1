// Users, teams, sessions and API tokens.
import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import { ROLES } from '../../domain/policy';
import type { Team, User } from '../../domain/user';
import type { Services } from '../../services';
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
      createdAt: timestamp,
      updatedAt: timestamp,
    })
    .meta({ id: 'User' }),
);

export const usersResponse = listOf(userSchema);

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

export const sessionResponse = exactly<Omit<Credential, 'actor'>>()(
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

// Drives the real HTTP API in-process (Fastify inject) over a real store.
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify';
import { buildApp } from '../../src/api/app';
import { SYSTEM_ACTOR } from '../../src/domain/policy';
import { buildTinyBook, PASSWORD, type TinyBook } from '../helpers/book';
import type { TestStore } from '../helpers/stores';

export type Who = keyof TinyBook['users'];

export interface ApiWorld {
  app: FastifyInstance;
  book: TinyBook;
  /** A full-scope API token per user of the tiny book, plus an ingest-only token of the admin. */
  tokens: Record<Who | 'ingest', string>;
  /** A request as `who`, by bearer token; JSON bodies are sent as JSON. */
  as: (
    who: Who | 'ingest',
    request: Omit<InjectOptions, 'headers'> & { headers?: Record<string, string> },
  ) => Promise<LightMyRequestResponse>;
  /** Logs in with the password and returns the cookie header and CSRF token of the session. */
  login: (
    email: string,
    password?: string,
  ) => Promise<{ cookie: string; csrf: string; response: LightMyRequestResponse }>;
}

export async function apiWorld(t: TestStore, options: { cases?: boolean } = {}): Promise<ApiWorld> {
  const book = await buildTinyBook(t, options);
  const app = await buildApp(t.services);
  const tokens = {} as Record<Who | 'ingest', string>;
  for (const who of Object.keys(book.users) as Who[]) {
    tokens[who] = (
      await t.services.auth.createApiToken(SYSTEM_ACTOR, { name: `${who} token`, userId: book.users[who].id })
    ).token;
  }
  tokens.ingest = (
    await t.services.auth.createApiToken(SYSTEM_ACTOR, {
      name: 'warehouse sync',
      userId: book.users.admin.id,
      scope: 'ingest',
    })
  ).token;
  return {
    app,
    book,
    tokens,
    as: (who, request) =>
      app.inject({ ...request, headers: { ...request.headers, authorization: `Bearer ${tokens[who]}` } }),
    login: async (email, password = PASSWORD) => {
      const response = await app.inject({
        method: 'POST',
        url: '/api/v1/auth/login',
        payload: { email, password },
      });
      const cookie = response.cookies.find((c) => c.name === 'retain_session');
      const body = response.json<{ csrfToken?: string }>();
      return {
        cookie: cookie ? `retain_session=${cookie.value}` : '',
        csrf: body.csrfToken ?? '',
        response,
      };
    },
  };
}

export function errorCode(response: LightMyRequestResponse): string | undefined {
  return response.json<{ error?: { code?: string } }>().error?.code;
}

// The OpenAPI document's parts that no single route states: the security schemes, who may call
// each operation (from the access the route declared), and the error answers. Errors have one
// shape, `{ error: { code, message, details } }`; each status lists the codes it can carry, taken
// from the one table of error codes.
import { STATUS_CODES } from 'node:http';
import { ERROR_STATUS, type ErrorCode } from '../domain/errors';
import type { DeclaredRoute } from './auth-hook';
import { API_VERSION } from './version';

export const SECURITY_SCHEMES = {
  bearer: {
    type: 'http',
    scheme: 'bearer',
    description: 'An API token: `Authorization: Bearer rt_…` (POST /api/v1/auth/tokens).',
  },
  session: {
    type: 'apiKey',
    in: 'cookie',
    name: 'retain_session',
    description: 'The session cookie from POST /api/v1/auth/login.',
  },
  csrf: {
    type: 'apiKey',
    in: 'header',
    name: 'x-csrf-token',
    description: 'With the session cookie, writes send the csrfToken that login returned.',
  },
  writeKey: {
    type: 'http',
    scheme: 'basic',
    description:
      'A Segment write key: an API token as the Basic user name, no password (analytics-node, RudderStack).',
  },
} as const;

/** The document's fixed parts, given to @fastify/swagger. */
export const OPENAPI_BASE = {
  openapi: '3.1.0',
  info: {
    title: 'Retain API',
    description:
      'Customer-retention platform: accounts, contacts, signals, health scores, risk cases and their ' +
      'lifecycle, playbooks and reports. Authenticate with a session cookie (POST /api/v1/auth/login; ' +
      'writes need the x-csrf-token header) or `Authorization: Bearer <token>`. Every error is ' +
      '`{ "error": { "code", "message", "details" } }` with a stable code.',
    version: API_VERSION,
    license: { name: 'MIT', url: 'https://opensource.org/license/mit' },
  },
  servers: [{ url: '/', description: 'This Retain server' }],
  components: { securitySchemes: SECURITY_SCHEMES },
};

type Json = Record<string, unknown>;

const codesWith = (status: number): ErrorCode[] =>
  (Object.keys(ERROR_STATUS) as ErrorCode[]).filter((code) => ERROR_STATUS[code] === status);

const ERROR_SCHEMA = {
  type: 'object',
  required: ['error'],
  properties: {
    error: {
      type: 'object',
      required: ['code', 'message'],
      properties: {
        code: { type: 'string', enum: Object.keys(ERROR_STATUS) },
        message: { type: 'string', description: 'For people: what went wrong and what to do.' },
        details: {
          type: 'object',
          additionalProperties: true,
          description: 'For programs: the field, the limit, the errors of each record…',
        },
      },
    },
  },
};

const REASONS: Readonly<Record<number, string>> = {
  400: 'The request is malformed or a value is invalid',
  401: 'No valid credential',
  403: 'The caller may not do this',
  404: 'Not found',
  409: 'Conflicts with what is stored (taken key, changed version)',
  413: 'The body is too large',
  415: 'The content type or encoding is not accepted',
  422: 'Well-formed but refused: the errors name each record and field',
  429: 'Too many attempts, or one still under way; Retry-After says when to try again',
  500: 'Something went wrong on the server',
  503: 'The store is busy; Retry-After says when to try again',
};

const errorResponse = (status: number) => ({
  description: `${REASONS[status] ?? 'Error'}. Codes: ${codesWith(status).join(', ')}.`,
  content: {
    'application/json': {
      schema: {
        allOf: [
          { $ref: '#/components/schemas/Error' },
          {
            type: 'object',
            properties: {
              error: { type: 'object', properties: { code: { type: 'string', enum: codesWith(status) } } },
            },
          },
        ],
      },
    },
  },
});

const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options'] as const;
const WRITES = new Set(['put', 'post', 'delete', 'patch']);

/** Operations that refuse a caller for a while: too many attempts, or one already under way. */
const THROTTLED = new Set(['/api/v1/auth/login', '/api/v1/detection/backtest']);

/** The error statuses an operation can answer with, beside its own. */
function errorStatuses(method: string, path: string, route: DeclaredRoute | undefined): number[] {
  const open = route?.access === 'public';
  return [
    400,
    ...(open ? [] : [401, 403]),
    ...(path.includes('{') ? [404] : []),
    ...(WRITES.has(method) ? [409, 413, 415, 422] : []),
    ...(THROTTLED.has(path) ? [429] : []),
    500,
    503,
  ];
}

/** Who may call an operation, as OpenAPI security requirements. */
function security(method: string, route: DeclaredRoute | undefined): Json[] {
  if (!route || route.access === 'public') return [];
  const session = WRITES.has(method) ? { session: [], csrf: [] } : { session: [] };
  if (route.access === 'data.import') return [{ bearer: [] }, { writeKey: [] }, session];
  return [{ bearer: [] }, session];
}

const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null;

/**
 * A declared success answer without a description of its own gets its status's name ("Created")
 * instead of @fastify/swagger's "Default Response". One with no content stays as it is: the route
 * declared no answer.
 */
function describeSuccess(responses: Json): void {
  for (const [status, response] of Object.entries(responses)) {
    if (!isObject(response) || !status.startsWith('2') || response.content === undefined) continue;
    if (response.description === 'Default Response') response.description = STATUS_CODES[status] ?? 'Success';
  }
}

/**
 * Completes the document @fastify/swagger built from the routes: security per operation, the error
 * answers, and the Error schema.
 */
export function finishDocument<T extends Json>(document: T, routes: readonly DeclaredRoute[]): T {
  const byKey = new Map(routes.map((route) => [`${route.method.toLowerCase()} ${route.url}`, route]));
  const paths = isObject(document.paths) ? document.paths : {};
  for (const [path, item] of Object.entries(paths)) {
    if (!isObject(item)) continue;
    const url = path.replace(/\{(\w+)\}/g, ':$1');
    for (const method of METHODS) {
      const operation = item[method];
      if (!isObject(operation)) continue;
      const route = byKey.get(`${method} ${url}`);
      operation.security = security(method, route);
      if (route?.csvBody) {
        operation.requestBody = {
          required: true,
          description:
            'The CSV file: as the body (Content-Type: text/csv), or as the one file of a multipart/form-data form ' +
            '(curl -F file=@accounts.csv); the options stay in the query.',
          content: {
            'text/csv': { schema: { type: 'string' } },
            'multipart/form-data': {
              schema: {
                type: 'object',
                required: ['file'],
                properties: { file: { type: 'string', contentMediaType: 'text/csv' } },
              },
            },
          },
        };
      }
      const responses = isObject(operation.responses) ? operation.responses : {};
      describeSuccess(responses);
      for (const status of errorStatuses(method, path, route)) {
        responses[String(status)] ??= { $ref: `#/components/responses/Error${status}` };
      }
      operation.responses = responses;
    }
  }
  const components = isObject(document.components) ? document.components : {};
  const schemas = isObject(components.schemas) ? components.schemas : {};
  // A named schema gets an input and an output variant; a response-only one leaves its input unused.
  const text = JSON.stringify(paths);
  const used = Object.entries(schemas).filter(
    ([name]) => !name.endsWith('Input') || text.includes(`"#/components/schemas/${name}"`),
  );
  components.schemas = { ...Object.fromEntries(used), Error: ERROR_SCHEMA };
  const statuses = [...new Set(Object.values(ERROR_STATUS))].sort((a, b) => a - b);
  components.responses = Object.fromEntries(
    statuses.map((status) => [`Error${status}`, errorResponse(status)]),
  );
  return { ...document, components, security: [] };
}

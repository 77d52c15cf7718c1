// Refuses NUL characters in addresses, query strings and JSON bodies before a handler runs: no
// field of Retain's means anything with one, SQLite would store it silently and PostgreSQL refuses
// it with a driver error, so it is turned away at the door with the field it was found in.
import { EventEmitter } from 'node:events';
import type { FastifyInstance } from 'fastify';
import { AppError } from '../domain/errors';

/** The path (`body.name`, `params.id`) of the first string holding a NUL, or null. */
export function findNul(value: unknown, path: string, depth = 0): string | null {
  if (typeof value === 'string') return value.includes('\u0000') ? path : null;
  if (depth > 64 || value === null || typeof value !== 'object' || Buffer.isBuffer(value)) return null;
  // An import's body is a stream (a request, with its socket and server): its bytes are checked as
  // they are read, and walking the object would never end.
  if (value instanceof EventEmitter) return null;
  for (const [key, inner] of Object.entries(value)) {
    if (key.includes('\u0000')) return `${path}.${key.replaceAll('\u0000', '\\0')}`;
    const found = findNul(inner, `${path}.${key}`, depth + 1);
    if (found) return found;
  }
  return null;
}

export function registerNulGuard(app: FastifyInstance): void {
  app.addHook('preValidation', (request, _reply, done) => {
    const field =
      findNul(request.params, 'params') ?? findNul(request.query, 'query') ?? findNul(request.body, 'body');
    done(
      field
        ? new AppError('VALIDATION_FAILED', `${field}: NUL characters (\\0) are not accepted.`, {
            issues: [{ field, message: 'contains a NUL character' }],
          })
        : undefined,
    );
  });
}

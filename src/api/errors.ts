// The one place where thrown errors become HTTP responses: { error: { code, message, details } }.
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import { AppError, storeBusy, type ErrorCode } from '../domain/errors';
import { isStoreBusy } from '../store/errors';

export interface ErrorBody {
  error: { code: ErrorCode; message: string; details?: Record<string, unknown> };
}

const FASTIFY_CODES: Record<string, ErrorCode> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
  FST_ERR_CTP_INVALID_JSON_BODY: 'VALIDATION_FAILED',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'VALIDATION_FAILED',
  FST_ERR_VALIDATION: 'VALIDATION_FAILED',
};

/** Converts any thrown value into an AppError the client may see. */
export function toAppError(error: unknown): AppError {
  if (error instanceof AppError) return error;
  if (hasZodFastifySchemaValidationErrors(error)) {
    const issues = error.validation.map((issue) => ({
      field: [error.validationContext, ...issue.instancePath.split('/').filter(Boolean)].join('.'),
      message: issue.message,
    }));
    const first = issues[0];
    return new AppError(
      'VALIDATION_FAILED',
      first ? `${first.field}: ${first.message}` : 'Invalid request.',
      { issues },
    );
  }
  if (isStoreBusy(error)) return storeBusy();
  const fastifyError = error as Partial<FastifyError>;
  const mapped = fastifyError.code ? FASTIFY_CODES[fastifyError.code] : undefined;
  if (mapped) return new AppError(mapped, fastifyError.message ?? 'Invalid request.');
  // Errors of Fastify and its plugins that carry a client-error status keep it (a static file
  // refused as 403, a malformed address as 400), without their internal message.
  const status = fastifyError.statusCode;
  if (typeof status === 'number' && status >= 400 && status < 500) return clientError(status);
  return new AppError('INTERNAL', 'Something went wrong on our side.');
}

function clientError(status: number): AppError {
  switch (status) {
    case 401:
      return new AppError('UNAUTHENTICATED', 'Log in or send an API token.');
    case 403:
    case 404:
      return new AppError('NOT_FOUND', 'Nothing is served at this address.');
    case 413:
      return new AppError('PAYLOAD_TOO_LARGE', 'The request body is too large.');
    case 415:
      return new AppError('UNSUPPORTED_MEDIA_TYPE', 'This content type is not accepted here.');
    default:
      return new AppError('BAD_REQUEST', 'The request could not be understood.');
  }
}

/**
 * Maps errors to responses. `pageFallback` answers GET requests for addresses outside /api/ that no
 * route serves (the web app's own pages); the rest get NOT_FOUND.
 */
export function registerErrorHandling(
  app: FastifyInstance,
  pageFallback?: (request: FastifyRequest, reply: FastifyReply) => FastifyReply,
): void {
  app.setErrorHandler((error, request, reply) => {
    const appError = toAppError(error);
    if (appError.code === 'INTERNAL') request.log.error({ err: error }, 'unhandled error');
    const retryAfter = appError.details?.retryAfterSeconds;
    if (typeof retryAfter === 'number') void reply.header('retry-after', String(retryAfter));
    const body: ErrorBody = {
      error: {
        code: appError.code,
        message: appError.message,
        ...(appError.details && { details: appError.details }),
      },
    };
    return reply.status(appError.status).send(body);
  });
  app.setNotFoundHandler((request, reply) => {
    const isPage =
      (request.method === 'GET' || request.method === 'HEAD') &&
      !request.url.startsWith('/api/') &&
      !request.url.startsWith('/assets/');
    if (pageFallback && isPage) return pageFallback(request, reply);
    const body: ErrorBody = {
      error: { code: 'NOT_FOUND', message: `No route ${request.method} ${request.url}.` },
    };
    return reply.status(404).send(body);
  });
}

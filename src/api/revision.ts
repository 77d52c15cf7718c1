// Optimistic concurrency for configuration documents over HTTP: a read sends the document's
// revision as its ETag; a change may send it back as If-Match, and is refused with 412
// PRECONDITION_FAILED when someone else saved in between (RFC 9110, 13.1.1).
import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { AppError } from '../domain/errors';
import { revisionOf } from '../services/json-config';

/** Sets the ETag of the document being answered (`document`, when the answer wraps it), and answers. */
export function withRevision<T>(reply: FastifyReply, value: T, document: unknown = value): T {
  void reply.header('etag', `"${revisionOf(document)}"`);
  return value;
}

/** Answers a list document as `{ items }`, with its ETag. */
export function itemsWithRevision<T>(reply: FastifyReply, items: T[]): { items: T[] } {
  return withRevision(reply, { items }, items);
}

/**
 * The revisions an If-Match header accepts: undefined when there is none or it is `*` (any
 * revision will do). A header that is not a list of quoted entity tags is refused, not ignored.
 * A weak tag (W/"…") is taken as its revision, a departure from RFC 9110's strong comparison: a
 * revision names the document's content, not the bytes of one answer, and a proxy that compresses
 * answers (nginx's gzip, for one) weakens the ETag the browser then sends back.
 */
export function ifMatch(request: FastifyRequest): string[] | undefined {
  const header = request.headers['if-match'];
  if (header === undefined || header.trim() === '*') return undefined;
  const tags = header.split(',').map((part) => part.trim());
  const revisions = tags.map((tag) => /^(?:W\/)?"([\x21\x23-\x7e]*)"$/.exec(tag)?.[1]);
  if (revisions.some((revision) => revision === undefined))
    throw new AppError(
      'BAD_REQUEST',
      'If-Match must be the ETag of a read, in quotes (If-Match: "…"), or a comma-separated list of them.',
      { header: 'If-Match' },
    );
  return revisions as string[];
}

/** The If-Match request header of a change to a configuration document, for the OpenAPI document. */
export const ifMatchHeader = z.object({
  'if-match': z
    .string()
    .max(1000)
    .optional()
    .describe('The ETag of the read the change is made on; 412 PRECONDITION_FAILED when someone saved since'),
});

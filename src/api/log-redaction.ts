// What the request log may hold of an address: a token in its query (a set-password link, an
// unsubscribe link) is a credential and is replaced before the line is written.
import type { FastifyRequest } from 'fastify';

const TOKEN_IN_QUERY = /([?&]token=)[^&#]*/gi;

/** The address with the values of `token=` query parameters hidden. */
export function withoutTokens(url: string): string {
  return url.replace(TOKEN_IN_QUERY, '$1[hidden]');
}

/** The request as the log shows it (Fastify's fields, with the address's tokens hidden). */
export function loggedRequest(request: FastifyRequest) {
  return {
    method: request.method,
    url: withoutTokens(request.url),
    host: request.host,
    remoteAddress: request.ip,
    remotePort: request.socket.remotePort,
  };
}

// Unsubscribing from play emails, with no login: the page a recipient reaches from the link in an
// email (which asks before it acts, so a mail scanner following the link changes nothing), the
// one-click POST mail clients send from the List-Unsubscribe header (RFC 8058), and the list of
// addresses that asked.
import multipart from '@fastify/multipart';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { FastifyPluginCallbackZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { AppError } from '../../domain/errors';
import { escapeHtml } from '../../domain/html';
import type { Services } from '../../services';
import { htmlPage, suppressionsResponse } from '../responses';
import { formError } from '../upload-spool';

const tokenQuery = z.object({ token: z.string().min(1).max(2000) });

function page(reply: FastifyReply, status: number, title: string, body: string): FastifyReply {
  return reply
    .status(status)
    .type('text/html; charset=utf-8')
    .send(
      '<!doctype html><html lang="en"><head><meta charset="utf-8">' +
        '<meta name="viewport" content="width=device-width, initial-scale=1">' +
        `<title>${escapeHtml(title)}</title></head>` +
        `<body style="font-family:sans-serif;max-width:32rem;margin:3rem auto;line-height:1.5"><h1>${escapeHtml(title)}</h1>${body}</body></html>\n`,
    );
}

/** The page for a link that was not made here. */
function invalid(reply: FastifyReply, error: unknown): FastifyReply {
  if (!(error instanceof AppError) || error.code !== 'INVALID_TOKEN') throw error;
  return page(reply, 400, 'This link is not valid', `<p>${escapeHtml(error.message)}</p>`);
}

/** The fields of a form, url-encoded or multipart; a multipart form with a file is refused. */
async function formFields(request: FastifyRequest<{ Body: Record<string, string> | null | undefined }>) {
  if (!request.isMultipart()) return request.body ?? {};
  const fields: [string, string][] = [];
  try {
    for await (const part of request.parts({ limits: { fields: 10, fieldSize: 1000, parts: 10 } })) {
      if (part.type === 'file') throw new AppError('BAD_REQUEST', 'The unsubscribe form takes no file.');
      fields.push([part.fieldname, String(part.value)]);
    }
  } catch (error) {
    throw formError(error, 0);
  }
  return Object.fromEntries(fields);
}

export const emailRoutes =
  (services: Services): FastifyPluginCallbackZod =>
  (app, _options, done) => {
    // Forms and mail clients post application/x-www-form-urlencoded; RFC 8058 allows
    // multipart/form-data too. Either way the body is the form's fields; a file is refused.
    app.addContentTypeParser(
      'application/x-www-form-urlencoded',
      { parseAs: 'string' },
      (_request, body, next) => next(null, Object.fromEntries(new URLSearchParams(String(body)))),
    );
    void app.register(multipart);

    app.get(
      '/email/unsubscribe',
      {
        config: { access: 'public' },
        schema: {
          tags: ['email'],
          operationId: 'unsubscribePage',
          summary: 'The unsubscribe page of an email link',
          description: 'Asks the recipient to confirm; nothing changes until they do.',
          querystring: tokenQuery,
          response: { 200: htmlPage, 400: htmlPage },
        },
      },
      async (request, reply) => {
        let email: string;
        try {
          email = await services.emailPreferences.verify(request.query.token);
        } catch (error) {
          return invalid(reply, error);
        }
        const action = `/email/unsubscribe?token=${encodeURIComponent(request.query.token)}`;
        return page(
          reply,
          200,
          'Unsubscribe',
          `<p>Stop the emails sent to <strong>${escapeHtml(email)}</strong>?</p>` +
            `<form method="post" action="${escapeHtml(action)}"><button type="submit" name="confirm" value="yes">Unsubscribe</button></form>`,
        );
      },
    );

    app.post(
      '/email/unsubscribe',
      {
        config: { access: 'public' },
        schema: {
          tags: ['email'],
          operationId: 'unsubscribe',
          summary: 'Unsubscribe (one-click or from the page)',
          description:
            "RFC 8058 one-click: a POST with `List-Unsubscribe=One-Click`, as mail clients send it; or the page's form.",
          querystring: tokenQuery,
          body: z.record(z.string(), z.string()).nullish(),
          response: { 200: htmlPage, 400: htmlPage },
        },
      },
      async (request, reply) => {
        const oneClick = (await formFields(request))['List-Unsubscribe'] === 'One-Click';
        let email: string;
        try {
          email = await services.emailPreferences.unsubscribe(
            request.query.token,
            oneClick ? 'one_click' : 'page',
          );
        } catch (error) {
          return invalid(reply, error);
        }
        return page(
          reply,
          200,
          'You are unsubscribed',
          `<p>No more emails will be sent to ${escapeHtml(email)}.</p>`,
        );
      },
    );

    app.get(
      '/api/v1/email/suppressions',
      {
        config: { access: 'read' },
        schema: {
          tags: ['email'],
          operationId: 'listEmailSuppressions',
          summary: 'Addresses that unsubscribed',
          description: 'Every address that asked for no more email, newest first; plays send them nothing.',
          response: { 200: suppressionsResponse },
        },
      },
      async () => ({ items: await services.emailPreferences.list() }),
    );
    done();
  };

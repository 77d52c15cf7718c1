// Real local endpoints for what plays send: an SMTP server (smtp-server) that keeps every message
// it accepts, and an HTTP server that keeps every webhook body.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import { SYSTEM_ACTOR } from '../../src/domain/policy';
import type { Services } from '../../src/services';

export interface ReceivedEmail {
  from: string;
  to: string[];
  raw: string;
  /** The plain-text part. */
  text: string;
  /** The HTML part, when there is one. */
  html: string | null;
  subject: string;
  messageId: string;
  /** Every header, lower-case names, values as sent (unfolded). */
  headers: Map<string, string>;
}

export interface SmtpSink {
  url: string;
  received: ReceivedEmail[];
  close(): Promise<void>;
}

export async function startSmtpSink(): Promise<SmtpSink> {
  const received: ReceivedEmail[] = [];
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        const raw = Buffer.concat(chunks);
        // Accepted once it is read, so a sender's send resolves after the message is here.
        simpleParser(raw)
          .then((mail) => {
            received.push({
              from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
              to: session.envelope.rcptTo.map((rcpt) => rcpt.address),
              raw: raw.toString('utf8'),
              text: mail.text ?? '',
              html: typeof mail.html === 'string' ? mail.html : null,
              subject: mail.subject ?? '',
              messageId: mail.messageId ?? '',
              headers: new Map(mail.headerLines.map((line) => [line.key, unfold(line.line)])),
            });
            callback();
          })
          .catch((error: unknown) => callback(error instanceof Error ? error : new Error(String(error))));
      });
    },
  });
  // A sender killed mid-conversation drops the connection; a real server shrugs that off too.
  server.on('error', () => undefined);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.server.address() as AddressInfo;
  return {
    url: `smtp://127.0.0.1:${port}`,
    received,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** A header line's value: after its name, folded lines joined. */
function unfold(line: string): string {
  return line
    .slice(line.indexOf(':') + 1)
    .replace(/\r?\n[ \t]+/g, ' ')
    .trim();
}

/**
 * Opens 127.0.0.1, where the webhook sink listens, to plays: internal addresses are refused unless
 * an admin allowlists them. (Email goes to the operator's SMTP_URL, which is trusted as configured.)
 */
export async function allowLocalSinks(services: Pick<Services, 'config'>): Promise<void> {
  await services.config.updateSettings(SYSTEM_ACTOR, { outboundAllowlist: ['127.0.0.1'] });
}

export interface WebhookSink {
  url: string;
  received: { body: unknown; idempotencyKey: string | undefined }[];
  close(): Promise<void>;
}

export async function startWebhookSink(): Promise<WebhookSink> {
  const received: WebhookSink['received'] = [];
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const key = request.headers['idempotency-key'];
      received.push({
        body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown,
        idempotencyKey: Array.isArray(key) ? key[0] : key,
      });
      response.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hook`,
    received,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

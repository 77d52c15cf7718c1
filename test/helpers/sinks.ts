// Real local endpoints for what plays send: an SMTP server (smtp-server) that keeps every message
// it accepts, and an HTTP server that keeps every webhook body.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { SYSTEM_ACTOR } from '../../src/domain/policy';
import type { Services } from '../../src/services';

export interface ReceivedEmail {
  from: string;
  to: string[];
  raw: string;
  /** The body, decoded from quoted-printable when sent that way. */
  text: string;
  subject: string;
  messageId: string;
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
        const raw = Buffer.concat(chunks).toString('utf8');
        received.push({
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          to: session.envelope.rcptTo.map((rcpt) => rcpt.address),
          raw,
          text: body(raw),
          subject: header(raw, 'subject'),
          messageId: header(raw, 'message-id'),
        });
        callback();
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

function body(raw: string): string {
  const [, ...rest] = raw.split(/\r?\n\r?\n/);
  const text = rest.join('\n\n');
  if (!/content-transfer-encoding:\s*quoted-printable/i.test(raw)) return text;
  const bytes = text.replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/g, (_, hex: string) => `%${hex}`);
  return decodeURIComponent(bytes.replace(/%(?![0-9A-F]{2})/g, '%25'));
}

/** A header's value, with RFC 2047 encoded words decoded and folded lines joined. */
function header(raw: string, name: string): string {
  const head = raw.split(/\r?\n\r?\n/)[0] ?? '';
  const unfolded = head.replace(/\r?\n[ \t]+/g, ' ');
  const line = unfolded.split(/\r?\n/).find((l) => l.toLowerCase().startsWith(`${name}:`));
  const value = line?.slice(name.length + 1).trim() ?? '';
  return value.replace(/=\?utf-8\?([bq])\?([^?]*)\?=/gi, (_, encoding: string, text: string) =>
    encoding.toLowerCase() === 'b'
      ? Buffer.from(text, 'base64').toString('utf8')
      : decodeURIComponent(text.replace(/_/g, ' ').replace(/=([0-9a-f]{2})/gi, '%$1')),
  );
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

// The two ways a play reaches outside Retain: email over SMTP (nodemailer) and webhooks (HTTP POST
// of Slack-compatible JSON). Each sits behind a small interface; tests hand in real local servers.
//
// Webhook URLs come from play definitions, so they are checked before anything connects: the name
// is resolved, every address must pass the outbound rules, and the connection goes to the addresses
// that were checked (no second lookup for a name to change its answer in between). Redirects are
// not followed. The SMTP server is the operator's own (SMTP_URL) and is trusted as configured.
import { lookup } from 'node:dns/promises';
import http from 'node:http';
import https from 'node:https';
import type { LookupFunction } from 'node:net';
import nodemailer from 'nodemailer';
import { OutboundPolicy } from '../domain/outbound';

export interface EmailMessage {
  to: string;
  subject: string;
  text: string;
  html?: string;
  /** Where replies go: the account's owner. */
  replyTo?: string;
  /** The recipient's one-click unsubscribe address (List-Unsubscribe, RFC 8058). */
  unsubscribeUrl?: string;
  /** Stable per outbox entry, so a receiving system can recognise the message: the Message-ID's local part. */
  messageKey: string;
}

export interface Mailer {
  send(message: EmailMessage): Promise<void>;
}

export interface WebhookCall {
  url: string;
  body: Record<string, unknown>;
  idempotencyKey: string;
  /** Internal hosts and ranges an admin opened to plays (the `outboundAllowlist` setting). */
  allowlist: readonly string[];
}

export interface WebhookClient {
  post(call: WebhookCall): Promise<void>;
}

/** Why a message did not go out, in words safe to store and show to admins. */
export type DeliveryFailureCategory =
  | 'refused_destination'
  | 'dns_failed'
  | 'connection_failed'
  | 'timeout'
  | 'redirect_refused'
  | 'http_error'
  | 'rejected'
  | 'not_configured'
  | 'error';

/** A failed send: the category may be stored and shown; the detail is for the server log only. */
export class DeliveryError extends Error {
  constructor(
    readonly category: DeliveryFailureCategory,
    readonly detail: string,
  ) {
    super(`delivery failed: ${category}`);
    this.name = 'DeliveryError';
  }
}

/** The category and log detail of anything a sender threw. */
export function deliveryFailure(error: unknown): { category: DeliveryFailureCategory; detail: string } {
  if (error instanceof DeliveryError) return { category: error.category, detail: error.detail };
  return { category: 'error', detail: error instanceof Error ? error.message : String(error) };
}

const SMTP_FAILURES: Partial<Record<string, DeliveryFailureCategory>> = {
  ETIMEDOUT: 'timeout',
  EDNS: 'dns_failed',
  ECONNECTION: 'connection_failed',
  ESOCKET: 'connection_failed',
  ETLS: 'connection_failed',
  EAUTH: 'rejected',
  EENVELOPE: 'rejected',
  EMESSAGE: 'rejected',
  EPROTOCOL: 'rejected',
};

/** The domain of the address in a From value (`Retain <cs@example.com>` gives example.com). */
export function domainOf(from: string): string | null {
  const match = /@([A-Za-z0-9.-]+)>?\s*$/.exec(from.trim());
  return match?.[1]?.toLowerCase() ?? null;
}

/**
 * A mailer over SMTP, e.g. `smtp://user:pass@mail.example.com:587`. Message-IDs are on
 * `messageIdDomain`, by default the From address's domain.
 */
export function smtpMailer(url: string, from: string, options: { messageIdDomain?: string } = {}): Mailer {
  const transport = nodemailer.createTransport(url);
  const domain = options.messageIdDomain ?? domainOf(from) ?? 'localhost';
  return {
    async send(message) {
      try {
        await transport.sendMail({
          from,
          to: message.to,
          subject: message.subject,
          text: message.text,
          ...(message.html !== undefined && { html: message.html }),
          ...(message.replyTo !== undefined && { replyTo: message.replyTo }),
          ...(message.unsubscribeUrl !== undefined && {
            list: { unsubscribe: { url: message.unsubscribeUrl, comment: 'Unsubscribe' } },
            headers: { 'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click' },
          }),
          messageId: `<${message.messageKey.replace(/[^a-z0-9.-]/gi, '.')}@${domain}>`,
        });
      } catch (error) {
        const code = (error as { code?: unknown }).code;
        const category = (typeof code === 'string' ? SMTP_FAILURES[code] : undefined) ?? 'error';
        throw new DeliveryError(category, error instanceof Error ? error.message : String(error));
      }
    },
  };
}

/** What a process uses when SMTP_URL is not set: every email fails with a message saying so. */
export const unconfiguredMailer: Mailer = {
  send() {
    return Promise.reject(
      new DeliveryError(
        'not_configured',
        'email is not configured: set SMTP_URL (and MAIL_FROM) for the server',
      ),
    );
  },
};

/** The mailer the environment asks for. */
export function mailerFromEnv(env: NodeJS.ProcessEnv = process.env): Mailer {
  const url = env.SMTP_URL;
  if (url === undefined || url === '') return unconfiguredMailer;
  return smtpMailer(url, env.MAIL_FROM ?? 'Retain <retain@localhost>', {
    ...(env.MAIL_MESSAGE_ID_DOMAIN && { messageIdDomain: env.MAIL_MESSAGE_ID_DOMAIN }),
  });
}

export interface ResolvedAddress {
  address: string;
  family: number;
}

/** Every address a host name resolves to. */
export type Resolver = (hostname: string) => Promise<ResolvedAddress[]>;

export const systemResolver: Resolver = (hostname) => lookup(hostname, { all: true });

/**
 * Where a webhook may connect: the URL's addresses after resolution, each allowed by the outbound
 * rules and the allowlist. Throws a `refused_destination` DeliveryError otherwise.
 */
export async function resolveDestination(
  target: string,
  allowlist: readonly string[],
  resolve: Resolver,
  signal: AbortSignal,
): Promise<{ url: URL; addresses: ResolvedAddress[] }> {
  const policy = new OutboundPolicy(allowlist);
  const checked = policy.checkUrl(target);
  if (!checked.allowed)
    throw new DeliveryError('refused_destination', `${checked.reason}: ${describe(target)}`);
  const { url, literal } = checked;
  if (literal)
    return { url, addresses: [{ address: literal.toString(), family: literal.kind() === 'ipv4' ? 4 : 6 }] };
  let addresses: ResolvedAddress[];
  try {
    addresses = await abortable(resolve(checked.hostname), signal);
  } catch (error) {
    if (signal.aborted) throw new DeliveryError('timeout', `resolving ${url.hostname} timed out`);
    throw new DeliveryError('dns_failed', `resolving ${url.hostname}: ${String(error)}`);
  }
  if (addresses.length === 0) throw new DeliveryError('dns_failed', `${url.hostname} has no address`);
  for (const { address } of addresses) {
    const reason = policy.addressRefusal(address, checked.hostAllowlisted);
    if (reason !== null)
      throw new DeliveryError('refused_destination', `${reason}: ${url.hostname} resolves to ${address}`);
  }
  return { url, addresses };
}

/**
 * Posts JSON to a checked destination with a timeout; any answer but 2xx is a failure, a redirect
 * included. `resolve` is how host names are looked up (the system resolver unless a test says).
 */
export function httpWebhookClient(timeoutMs = 10_000, resolve: Resolver = systemResolver): WebhookClient {
  return {
    async post(call) {
      const signal = AbortSignal.timeout(timeoutMs);
      const { url, addresses } = await resolveDestination(call.url, call.allowlist, resolve, signal);
      const status = await postJson(url, addresses, JSON.stringify(call.body), call.idempotencyKey, signal);
      if (status >= 300 && status < 400)
        throw new DeliveryError(
          'redirect_refused',
          `${describe(call.url)} answered HTTP ${status}; redirects are not followed`,
        );
      if (status < 200 || status >= 300)
        throw new DeliveryError('http_error', `${describe(call.url)} answered HTTP ${status}`);
    },
  };
}

/** One POST over a connection to the checked addresses only; resolves with the response status. */
function postJson(
  url: URL,
  addresses: readonly ResolvedAddress[],
  body: string,
  idempotencyKey: string,
  signal: AbortSignal,
): Promise<number> {
  // Host name URLs keep their Host header and TLS server name; only the address lookup is pinned.
  const pinned: LookupFunction = (_hostname, options, callback) => {
    const family = options.family === 'IPv4' ? 4 : options.family === 'IPv6' ? 6 : options.family;
    const usable = addresses.filter((entry) => !family || entry.family === family);
    const first = usable[0];
    if (!first) {
      callback(Object.assign(new Error('no checked address of that family'), { code: 'ENOTFOUND' }), '', 0);
    } else if (options.all) {
      callback(
        null,
        usable.map((entry) => ({ address: entry.address, family: entry.family })),
      );
    } else {
      callback(null, first.address, first.family);
    }
  };
  return new Promise((resolve, reject) => {
    const request = (url.protocol === 'https:' ? https : http).request(
      url,
      {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
          'idempotency-key': idempotencyKey,
        },
        agent: false,
        lookup: pinned,
        signal,
      },
      (response) => {
        response.resume();
        resolve(response.statusCode ?? 0);
      },
    );
    request.on('error', (error) => {
      reject(
        signal.aborted
          ? new DeliveryError('timeout', `${describe(url.href)} did not answer in time`)
          : new DeliveryError('connection_failed', `${describe(url.href)}: ${error.message}`),
      );
    });
    request.end(body);
  });
}

/** A URL for the log: scheme, host and port, never the path or query (webhook URLs carry secrets). */
function describe(target: string): string {
  try {
    const url = new URL(target);
    return url.host === '' ? url.protocol : `${url.protocol}//${url.host}`;
  } catch {
    return 'an invalid URL';
  }
}

function abortable<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const abort = () => reject(signal.reason instanceof Error ? signal.reason : new Error('aborted'));
    if (signal.aborted) return abort();
    signal.addEventListener('abort', abort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener('abort', abort));
  });
}

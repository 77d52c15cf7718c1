// The two ways a play reaches outside Retain: email over SMTP (nodemailer) and webhooks (HTTP POST
// of Slack-compatible JSON). Each sits behind a small interface; tests hand in real local servers.
import nodemailer from 'nodemailer';

export interface EmailMessage {
  to: string;
  subject: string;
  text: string;
  /** Stable per outbox entry, so a receiving system can recognise the message. */
  messageId: string;
}

export interface Mailer {
  send(message: EmailMessage): Promise<void>;
}

export interface WebhookCall {
  url: string;
  body: Record<string, unknown>;
  idempotencyKey: string;
}

export interface WebhookClient {
  post(call: WebhookCall): Promise<void>;
}

/** A mailer over SMTP, e.g. `smtp://user:pass@mail.example.com:587`. */
export function smtpMailer(url: string, from: string): Mailer {
  const transport = nodemailer.createTransport(url);
  return {
    async send(message) {
      await transport.sendMail({
        from,
        to: message.to,
        subject: message.subject,
        text: message.text,
        messageId: message.messageId,
      });
    },
  };
}

/** What a process uses when SMTP_URL is not set: every email fails with a message saying so. */
export const unconfiguredMailer: Mailer = {
  send() {
    return Promise.reject(new Error('email is not configured: set SMTP_URL (and MAIL_FROM) for the server'));
  },
};

/** The mailer the environment asks for. */
export function mailerFromEnv(env: NodeJS.ProcessEnv = process.env): Mailer {
  const url = env.SMTP_URL;
  if (url === undefined || url === '') return unconfiguredMailer;
  return smtpMailer(url, env.MAIL_FROM ?? 'Retain <retain@localhost>');
}

/** Posts JSON with a timeout; any answer but 2xx is a failure. */
export function httpWebhookClient(timeoutMs = 10_000): WebhookClient {
  return {
    async post(call) {
      const response = await fetch(call.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'idempotency-key': call.idempotencyKey },
        body: JSON.stringify(call.body),
        signal: AbortSignal.timeout(timeoutMs),
      });
      if (!response.ok) throw new Error(`webhook answered HTTP ${response.status}`);
    },
  };
}

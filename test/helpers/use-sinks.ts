// Sinks for a test file: started before each test, closed after it.
import { afterEach, beforeEach } from 'vitest';
import { startSmtpSink, startWebhookSink, type SmtpSink, type WebhookSink } from './sinks';

/** Fresh SMTP and webhook sinks around every test of the file. */
export function useSinks(): { smtp: () => SmtpSink; hooks: () => WebhookSink } {
  let smtp: SmtpSink | undefined;
  let hooks: WebhookSink | undefined;
  beforeEach(async () => {
    smtp = await startSmtpSink();
    hooks = await startWebhookSink();
  });
  afterEach(async () => {
    await smtp?.close();
    await hooks?.close();
  });
  const need = <T>(value: T | undefined): T => {
    if (value === undefined) throw new Error('sinks start before each test');
    return value;
  };
  return { smtp: () => need(smtp), hooks: () => need(hooks) };
}

// Where plays may send: a webhook URL that reaches Retain's own network (loopback, private,
// link-local, carrier-grade NAT, cloud metadata, odd spellings of them, other schemes) is refused
// when the play is saved and again after DNS resolution when the message is sent; redirects are
// not followed; the outbox keeps a generic reason; only admins read a webhook's URL. Local HTTP
// servers on 127.0.0.1 stand in for remote ones, reached through the admins' allowlist.
import { lookup } from 'node:dns/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect, it } from 'vitest';
import { SYSTEM_ACTOR } from '../../src/domain/policy';
import { createPlayRunner } from '../../src/jobs/play-runner';
import { httpWebhookClient, unconfiguredMailer, type ResolvedAddress } from '../../src/services/messaging';
import { PlayRepository } from '../../src/store/play.repository';
import { apiWorld, errorCode } from '../api/helpers';
import { buildTinyBook } from '../helpers/book';
import { forEachStore, type TestStore } from '../helpers/stores';

const V1 = '/api/v1';

interface LocalServer {
  port: number;
  /** `METHOD path` of every request that arrived. */
  hits: string[];
  close(): Promise<void>;
}

async function listen(
  answer: (request: IncomingMessage, response: ServerResponse) => void,
): Promise<LocalServer> {
  const hits: string[] = [];
  const server = createServer((request, response) => {
    request.resume();
    request.on('end', () => {
      hits.push(`${request.method ?? ''} ${request.url ?? ''}`);
      answer(request, response);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    port,
    hits,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

const ok = (_request: IncomingMessage, response: ServerResponse) => {
  response.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
};

/** A port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = await listen(ok);
  await server.close();
  return server.port;
}

// Names the tests' DNS answers for; everything else goes to the system resolver (`localhost`).
const NAMES: Record<string, string[]> = {
  'loopback.test': ['127.0.0.1'],
  'mixed.test': ['93.184.216.34', '127.0.0.1'],
  'metadata.test': ['169.254.169.254'],
  'ula.test': ['fd12:3456::1'],
  'hooks.example.com': ['127.0.0.1'],
};
const resolve = async (hostname: string): Promise<ResolvedAddress[]> => {
  const known = NAMES[hostname];
  if (known) return known.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
  return lookup(hostname, { all: true });
};

/** Refused when a play is saved: the literal host or the scheme is forbidden. */
const SAVE_TIME = [
  'http://169.254.169.254/latest/meta-data/',
  'http://169.254.170.2/v2/credentials',
  'http://100.100.100.200/latest/meta-data/',
  'http://[fd00:ec2::254]/latest/meta-data/',
  'http://10.0.0.1/hook',
  'http://172.16.0.1/hook',
  'http://192.168.1.10/hook',
  'http://100.64.0.1/hook',
  'http://127.0.0.1:22/',
  'http://127.1/',
  'http://0177.0.0.1/',
  'http://2130706433/',
  'http://0x7f.1/',
  'http://017700000001/',
  'http://localhost:6379/',
  'http://sub.localhost/',
  'http://[::1]/',
  'http://[::ffff:127.0.0.1]/',
  'http://[::127.0.0.1]/',
  'http://[fc00::1]/',
  'http://[fe80::1]/',
  'http://0.0.0.0/',
  'http://[::]/',
  'http://224.0.0.1/',
  'http://[ff02::1]/',
  'http://255.255.255.255/',
  'http://240.0.0.1/',
  'http://192.0.2.1/',
  'ftp://files.example.com/hook',
  'file:///etc/passwd',
  'gopher://127.0.0.1:6379/_INFO',
];

/** Refused when the message is sent, after DNS resolution; `P` is a live local server's port. */
const sendTime = (port: number) => [
  `http://127.0.0.1:${port}/hook`,
  `http://localhost:${port}/hook`,
  `http://2130706433:${port}/hook`,
  `http://0x7f.1:${port}/hook`,
  `http://017700000001:${port}/hook`,
  `http://[::ffff:127.0.0.1]:${port}/hook`,
  `http://[::1]:${port}/hook`,
  `http://0.0.0.0:${port}/hook`,
  `http://[::]:${port}/hook`,
  `http://loopback.test:${port}/hook`,
  `http://mixed.test:${port}/hook`,
  `http://metadata.test/latest/meta-data/`,
  `http://ula.test/hook`,
  'http://169.254.169.254/latest/meta-data/',
  'http://10.0.0.1/hook',
  `ftp://127.0.0.1:${port}/hook`,
  'file:///etc/passwd',
];

const webhookPlay = (name: string, url: string) => ({
  name,
  definition: { trigger: { kind: 'case_opened' }, steps: [{ kind: 'webhook', url, text: 'Hello' }] },
});

/** Queues webhook calls straight into the outbox, as a play saved before a check would have. */
async function queueWebhooks(t: TestStore, accountId: number, urls: readonly string[], tag = 'probe') {
  await new PlayRepository(t.store.db).enqueue(
    urls.map((url, i) => ({
      key: `${tag}:${i}`,
      kind: 'webhook' as const,
      runId: null,
      accountId,
      payload: { url, body: { text: 'probe' } },
    })),
    t.clock.now(),
  );
}

async function anAccount(t: TestStore): Promise<number> {
  const book = await buildTinyBook(t, { cases: false });
  return book.accounts[0]?.id ?? 0;
}

const runner = (t: TestStore) =>
  createPlayRunner(t.services, { mailer: unconfiguredMailer, webhooks: httpWebhookClient(2000, resolve) });

/** Each message's URL with its state and stored reason. */
async function outcomes(t: TestStore): Promise<Record<string, string>> {
  const messages = await new PlayRepository(t.store.db).messages({});
  return Object.fromEntries(
    messages.map((message) => [String(message.payload.url), `${message.status}: ${message.lastError ?? ''}`]),
  );
}

forEachStore('outbound destinations', (current) => {
  it(`refuses a play whose webhook URL is a forbidden destination (${SAVE_TIME.length} URLs)`, async () => {
    const t = current();
    const w = await apiWorld(t, { cases: false });
    const answers: Record<string, string> = {};
    for (const [i, url] of SAVE_TIME.entries()) {
      const response = await w.as('admin', {
        method: 'POST',
        url: `${V1}/plays`,
        payload: webhookPlay(`Probe ${i}`, url),
      });
      answers[url] = `${response.statusCode} ${errorCode(response) ?? ''}`;
    }
    expect(answers).toEqual(Object.fromEntries(SAVE_TIME.map((url) => [url, '422 DESTINATION_FORBIDDEN'])));

    // An edit is checked the same way; a public host is accepted.
    const created = await w.as('admin', {
      method: 'POST',
      url: `${V1}/plays`,
      payload: webhookPlay('Slack', 'https://hooks.slack.com/services/T0/B0/token'),
    });
    expect(created.statusCode).toBe(201);
    const edit = await w.as('admin', {
      method: 'PATCH',
      url: `${V1}/plays/slack`,
      payload: {
        version: created.json<{ version: number }>().version,
        definition: webhookPlay('Slack', 'http://[::1]:8080/').definition,
      },
    });
    expect([edit.statusCode, errorCode(edit)]).toEqual([422, 'DESTINATION_FORBIDDEN']);
    expect(edit.json<{ error: { details: { field: string } } }>().error.details.field).toBe(
      'definition.steps.0.url',
    );

    // The allowlist opens internal hosts, but never the cloud metadata addresses.
    await t.services.config.updateSettings(SYSTEM_ACTOR, {
      outboundAllowlist: ['127.0.0.1', '169.254.0.0/16'],
    });
    const internal = await w.as('admin', {
      method: 'POST',
      url: `${V1}/plays`,
      payload: webhookPlay('Internal', 'http://127.0.0.1:8080/hook'),
    });
    expect(internal.statusCode).toBe(201);
    const metadata = await w.as('admin', {
      method: 'POST',
      url: `${V1}/plays`,
      payload: webhookPlay('Metadata', 'http://169.254.169.254/latest/meta-data/'),
    });
    expect(errorCode(metadata)).toBe('DESTINATION_FORBIDDEN');
  });

  it('checks every resolved address when sending and connects to none that is forbidden', async () => {
    const t = current();
    const trap = await listen(ok);
    try {
      const urls = sendTime(trap.port);
      const accountId = await anAccount(t);
      await queueWebhooks(t, accountId, urls);
      await runner(t).drain();
      expect(await outcomes(t)).toEqual(
        Object.fromEntries(urls.map((url) => [url, 'failed: webhook delivery failed: refused_destination'])),
      );
      expect(trap.hits).toEqual([]);

      // Allowlisted, the same local server is reached, at the address that was checked.
      await t.services.config.updateSettings(SYSTEM_ACTOR, { outboundAllowlist: ['loopback.test'] });
      await queueWebhooks(t, accountId, [`http://loopback.test:${trap.port}/allowed`], 'allowed');
      await runner(t).drain();
      expect(trap.hits).toEqual(['POST /allowed']);
      expect((await outcomes(t))[`http://loopback.test:${trap.port}/allowed`]).toBe('sent: ');
    } finally {
      await trap.close();
    }
  });

  it('does not follow a redirect from an allowlisted server to a forbidden one', async () => {
    const t = current();
    const target = await listen(ok);
    const redirector = await listen((_request, response) => {
      response.writeHead(307, { location: `http://127.0.0.1:${target.port}/hook` }).end();
    });
    try {
      await t.services.config.updateSettings(SYSTEM_ACTOR, { outboundAllowlist: ['localhost'] });
      const url = `http://localhost:${redirector.port}/hook`;
      await queueWebhooks(t, await anAccount(t), [url]);
      await runner(t).drain();
      expect(redirector.hits).toEqual(['POST /hook']);
      expect(target.hits).toEqual([]);
      expect(await outcomes(t)).toEqual({ [url]: 'failed: webhook delivery failed: redirect_refused' });
    } finally {
      await redirector.close();
      await target.close();
    }
  });

  it("keeps a generic reason in the outbox, not the remote's answer, and still retries", async () => {
    const t = current();
    let healthy = false;
    const remote = await listen((_request, response) => {
      if (healthy) ok(_request, response);
      else
        response
          .writeHead(503, { 'content-type': 'text/plain' })
          .end('redis_version:7.2.4 requirepass=hunter2');
    });
    const closed = await closedPort();
    try {
      const w = await apiWorld(t, { cases: false });
      await t.services.config.updateSettings(SYSTEM_ACTOR, { outboundAllowlist: ['127.0.0.0/8'] });
      const answering = `http://127.0.0.1:${remote.port}/hook`;
      const refusing = `http://127.0.0.1:${closed}/hook`;
      await queueWebhooks(t, w.book.accounts[0]?.id ?? 0, [answering, refusing]);
      await runner(t).drain();
      expect(await outcomes(t)).toEqual({
        [answering]: 'failed: webhook delivery failed: http_error',
        [refusing]: 'failed: webhook delivery failed: connection_failed',
      });
      const outbox = await w.as('admin', { method: 'GET', url: `${V1}/outbox` });
      expect(outbox.json<{ items: unknown[] }>().items).toHaveLength(2);
      expect(outbox.body).not.toMatch(/503|hunter2|redis|ECONNREFUSED/);

      // The failed message is tried again later and goes through once the remote is healthy.
      healthy = true;
      t.clock.advanceMinutes(3);
      await runner(t).drain();
      expect((await outcomes(t))[answering]).toBe('sent: ');
      expect(remote.hits).toEqual(['POST /hook', 'POST /hook']);
    } finally {
      await remote.close();
    }
  });

  it('shows webhook URLs to admins only', async () => {
    const t = current();
    const w = await apiWorld(t, { cases: false });
    const secret = 'https://hooks.example.com/services/T0/B0/s3cr3t-token';
    const created = await w.as('admin', {
      method: 'POST',
      url: `${V1}/plays`,
      payload: webhookPlay('Tell the channel', secret),
    });
    expect(created.statusCode).toBe(201);
    await w.as('admin', {
      method: 'PATCH',
      url: `${V1}/plays/tell_the_channel`,
      payload: { active: true, version: created.json<{ version: number }>().version },
    });
    await t.services.riskCases.open(SYSTEM_ACTOR, {
      accountId: w.book.accounts[0]?.id ?? 0,
      reasons: ['poor_engagement'],
    });
    await runner(t).drain();
    const runs = await w.as('admin', { method: 'GET', url: `${V1}/plays/tell_the_channel/runs` });
    const [run] = runs.json<{ items: { id: number }[] }>().items;
    expect(run).toBeDefined();
    const paths = [
      `${V1}/plays`,
      `${V1}/plays/tell_the_channel`,
      `${V1}/plays/tell_the_channel/versions`,
      `${V1}/plays/tell_the_channel/runs`,
      `${V1}/play-runs/${run?.id}`,
    ];
    const seen: Record<string, boolean[]> = {};
    for (const who of ['viewer', 'csmA', 'leadA', 'admin'] as const) {
      seen[who] = [];
      for (const path of paths) {
        const response = await w.as(who, { method: 'GET', url: path });
        expect(response.statusCode).toBe(200);
        seen[who].push(/s3cr3t|hooks\.example\.com/.test(response.body));
      }
    }
    expect(seen).toEqual({
      viewer: [false, false, false, false, false],
      csmA: [false, false, false, false, false],
      leadA: [false, false, false, false, false],
      // Runs list no definitions; the run's detail holds its message.
      admin: [true, true, true, false, true],
    });
    const hidden = await w.as('viewer', { method: 'GET', url: `${V1}/plays/tell_the_channel` });
    expect(hidden.json()).toMatchObject({
      definition: { steps: [{ kind: 'webhook', url: '[hidden]', text: 'Hello' }] },
    });
    expect((await w.as('viewer', { method: 'GET', url: `${V1}/outbox` })).statusCode).toBe(403);
  });

  it('lets admins alone edit the outbound allowlist, which starts empty', async () => {
    const t = current();
    const w = await apiWorld(t, { cases: false });
    const read = await w.as('viewer', { method: 'GET', url: `${V1}/settings` });
    expect(read.json()).toMatchObject({ outboundAllowlist: [] });
    const entries = ['hooks.internal.example', '10.20.0.0/16', '127.0.0.1', 'fd12::/16'];
    const denied = await w.as('leadA', {
      method: 'PATCH',
      url: `${V1}/settings`,
      payload: { outboundAllowlist: entries },
    });
    expect(denied.statusCode).toBe(403);
    for (const bad of ['http://hooks.example.com', 'not a host', '10.0.0.0/33', '*']) {
      const refused = await w.as('admin', {
        method: 'PATCH',
        url: `${V1}/settings`,
        payload: { outboundAllowlist: [bad] },
      });
      expect([bad, refused.statusCode]).toEqual([bad, 400]);
    }
    const saved = await w.as('admin', {
      method: 'PATCH',
      url: `${V1}/settings`,
      payload: { outboundAllowlist: entries },
    });
    expect(saved.json()).toMatchObject({ outboundAllowlist: entries });
    const other = await w.as('admin', {
      method: 'PATCH',
      url: `${V1}/settings`,
      payload: { updateOverdueDays: 9 },
    });
    expect(other.json()).toMatchObject({ updateOverdueDays: 9, outboundAllowlist: entries });
  });
});

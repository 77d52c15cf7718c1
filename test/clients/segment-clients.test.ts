// The official Segment and RudderStack Node libraries, configured as the README says, send every
// call type of the spec to a real `retain serve`, which is killed and started again mid-stream.
// Everything they sent must arrive exactly once, with what each call said.
import { Analytics as SegmentAnalytics } from '@segment/analytics-node';
import RudderAnalytics from '@rudderstack/rudder-sdk-node';
import { afterEach, expect, it } from 'vitest';
import { startServer, type BenchServer } from '../../bench/lib/server';
import { apiWorld } from '../api/helpers';
import { forEachStore, TEST_START, type TestStore } from '../helpers/stores';

type Scalar = string | number | boolean | null;
type Json = Scalar | Scalar[] | { [key: string]: Json };
type Fields = Record<string, Json>;
/** Who a call is about: a known user, or an anonymous visitor. */
type Who = { userId: string; anonymousId?: string } | { userId?: string; anonymousId: string };

/** What a library needs from us: the calls of the spec, and a flush that resolves when all is sent. */
interface Client {
  group: (call: Who & { groupId: string; traits: Fields }) => Promise<void>;
  identify: (call: Who & { traits: Fields }) => Promise<void>;
  alias: (call: { previousId: string; userId: string }) => Promise<void>;
  track: (call: Who & { event: string; properties: Fields }) => Promise<void>;
  page: (call: Who & { name: string; properties: Fields }) => Promise<void>;
  screen: (call: Who & { name: string; properties: Fields }) => Promise<void>;
  /** Starts sending what is queued, without waiting. */
  send: () => void;
  close: () => Promise<void>;
}

/** analytics-node, with the settings the README gives: the host, and the path of the batch endpoint. */
function segmentClient(base: string, writeKey: string): Client {
  const analytics = new SegmentAnalytics({
    writeKey,
    host: base,
    path: '/api/v1/segment/v1/batch',
    flushAt: 5,
    flushInterval: 50,
    maxRetries: 100,
  });
  const delivered = (call: (done: (error?: unknown) => void) => void) =>
    new Promise<void>((resolve, reject) => call((error) => (error ? reject(toError(error)) : resolve())));
  return {
    group: (call) => delivered((done) => analytics.group(call, done)),
    identify: (call) => delivered((done) => analytics.identify(call, done)),
    alias: (call) => delivered((done) => analytics.alias(call, done)),
    track: (call) => delivered((done) => analytics.track(call, done)),
    page: (call) => delivered((done) => analytics.page(call, done)),
    screen: (call) => delivered((done) => analytics.screen(call, done)),
    send: () => undefined,
    close: () => analytics.closeAndFlush({ timeout: 120_000 }),
  };
}

/** RudderStack's Node SDK (same spec), pointed at `<retain>/api/v1/segment` as its data plane URL. */
function rudderClient(base: string, writeKey: string): Client {
  const analytics = new RudderAnalytics(writeKey, {
    dataPlaneUrl: `${base}/api/v1/segment`,
    flushAt: 5,
    flushInterval: 50,
    retryCount: 30,
    logLevel: 'none',
  });
  const delivered = (call: (done: (error?: Error) => void) => void) =>
    new Promise<void>((resolve, reject) => call((error) => (error ? reject(error) : resolve())));
  return {
    group: (call) => delivered((done) => analytics.group(call, done)),
    identify: (call) => delivered((done) => analytics.identify(call, done)),
    alias: (call) => delivered((done) => analytics.alias(call, done)),
    track: (call) => delivered((done) => analytics.track(call, done)),
    page: (call) => delivered((done) => analytics.page(call, done)),
    screen: (call) => delivered((done) => analytics.screen(call, done)),
    send: () => void analytics.flush().catch(() => undefined),
    close: async () => {
      await analytics.flush();
    },
  };
}

function toError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}

let server: BenchServer | null = null;
afterEach(async () => {
  await server?.stop();
  server = null;
});

const serve = (t: TestStore, port?: number) =>
  startServer(t.target, { args: ['--no-worker'], env: { RETAIN_NOW: TEST_START, RETAIN_LOG: 'off' }, port });

const CLIENTS = { 'analytics-node': segmentClient, 'rudder-sdk-node': rudderClient } as const;

forEachStore('official Segment clients', (current) => {
  for (const [library, connect] of Object.entries(CLIENTS)) {
    it(`${library}: every call type arrives once, with what it said, across a server kill`, async () => {
      const t = current();
      const w = await apiWorld(t, { cases: false });
      await w.app.close();
      server = await serve(t);
      const client = connect(server.base, w.tokens.ingest);

      // Carol says who she is before her company's group call exists; her contact waits for it.
      await Promise.all([
        client.identify({
          userId: 'u-carol',
          traits: {
            email: 'Carol@Beta.example',
            name: 'Carol Diaz',
            company: { id: 'SEG-BETA', name: 'Beta' },
          },
        }),
        client.group({
          groupId: 'SEG-ACME',
          userId: 'u-ana',
          traits: { name: 'Acme Seg', plan: 'Pro', arr: '12000', address: { city: 'Lyon', country: 'FR' } },
        }),
      ]);
      // Ana's identify comes in a later batch than the group that tied her to Acme.
      await client.identify({
        userId: 'u-ana',
        anonymousId: 'anon-ana',
        traits: { email: 'ana@acme.example', firstName: 'Ana', lastName: 'Lopez', title: 'Ops lead' },
      });
      await client.alias({ previousId: 'visitor-7', userId: 'u-ana' });

      const exported = (i: number) =>
        client.track({ userId: 'u-ana', event: 'Report Exported', properties: { format: 'csv', rows: i } });
      await Promise.all(Array.from({ length: 15 }, (_, i) => exported(i)));

      // The server dies with nothing said; the library keeps what it could not send and retries.
      const port = server.port;
      await server.kill();
      server = null;
      const later = [
        ...Array.from({ length: 15 }, (_, i) => exported(15 + i)),
        client.page({ userId: 'u-ana', name: 'Dashboard', properties: { path: '/dashboard' } }),
        client.screen({ userId: 'u-ana', name: 'Home', properties: { orientation: 'portrait' } }),
        client.track({ anonymousId: 'anon-ana', event: 'Help Opened', properties: { topic: 'billing' } }),
        client.track({ userId: 'visitor-7', event: 'Pricing Viewed', properties: { plan: 'Pro' } }),
        client.group({
          groupId: 'SEG-BETA',
          userId: 'u-beta-admin',
          traits: { name: 'Beta Ltd', arr: 5400 },
        }),
      ];
      client.send();
      server = await serve(t, port);
      await Promise.all(later);
      await client.close();

      const acme = await t.services.accounts.getByExternalId('SEG-ACME');
      expect(acme).toMatchObject({
        name: 'Acme Seg',
        tier: 'Pro',
        arr: 12_000,
        attributes: { 'address.city': 'Lyon', 'address.country': 'FR' },
      });
      expect(await t.services.accounts.contacts(acme.id)).toMatchObject([
        { email: 'ana@acme.example', name: 'Ana Lopez', role: 'Ops lead' },
      ]);
      const beta = await t.services.accounts.getByExternalId('SEG-BETA');
      expect(beta).toMatchObject({ name: 'Beta Ltd', arr: 5400 });
      expect(await t.services.accounts.contacts(beta.id)).toMatchObject([
        { email: 'carol@beta.example', name: 'Carol Diaz' },
      ]);

      const signals = await t.services.signals.listForAccount(acme.id, { limit: 200 });
      const events = signals.map((signal) => signal.data.event);
      expect(events.filter((event) => event === 'Report Exported')).toHaveLength(30);
      const rows = signals.flatMap((signal) => {
        const properties = signal.data.properties as { rows?: number } | undefined;
        return signal.data.event === 'Report Exported' ? [properties?.rows] : [];
      });
      expect(rows.sort((a, b) => (a ?? 0) - (b ?? 0))).toEqual(Array.from({ length: 30 }, (_, i) => i));
      expect(signals.find((signal) => signal.data.event === 'Page Viewed')?.data.properties).toMatchObject({
        name: 'Dashboard',
        path: '/dashboard',
      });
      expect(signals.find((signal) => signal.data.event === 'Screen Viewed')?.data.properties).toMatchObject({
        name: 'Home',
      });
      // The anonymous visitor who identified, and the alias, are Ana: their events are Acme's.
      expect(events).toContain('Help Opened');
      expect(events).toContain('Pricing Viewed');
      expect(signals).toHaveLength(34);
      expect(new Set(signals.map((signal) => signal.idempotencyKey)).size).toBe(34);
      // Times are the sender's, corrected for its clock: the server's clock is pinned, the library's is not.
      for (const signal of signals) {
        const lag = Date.parse(TEST_START) - Date.parse(signal.occurredAt);
        expect(lag).toBeGreaterThanOrEqual(0);
        expect(lag).toBeLessThan(10 * 60_000);
      }
      const rejected = await t.services.segment.rejections({ limit: 10 });
      expect(rejected).toEqual([]);
    });
  }
});

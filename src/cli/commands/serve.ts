// `retain serve`: run the API server; an empty store gets the demo book and its admin login.
import { AppError } from '../../domain/errors';
import type { Command } from 'commander';
import { buildApp, DEFAULT_IMPORT_LIMIT, type TrustProxy } from '../../api/app';
import { DailyRunner } from '../../jobs/daily-run';
import { createPlayRunner } from '../../jobs/play-runner';
import { processClock } from '../../services/clock';
import { createServices } from '../../services';
import { generateDemoBook } from '../../services/demo';
import { openStore, resolveStoreTarget } from '../../store/db';
import { UserRepository } from '../../store/user.repository';

export function serveCommand(program: Command): void {
  program
    .command('serve')
    .description('run the HTTP API (seeds the demo book into an empty store unless --no-demo)')
    .option('--db <target>', 'SQLite file path or postgres:// URL')
    .option('--port <port>', 'port to listen on', process.env.PORT ?? '3000')
    .option('--host <host>', 'address to bind', process.env.HOST ?? '127.0.0.1')
    .option('--no-demo', 'start with an empty store instead of the demo book')
    .option('--demo-accounts <n>', 'accounts in the demo book', '5000')
    .option('--no-worker', 'do not run playbooks in this process (run `retain worker` processes instead)')
    .option(
      '--trust-proxy <proxies>',
      'believe X-Forwarded-For/-Proto from these proxies: "true" (any), or comma-separated addresses and CIDR ranges',
      process.env.RETAIN_TRUST_PROXY,
    )
    .option(
      '--import-limit <MiB>',
      'the largest CSV file an import accepts, in MiB (files are streamed, never held whole)',
      process.env.RETAIN_IMPORT_LIMIT_MIB ?? String(DEFAULT_IMPORT_LIMIT / 1024 / 1024),
    )
    .action(
      async (options: {
        db?: string;
        port: string;
        host: string;
        demo: boolean;
        demoAccounts: string;
        worker: boolean;
        trustProxy?: string;
        importLimit: string;
      }) => {
        const importLimitMib = Number(options.importLimit);
        if (!Number.isInteger(importLimitMib) || importLimitMib < 1)
          throw new AppError(
            'VALIDATION_FAILED',
            `--import-limit must be a whole number of MiB, not "${options.importLimit}".`,
            { option: 'import-limit' },
          );
        const store = await openStore(resolveStoreTarget(options.db));
        const services = createServices(store, processClock());
        if (options.demo && (await new UserRepository(store.db).countUsers()) === 0) {
          process.stdout.write(`Empty store at ${store.location}: generating the demo book…\n`);
          const demo = await generateDemoBook(services, {
            accounts: Number(options.demoAccounts),
            seed: 42,
            password: process.env.RETAIN_DEMO_PASSWORD,
          });
          process.stdout.write(
            `Demo book ready: ${demo.accounts} accounts, ${demo.openCases} open risk cases.\n` +
              `Log in as ${demo.adminEmail} with password ${demo.password}\n` +
              `(every *@retain.demo user shares this password: lead1@, csm1@, viewer@ …)\n`,
          );
        }
        const app = await buildApp(services, {
          logger: process.env.RETAIN_LOG !== 'off',
          trustProxy: parseTrustProxy(options.trustProxy),
          importLimit: importLimitMib * 1024 * 1024,
        });
        const daily = new DailyRunner(services, {
          onRun: (result) =>
            app.log.info(
              { scored: result.scoring.scored, casesOpened: result.detection.casesOpened, ms: result.ms },
              `daily run for ${result.day} done`,
            ),
          onError: (error) => app.log.error({ err: error }, 'daily run failed'),
        });
        const plays = createPlayRunner(services, {
          onDeliveryFailure: (failure) => app.log.warn(failure, 'play message not delivered'),
          // Links in emails (unsubscribe) point here unless RETAIN_PUBLIC_URL says where users reach Retain.
          publicUrl: process.env.RETAIN_PUBLIC_URL ?? `http://localhost:${options.port}`,
        });
        const close = async () => {
          await plays.stop();
          await daily.stop();
          await app.close();
          await store.close();
          process.exit(0);
        };
        process.once('SIGINT', () => void close());
        process.once('SIGTERM', () => void close());
        const address = await app.listen({ port: Number(options.port), host: options.host });
        process.stdout.write(`Retain is listening on ${address} (store: ${store.kind} ${store.location})\n`);
        process.stdout.write(`API docs: ${address}/api/docs/ui\n`);
        daily.start();
        if (options.worker)
          plays.start(Number(process.env.RETAIN_WORKER_INTERVAL_MS ?? 5000), (error) =>
            app.log.error({ err: error }, 'play runner tick failed'),
          );
      },
    );
}

/** `--trust-proxy` / RETAIN_TRUST_PROXY: unset or "false" trusts no proxy, "true" any, else a list. */
export function parseTrustProxy(value: string | undefined): TrustProxy {
  const text = value?.trim() ?? '';
  if (text === '' || text === 'false') return false;
  if (text === 'true') return true;
  return text
    .split(',')
    .map((part) => part.trim())
    .filter(Boolean);
}

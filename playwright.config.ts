// End-to-end tests: Debian's Chromium drives the built web app on a real Retain server, started
// on a fresh SQLite store with the demo book (see e2e/README.md).
import { defineConfig } from '@playwright/test';
import {
  E2E_PASSWORD,
  E2E_PG_ADMIN,
  E2E_PG_DATABASE,
  E2E_PG_PORTS,
  E2E_PORT,
  E2E_STORE,
  E2E_SUFFIX,
  e2ePgUrl,
} from './e2e/constants';

const SERVER = {
  reuseExistingServer: false,
  timeout: 180_000,
  stdout: 'pipe' as const,
  env: { RETAIN_DEMO_PASSWORD: E2E_PASSWORD, RETAIN_LOG: 'off', RETAIN_WORKER_INTERVAL_MS: '1000' },
};

export default defineConfig({
  testDir: 'e2e',
  outputDir: `test-results/e2e${E2E_SUFFIX}`,
  // Generous limits for a busy 2-core CI machine: a web-first assertion returns as soon as it holds,
  // so these only decide how long a real failure takes to report.
  timeout: 120_000,
  expect: { timeout: 20_000 },
  workers: 1,
  retries: 0,
  forbidOnly: !!process.env.CI,
  // The JSON report is what CI counts (.ci/test-summary.ts).
  reporter: [['list'], ['json', { outputFile: `test-results/e2e${E2E_SUFFIX}.json` }]],
  use: {
    baseURL: `http://127.0.0.1:${E2E_PORT}`,
    viewport: { width: 1440, height: 900 },
    trace: 'retain-on-failure',
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      // No background traffic: this machine has no internet, and tests must not wait on it.
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    },
  },
  webServer: [
    {
      command: `rm -rf ${E2E_STORE} && npm run build:web && tsx src/cli/index.ts serve --db ${E2E_STORE}/retain.db --port ${E2E_PORT} --demo-accounts 2000`,
      url: `http://127.0.0.1:${E2E_PORT}/api/health`,
      ...SERVER,
    },
    // Two API processes on one PostgreSQL database: the first makes the demo book, the second
    // starts once it is ready (servers start in this order, each after the one before answers).
    {
      command: `tsx e2e/fresh-pg-database.ts ${E2E_PG_ADMIN} ${E2E_PG_DATABASE} && tsx src/cli/index.ts serve --db ${e2ePgUrl()} --port ${E2E_PG_PORTS[0]} --demo-accounts 1000`,
      url: `http://127.0.0.1:${E2E_PG_PORTS[0]}/api/health`,
      ...SERVER,
    },
    {
      command: `tsx src/cli/index.ts serve --db ${e2ePgUrl()} --port ${E2E_PG_PORTS[1]} --no-demo --no-worker`,
      url: `http://127.0.0.1:${E2E_PG_PORTS[1]}/api/health`,
      ...SERVER,
    },
  ],
});

// Where the end-to-end server runs and the demo book's shared password.
// E2E_PORT moves the three servers (it and the next two ports), their SQLite store and their
// PostgreSQL database, so that two runs can share a machine.
const DEFAULT_PORT = 3411;
export const E2E_PORT = Number(process.env.E2E_PORT ?? DEFAULT_PORT);
export const E2E_SUFFIX = E2E_PORT === DEFAULT_PORT ? '' : `-${E2E_PORT}`;
export const E2E_STORE = `test-results/e2e-store${E2E_SUFFIX}`;
export const E2E_PASSWORD = 'e2e-demo-password';

/** Two API processes over one PostgreSQL database, for live updates across processes. */
export const E2E_PG_PORTS = [E2E_PORT + 1, E2E_PORT + 2] as const;
export const E2E_PG_ADMIN = process.env.RETAIN_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
export const E2E_PG_DATABASE = `retain_e2e${E2E_SUFFIX.replace('-', '_')}`;

export function e2ePgUrl(): string {
  const url = new URL(E2E_PG_ADMIN);
  url.pathname = `/${E2E_PG_DATABASE}`;
  return url.toString();
}

/** The names of the demo book's risk reasons, as the reasons editor lists them. */
export const DEMO_REASON_NAMES = [
  'Support issues',
  'Poor engagement',
  'Product adoption',
  'Poor NPS or CSAT',
  'Delayed onboarding',
  'Poor financial standing',
];

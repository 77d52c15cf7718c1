// Where the end-to-end server runs and the demo book's shared password.
export const E2E_PORT = 3411;
export const E2E_STORE = 'test-results/e2e-store';
export const E2E_PASSWORD = 'e2e-demo-password';

/** Two API processes over one PostgreSQL database, for live updates across processes. */
export const E2E_PG_PORTS = [3412, 3413] as const;
export const E2E_PG_ADMIN = process.env.RETAIN_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
export const E2E_PG_DATABASE = 'retain_e2e';

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

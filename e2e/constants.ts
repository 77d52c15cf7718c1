// Where the end-to-end server runs and the demo book's shared password.
export const E2E_PORT = 3411;
export const E2E_STORE = 'test-results/e2e-store';
export const E2E_PASSWORD = 'e2e-demo-password';

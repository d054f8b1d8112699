/*
 * Credentials every test run uses (vitest.config.ts puts them into the
 * environment, so API and worker processes spawned by tests inherit them):
 * an admin API key the template database knows, and the key that seals channel
 * credentials at rest. Test values only; never used outside tests.
 */
export const TEST_API_KEY = 'hk_test-admin-key-0123456789abcdefghijklmnopqrstuvwxyz';
export const TEST_SECRET_KEYS = 'ktest:MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=';
/** Test receivers listen on loopback, which outbound requests may not reach by default. */
export const TEST_OUTBOUND_ALLOW_CIDRS = '127.0.0.1/32,::1/128';

export const testEnv = {
  HOOKCAST_API_KEY: TEST_API_KEY,
  SECRET_KEYS: TEST_SECRET_KEYS,
  OUTBOUND_ALLOW_CIDRS: TEST_OUTBOUND_ALLOW_CIDRS,
  // Every answer an API under test gives is checked against the document (api/contract.ts).
  HOOKCAST_VALIDATE_RESPONSES: '1',
};

export const authHeader = { authorization: `Bearer ${TEST_API_KEY}` };

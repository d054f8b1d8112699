import { defineConfig } from 'vitest/config';
import { testEnv } from '../test/credentials.js';

/*
 * `npm run screenshots`: runs scripts/screenshots.walk.ts with what the browser
 * lane starts (test/global-setup.ts: a migrated template database and a
 * Temporal dev server), outside `npm test` and CI: it rewrites docs/screenshots/.
 */
export default defineConfig({
  root: new URL('..', import.meta.url).pathname,
  test: {
    env: testEnv,
    include: ['scripts/screenshots.walk.ts'],
    globalSetup: ['./test/global-setup.ts'],
    testTimeout: 300_000,
    hookTimeout: 180_000,
  },
});

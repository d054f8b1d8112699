import { defineConfig } from 'vitest/config';
import { testEnv } from './test/credentials.js';

export default defineConfig({
  test: {
    globalSetup: ['./test/global-setup.ts'],
    // An API key, the credential encryption key and loopback for the receivers, for tests and the processes they spawn.
    env: testEnv,
    include: ['**/*.test.ts'],
    exclude: ['node_modules/**', '.data/**'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Two cores: more parallel files only add contention with Temporal and PostgreSQL.
    maxWorkers: 2,
  },
});

import { defineConfig } from 'vitest/config';
import { testEnv } from './test/credentials.js';
import { laneNames, lanes, laneSetup } from './test/lanes.js';

export default defineConfig({
  test: {
    // An API key, the credential encryption key and loopback for the receivers, for tests and the processes they spawn.
    env: testEnv,
    exclude: ['node_modules/**', '.data/**'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Two cores: more parallel files only add contention with Temporal and PostgreSQL.
    maxWorkers: 2,
    // One vitest project per lane (test/lanes.ts); `vitest run --project unit` runs one.
    projects: laneNames.map((name) => ({
      extends: true as const,
      test: {
        name,
        include: lanes[name],
        // The unit lane starts nothing: no database, no Temporal.
        globalSetup: laneSetup[name].database || laneSetup[name].temporal ? ['./test/global-setup.ts'] : [],
      },
    })),
  },
});

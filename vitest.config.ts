import { defineConfig } from 'vitest/config';
import { testEnv } from './test/credentials.js';
import { laneNames, lanes, laneSchedule, laneSetup } from './test/lanes.js';

export default defineConfig({
  test: {
    // An API key, the credential encryption key and loopback for the receivers, for tests and the processes they spawn.
    env: testEnv,
    exclude: ['node_modules/**', '.data/**'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // One vitest project per lane (test/lanes.ts); `vitest run --project unit` runs one. How many files
    // run at once, and which lanes run together, is each lane's schedule there (two cores, shared).
    projects: laneNames.map((name) => ({
      extends: true as const,
      test: {
        name,
        include: lanes[name],
        maxWorkers: laneSchedule(name).workers,
        sequence: { groupOrder: laneSchedule(name).group },
        // A loaded machine can take seconds to show what a click changed: the browser lane polls longer than vitest's 1 s.
        ...(name === 'browser' ? { expect: { poll: { timeout: 10_000 } } } : {}),
        // The unit lane starts nothing: no database, no Temporal.
        globalSetup: laneSetup[name].database || laneSetup[name].temporal ? ['./test/global-setup.ts'] : [],
      },
    })),
  },
});

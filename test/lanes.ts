/*
 * Test lanes: which vitest project (lane) each test file runs in, and what the
 * lane's global setup starts. `npm test` runs them all (scripts/test-lanes.ts);
 * `npm run test:<lane>` runs one. test/lanes.test.ts fails when a test file is
 * in no lane or in two, so a new file is placed on purpose.
 *
 * - unit: no PostgreSQL, no Temporal (loopback HTTP is fine); the whole lane
 *   answers in under a minute.
 * - database: a per-file PostgreSQL database cloned from the migrated template.
 * - temporal: the database plus the shared Temporal dev server (workflows,
 *   campaigns end to end, worker processes, replay).
 * - system: whole stacks and their failures: `npm start`'s launcher, killed and
 *   restarted workers, dev servers and Temporal on PostgreSQL; lives in system/.
 * - browser: the operator console in Chromium against a real stack.
 *
 * Patterns are paths from the repository root; `*` matches within one folder.
 */
export type Lane = 'unit' | 'database' | 'temporal' | 'system' | 'browser';

export interface LaneSetup {
  /** A migrated template database each test file clones. */
  database: boolean;
  /** The one headless Temporal dev server of the run. */
  temporal: boolean;
  /** The operator console, built once for the lane (test/console-kit.ts). */
  console: boolean;
}

export const laneSetup: Record<Lane, LaneSetup> = {
  unit: { database: false, temporal: false, console: false },
  database: { database: true, temporal: false, console: false },
  temporal: { database: true, temporal: true, console: false },
  system: { database: true, temporal: true, console: false },
  browser: { database: true, temporal: true, console: true },
};

/**
 * How the lanes share the machine's two cores in one `npm test` run: the
 * groups run one after the other (vitest's sequence.groupOrder), each with
 * `workers` test files at a time shared by its lanes (vitest takes one count
 * per group, and queues the group's files lane by lane, so its second lane
 * starts as the first one's last files run). Measured on CI's kind of machine
 * (docs/testing.md): the browser lane keeps both cores busy (Chromium
 * renders) while the system lane mostly waits on processes it killed and on
 * timers, so the system lane's files fill the browser lane's tail; the
 * temporal and database lanes wait on Temporal and PostgreSQL about half
 * their time, so four of their files run at once. The unit lane goes first:
 * the quickest answer.
 */
export const laneGroups: readonly { lanes: readonly Lane[]; workers: number }[] = [
  { lanes: ['unit'], workers: 2 },
  { lanes: ['browser', 'system'], workers: 3 },
  { lanes: ['temporal', 'database'], workers: 4 },
];

/** Each lane's group (its place in the run) and the group's files at once. */
export function laneSchedule(lane: Lane): { group: number; workers: number } {
  const group = laneGroups.findIndex((g) => g.lanes.includes(lane));
  if (group < 0) throw new Error(`lane ${lane} is in no group of laneGroups`);
  return { group, workers: laneGroups[group]!.workers };
}

/** Each lane's test files; listed with the fast answers first. */
export const lanes: Record<Lane, string[]> = {
  unit: [
    'webhook/*.test.ts',
    'config/*.test.ts',
    'test/lanes.test.ts',
    'test/import-cycles.test.ts',
    'test/layering.test.ts',
    'contracts/*.test.ts',
    'campaigns/trigger-kinds/*.test.ts',
    'delivery/body-formats/*.test.ts',
    'test/doc-links.test.ts',
    'api/doc-examples.test.ts',
    'api/json.test.ts',
    'api/contract.test.ts',
    'api/openapi.test.ts',
    'api/request-log.test.ts',
    'console/src/messages.test.ts',
    'console/src/campaign-list.test.ts',
    'console/src/rule-words.test.ts',
    'console/src/segment-rule-rows.test.ts',
    'lib/errors.test.ts',
    'bench/cpu-profile.test.ts',
    'delivery/backoff.test.ts',
    'delivery/quiet-hours.test.ts',
    'effect/stats.test.ts',
    'lib/read-share.test.ts',
    'lib/secret-box.test.ts',
    'runs/firing.test.ts',
    'scripts/supervisor.test.ts',
    'segments/compile.test.ts',
    'segments/rule.test.ts',
    'temporal/connection.test.ts',
    'triggers/counting.test.ts',
    'triggers/event.test.ts',
    'triggers/recurring.test.ts',
  ],
  database: [
    'audience/*.test.ts',
    'channels/*.test.ts',
    'api/bad-input.test.ts',
    'api/catalog.test.ts',
    'api/channels.test.ts',
    'api/events.test.ts',
    'api/hostile-input.test.ts',
    'api/ingest-limit.test.ts',
    'api/keys-and-echoes.test.ts',
    'api/keys.test.ts',
    'api/quiet-hours-caps.test.ts',
    'api/security.test.ts',
    'api/segments.test.ts',
    'api/users.test.ts',
    'api/export.test.ts',
    'retention/batches.test.ts',
    'delivery/breaker.test.ts',
    'delivery/lease.test.ts',
    'delivery/limiter.test.ts',
    'delivery/user-cap.test.ts',
    'effect/holdout.test.ts',
    'lib/db-errors.test.ts',
    'runs/store.test.ts',
    'scripts/cli.test.ts',
    'segments/membership.test.ts',
    'segments/operators.test.ts',
    'segments/stories.test.ts',
    'triggers/listeners.test.ts',
  ],
  temporal: [
    'activities/*.test.ts',
    'campaigns/*.test.ts',
    'workflows/*.test.ts',
    'worker/*.test.ts',
    'api/availability.test.ts',
    'api/campaign-insights.test.ts',
    'api/campaign-list.test.ts',
    'api/fuzz.test.ts',
    'api/secrets-everywhere.test.ts',
    'api/erase.test.ts',
    'retention/schedule.test.ts',
    'effect/event.test.ts',
    'effect/goal-api.test.ts',
    'effect/one-time.test.ts',
    'effect/recurring.test.ts',
    'runs/schedule.test.ts',
    'triggers/event-campaign.test.ts',
    'triggers/fairness.test.ts',
    'triggers/burst.test.ts',
    'triggers/relay.test.ts',
    'triggers/upgrade.test.ts',
  ],
  system: ['system/*.test.ts'],
  browser: ['test/console*.test.ts'],
};

export const laneNames = Object.keys(lanes) as Lane[];

/** A lane pattern as a regular expression over root-relative paths. */
export function patternToRegExp(pattern: string): RegExp {
  const body = pattern
    .split('*')
    .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
    .join('[^/]*');
  return new RegExp(`^${body}$`);
}

/** The lanes whose patterns match a root-relative test file path. */
export function lanesOf(file: string): Lane[] {
  return laneNames.filter((lane) => lanes[lane].some((pattern) => patternToRegExp(pattern).test(file)));
}

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleWorkflowCode } from '@temporalio/worker';
import { build } from 'vite';
import type { TestProject } from 'vitest/node';
import postgres from 'postgres';
import { createDatabase } from '../db/client.js';
import { migrateDatabase } from '../db/migrate.js';
import { createApiKeyStore } from '../access/api-keys.js';
import { TEST_API_KEY } from './credentials.js';
import { resolveTemporalCli } from '../temporal/cli.js';
import { startDevServer } from '../temporal/dev-server.js';
import { freePort } from './ports.js';
import { laneSetup, type Lane } from './lanes.js';
import { workflowsPath } from '../worker/create-worker.js';

declare module 'vitest' {
  export interface ProvidedContext {
    templateDatabase: string;
    adminDatabaseUrl: string;
    temporalAddress: string;
    consoleDir: string;
    /** The run's one workflow bundle (a file), for in-process workers, replay and spawned worker processes (WORKFLOW_BUNDLE). */
    workflowBundlePath: string;
  }
}

/*
 * One workflow bundle for the whole run: the lanes' global setups run in this
 * one process, so they share it. Bundling (webpack) takes a core for seconds;
 * before, every test file's worker and every worker process a test spawned
 * bundled the same code again, which was a large share of the suite's CPU.
 */
let bundling: Promise<{ path: string; dir: string }> | undefined;
let bundleUsers = 0;
function workflowBundleFile(): Promise<{ path: string; dir: string }> {
  return (bundling ??= (async () => {
    const { code } = await bundleWorkflowCode({ workflowsPath, logger: { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error() {} } });
    const dir = mkdtempSync(join(tmpdir(), 'hookcast-workflows-'));
    const path = join(dir, 'workflow-bundle.js');
    writeFileSync(path, code);
    return { path, dir };
  })());
}

/**
 * Once per lane (test/lanes.ts) of a test run: a migrated template database
 * (each test file clones it into its own database) and, for the lanes that use
 * it, one headless, in-memory Temporal dev server. What a lane does not start
 * is not provided, so a test in the wrong lane fails at once. The browser lane
 * also gets the operator console, built once (test/console-kit.ts serves it).
 */
export default async function setup(project: TestProject) {
  let stopTemporal: (() => Promise<void>) | undefined;
  let consoleDir: string | undefined;
  // What each part took, printed once per lane: the run's clock starts with these.
  const took: string[] = [];
  const t0 = performance.now();
  let mark = t0;
  const lap = (what: string) => {
    const now = performance.now();
    took.push(`${what} ${((now - mark) / 1000).toFixed(1)} s`);
    mark = now;
  };
  const needs = laneSetup[project.name as Lane] ?? { database: true, temporal: true, console: true };
  const adminUrl = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  // Per lane: lanes run in one process when `vitest run` runs them all at once.
  const template = `hookcast_test_template_${process.pid}_${project.name.replace(/\W/g, '_')}`;
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
  await admin.unsafe(`DROP DATABASE IF EXISTS ${template}`);
  await admin.unsafe(`CREATE DATABASE ${template}`);
  const templateUrl = new URL(adminUrl);
  templateUrl.pathname = `/${template}`;
  const database = createDatabase(templateUrl.toString(), { max: 1 });
  await migrateDatabase(database.db);
  // Every test database knows the test admin key, as HOOKCAST_API_KEY would register it.
  await createApiKeyStore(database.db).register(TEST_API_KEY, 'test admin');
  await database.close();
  lap('template database');

  project.provide('templateDatabase', template);
  project.provide('adminDatabaseUrl', adminUrl);
  if (needs.temporal) {
    const cli = await resolveTemporalCli({ log: (line) => console.log(`[test setup] ${line}`) });
    const temporal = await startDevServer({ cli, port: await freePort() });
    project.provide('temporalAddress', temporal.address);
    stopTemporal = () => temporal.stop();
    lap('Temporal dev server');
    bundleUsers += 1;
    project.provide('workflowBundlePath', (await workflowBundleFile()).path);
    lap('workflow bundle');
  }

  if (needs.console) {
    // Once for the lane, not once per test file: a build takes a core for many seconds.
    consoleDir = mkdtempSync(join(tmpdir(), 'hookcast-console-'));
    await build({ configFile: fileURLToPath(new URL('../console/vite.config.ts', import.meta.url)), logLevel: 'error', build: { outDir: consoleDir, emptyOutDir: true } });
    project.provide('consoleDir', consoleDir);
    lap('console build');
  }
  console.log(`[test setup] ${project.name}: ${took.join(', ')}; ${((performance.now() - t0) / 1000).toFixed(1)} s in all`);

  return async function teardown() {
    await stopTemporal?.();
    // The last lane that used the bundle removes it.
    if (stopTemporal && --bundleUsers === 0 && bundling) rmSync((await bundling).dir, { recursive: true, force: true });
    if (consoleDir) rmSync(consoleDir, { recursive: true, force: true });
    await admin.unsafe(`DROP DATABASE IF EXISTS ${template} WITH (FORCE)`);
    await admin.end();
  };
}

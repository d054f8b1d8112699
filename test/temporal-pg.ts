import { randomBytes } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import postgres from 'postgres';
import { afterAll, beforeAll, inject } from 'vitest';
import { loadEnv, type Env } from '../config/env.js';
import { freeTemporalServerPort, setUpTemporalDatabases, startTemporalPgServer, temporalPgAddress, type TemporalPgServer } from '../temporal/postgres-server.js';
import { findTemporalServerBinaries, temporalServerPaths, type TemporalServerBinaries } from '../temporal/server-binaries.js';

/** The cached server binaries, when `npm run temporal:pg -- --install-only` has built them. */
export const temporalPgBinaries = findTemporalServerBinaries();

/**
 * Whether the PostgreSQL-backed Temporal tests of a file are skipped: they
 * are when the binaries are missing, with a message naming `what`, unless
 * HOOKCAST_REQUIRE_TEMPORAL_PG is set (CI, after building them), which makes
 * their absence a failure instead.
 */
export function skipWithoutTemporalPg(what: string): boolean {
  if (temporalPgBinaries || process.env.HOOKCAST_REQUIRE_TEMPORAL_PG) return false;
  console.warn(
    `[skip] ${what}: ${temporalServerPaths().server} is not built. ` +
      'Build it with `npm run temporal:pg -- --install-only` (several minutes, once), or set HOOKCAST_REQUIRE_TEMPORAL_PG=1 to make this a failure.',
  );
  return true;
}

export interface TestTemporalPg {
  /** The server's settings: free ports, throwaway databases on the test PostgreSQL. */
  env: Env;
  binaries: TemporalServerBinaries;
  namespace: string;
  /** A task queue of this file's own. */
  taskQueue: string;
  /** Frontend address (also while the server is stopped). */
  address: string;
  /** A client on the namespace, connected by start(); it reconnects by itself after a restart. */
  client: Client;
  server: TemporalPgServer | undefined;
  /** Sets up the databases (idempotent) and starts the server, as `npm run temporal:pg` does. */
  start(): Promise<void>;
  /** SIGTERM (SIGKILL after 10 s) and waits for the exit. */
  stop(): Promise<void>;
}

/**
 * A PostgreSQL-backed Temporal server (the code of `npm run temporal:pg`) for
 * one test file, on a free block of ports with two throwaway databases that
 * are dropped afterwards. Call `start()` (in a test or beforeAll) to run it;
 * the file must be skipped when skipWithoutTemporalPg says so.
 */
export function useTemporalPg(options: { namespace?: string; start?: boolean } = {}): TestTemporalPg {
  const suffix = randomBytes(4).toString('hex');
  const handle = { namespace: options.namespace ?? 'default', taskQueue: `pg-${suffix}`, server: undefined } as TestTemporalPg;
  let admin: ReturnType<typeof postgres> | undefined;
  let connection: Connection | undefined;

  handle.start = async () => {
    await setUpTemporalDatabases(handle.env, handle.binaries);
    handle.server = await startTemporalPgServer({ env: handle.env, binaries: handle.binaries });
    if (!connection) {
      connection = await Connection.connect({ address: handle.address });
      handle.client = new Client({ connection, namespace: handle.namespace });
    }
  };
  handle.stop = async () => {
    await handle.server?.stop();
    handle.server = undefined;
  };

  beforeAll(async () => {
    if (!temporalPgBinaries) throw new Error(`HOOKCAST_REQUIRE_TEMPORAL_PG is set but ${temporalServerPaths().server} or its sql tool is missing`);
    handle.binaries = temporalPgBinaries;
    const adminUrl = new URL(inject('adminDatabaseUrl'));
    admin = postgres(adminUrl.toString(), { max: 1, onnotice: () => {} });
    handle.env = loadEnv({
      TEMPORAL_PORT: String(await freeTemporalServerPort()),
      TEMPORAL_UI_PORT: String(await freeTemporalServerPort()),
      TEMPORAL_NAMESPACE: handle.namespace,
      TEMPORAL_PG_HOST: adminUrl.hostname,
      TEMPORAL_PG_PORT: adminUrl.port || '5432',
      TEMPORAL_PG_USER: decodeURIComponent(adminUrl.username) || 'postgres',
      TEMPORAL_PG_PASSWORD: decodeURIComponent(adminUrl.password),
      TEMPORAL_PG_DATABASE: `temporal_test_${suffix}`,
      TEMPORAL_PG_VISIBILITY_DATABASE: `temporal_test_${suffix}_visibility`,
    });
    handle.address = temporalPgAddress(handle.env);
    if (options.start) await handle.start();
  }, 120_000);

  afterAll(async () => {
    await connection?.close().catch(() => {});
    await handle.stop();
    if (handle.env) {
      for (const name of [handle.env.TEMPORAL_PG_DATABASE, handle.env.TEMPORAL_PG_VISIBILITY_DATABASE]) await admin?.unsafe(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    }
    await admin?.end();
  }, 60_000);

  return handle;
}

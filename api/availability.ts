import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isGrpcServiceError, type ConnectionLike } from '@temporalio/client';
import { sql } from 'drizzle-orm';
import type { Database } from '../db/client.js';
import { migrationsFolder } from '../db/migrate.js';

/** gRPC status codes meaning "Temporal did not answer" (not "Temporal said no"). */
const GRPC_DEADLINE_EXCEEDED = 4;
const GRPC_UNAVAILABLE = 14;
/** postgres.js and server codes meaning "PostgreSQL is not there right now". */
const DATABASE_DOWN = new Set(['CONNECTION_CLOSED', 'CONNECTION_ENDED', 'CONNECT_TIMEOUT', '57P01', '57P02', '57P03']);
/** Socket codes: PostgreSQL's only when a query (Drizzle's wrapper names it) failed with them, not a webhook test send. */
const SOCKET_DOWN = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE']);

function* causes(error: unknown): Generator<unknown> {
  for (let e = error, depth = 0; e && depth < 8; e = (e as { cause?: unknown }).cause, depth += 1) yield e;
}

/**
 * The 503 answer for an error that means a dependency is unreachable, else
 * undefined. Messages name the dependency only: no request data, no addresses
 * with credentials.
 *
 * @example
 * const answer = unavailableAnswer(error);
 * if (answer) return c.json(answer, 503);
 */
export function unavailableAnswer(error: unknown): { error: string; message: string } | undefined {
  let inQuery = false;
  for (const e of causes(error)) {
    if (typeof (e as { query?: unknown }).query === 'string') inQuery = true;
    if (isGrpcServiceError(e) && (e.code === GRPC_UNAVAILABLE || e.code === GRPC_DEADLINE_EXCEEDED)) {
      return {
        error: 'temporal_unavailable',
        message: e.code === GRPC_UNAVAILABLE ? 'Temporal is unreachable; try again shortly' : 'Temporal did not answer in time; try again shortly',
      };
    }
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && (DATABASE_DOWN.has(code) || (inQuery && SOCKET_DOWN.has(code)))) {
      return { error: 'database_unavailable', message: 'PostgreSQL is unreachable; try again shortly' };
    }
  }
  return undefined;
}

/** How long one readiness probe may take. */
const PROBE_MS = 2000;

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not answer within ${ms / 1000} s`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

let journal: { tag: string; when: number }[] | undefined;
function committedMigrations() {
  journal ??= (JSON.parse(readFileSync(join(migrationsFolder, 'meta', '_journal.json'), 'utf8')) as { entries: { tag: string; when: number }[] }).entries;
  return journal;
}

async function migrationsCheck(db: Database): Promise<string | undefined> {
  // drizzle's migrator records each applied migration with its journal `when` as created_at.
  const rows = await db.execute<{ latest: string | null }>(sql`
    SELECT max(created_at)::text AS latest FROM drizzle.__drizzle_migrations`).catch((error: unknown) => {
    for (const e of causes(error)) if ((e as { code?: unknown }).code === '42P01') return [{ latest: null }];
    throw error;
  });
  const latest = Number(rows[0]?.latest ?? 0);
  const missing = committedMigrations().filter((m) => m.when > latest);
  if (missing.length === 0) return undefined;
  return `${missing.length} migration(s) not applied (first: ${missing[0]!.tag}); npm start and npm run db:migrate apply them`;
}

export interface Readiness {
  ready: boolean;
  /** One entry per dependency: "ok", or why it is not ready. */
  checks: Record<string, string>;
}

/**
 * Whether this API can serve: PostgreSQL answers, its schema has every
 * committed migration, and Temporal (when the API uses it) answers.
 *
 * @example
 * const { ready, checks } = await checkReadiness({ db, temporal: client.connection });
 */
export async function checkReadiness(deps: { db: Database; temporal?: ConnectionLike }): Promise<Readiness> {
  const reason = (error: unknown) => (error instanceof Error ? error.message.split('\n')[0]! : String(error));
  const probe = async (run: () => Promise<string | undefined>) => {
    try {
      return (await run()) ?? 'ok';
    } catch (error) {
      return unavailableAnswer(error)?.message ?? reason(error);
    }
  };
  const postgresProbe = probe(async () => {
    await withTimeout(deps.db.execute(sql`SELECT 1`), PROBE_MS, 'PostgreSQL');
    return undefined;
  });
  const [postgres, temporal] = await Promise.all([
    postgresProbe,
    deps.temporal
      ? probe(async () => {
          const connection = deps.temporal!;
          await connection.withDeadline(Date.now() + PROBE_MS, () => connection.workflowService.getSystemInfo({}));
          return undefined;
        })
      : undefined,
  ]);
  const checks: Record<string, string> = {
    postgres,
    migrations: postgres === 'ok' ? await probe(() => withTimeout(migrationsCheck(deps.db), PROBE_MS, 'PostgreSQL')) : 'unknown: PostgreSQL is not ready',
  };
  if (temporal !== undefined) checks.temporal = temporal;
  return { ready: Object.values(checks).every((v) => v === 'ok'), checks };
}

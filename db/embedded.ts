import { mkdirSync } from 'node:fs';
import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';

export interface EmbeddedPostgres {
  url: string;
  stop(): Promise<void>;
}

/**
 * Serves a PGlite database (WASM PostgreSQL, data kept in `dataDir`) over the
 * PostgreSQL wire protocol, so the same `postgres` + Drizzle code runs against
 * it. It runs queries one at a time: fine for a laptop, not for load.
 *
 * @example
 * const pg = await startEmbeddedPostgres({ dataDir: '.data/pglite', port: 5433 });
 * process.env.DATABASE_URL = pg.url;
 */
export async function startEmbeddedPostgres(options: {
  dataDir: string;
  port: number;
  host?: string;
  maxConnections?: number;
}): Promise<EmbeddedPostgres> {
  mkdirSync(options.dataDir, { recursive: true });
  const db = await PGlite.create(options.dataDir);
  const host = options.host ?? '127.0.0.1';
  const server = new PGLiteSocketServer({
    db,
    host,
    port: options.port,
    // The API and the worker each hold a small pool; PGlite queues their queries.
    maxConnections: options.maxConnections ?? 32,
  });
  await server.start();
  return {
    url: `postgres://postgres@${host}:${options.port}/postgres`,
    async stop() {
      await server.stop();
      await db.close();
    },
  };
}

import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createDatabase } from '../db/client.js';
import type { Env } from '../config/env.js';

const root = fileURLToPath(new URL('..', import.meta.url));

/**
 * The database an operator's command (apikey, rotate-key) works on:
 * DATABASE_URL, else the embedded PostgreSQL that `npm start` runs (it must be running).
 */
export function cliDatabase(env: Env) {
  process.env.DATA_DIR = resolve(root, env.DATA_DIR);
  if (env.DATABASE_URL) return createDatabase(env.DATABASE_URL, { max: 1, connectTimeoutSeconds: 5 });
  const passwordFile = `${join(process.env.DATA_DIR, 'postgres')}.password`;
  if (!existsSync(passwordFile)) throw new Error(`DATABASE_URL is not set and ${passwordFile} is missing: start hookcast with npm start first`);
  const password = readFileSync(passwordFile, 'utf8').trim();
  return createDatabase(`postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${env.EMBEDDED_PG_PORT}/postgres`, { max: 1, connectTimeoutSeconds: 5 });
}

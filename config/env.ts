import { z } from 'zod';

const port = z.coerce.number({ error: 'must be a port number (1-65535)' }).int('must be a port number (1-65535)').min(1, 'must be a port number (1-65535)').max(65535, 'must be a port number (1-65535)');
const logLevel = z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']);

/**
 * Every setting hookcast reads from the environment. Unset values take the
 * defaults of a laptop install; the README's configuration table mirrors this.
 */
export const envSchema = z.object({
  API_HOST: z.string().min(1).default('127.0.0.1'),
  API_PORT: port.default(3000),
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL')
    .optional(),
  /** Port of the PostgreSQL that `npm start` runs when DATABASE_URL is unset. */
  EMBEDDED_PG_PORT: port.default(5433),
  DATA_DIR: z.string().min(1).default('.data'),
  TEMPORAL_ADDRESS: z
    .string()
    .regex(/^[^\s:/]+:\d{1,5}$/, 'must be host:port')
    .optional(),
  TEMPORAL_PORT: port.default(7233),
  TEMPORAL_UI_PORT: port.default(8233),
  TEMPORAL_UI_URL: z.url().optional(),
  TEMPORAL_NAMESPACE: z.string().min(1).default('default'),
  TEMPORAL_TASK_QUEUE: z.string().min(1).default('hookcast'),
  TEMPORAL_CLI: z.string().min(1).optional(),
  /** Requests in flight per batch activity; a worker runs up to `window` batches at once. */
  DELIVERY_CONCURRENCY: z.coerce.number({ error: 'must be a whole number from 1 to 1000' }).int().min(1).max(1000).default(32),
  /** Serve the worker's Prometheus metrics on this port (on API_HOST); unset: no metrics server. */
  WORKER_METRICS_PORT: port.optional(),
  /**
   * On SIGTERM the worker stops polling and lets activities in flight finish this
   * long; then it cancels them, and they still write the outcomes of what they sent.
   */
  WORKER_SHUTDOWN_GRACE_MS: z.coerce.number({ error: 'must be a whole number of milliseconds from 0 to 600000' }).int().min(0).max(600_000).default(30_000),
  LOG_LEVEL: logLevel.default('info'),
});

export type Env = z.infer<typeof envSchema> & {
  /** Where the Temporal frontend is reached: TEMPORAL_ADDRESS, else the local dev server. */
  temporalAddress: string;
  /** Base URL of the Temporal Web UI, for links in API answers. */
  temporalUiUrl: string;
};

export class EnvError extends Error {
  override name = 'EnvError';
}

/**
 * Parses and validates the environment. Throws an EnvError whose message is one
 * line naming the first bad variable, so start-up can print it and stop.
 *
 * @example
 * const env = loadEnv({ API_PORT: '3000' });
 * env.API_PORT; // 3000
 */
export function loadEnv(source: NodeJS.ProcessEnv = process.env): Env {
  const cleaned = Object.fromEntries(
    Object.entries(source).filter(([, value]) => value !== undefined && value !== ''),
  );
  const parsed = envSchema.safeParse(cleaned);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const name = String(issue.path[0] ?? 'environment');
    throw new EnvError(`invalid environment variable ${name}=${JSON.stringify(source[name] ?? '')}: ${issue.message}`);
  }
  const env = parsed.data;
  return {
    ...env,
    temporalAddress: env.TEMPORAL_ADDRESS ?? `127.0.0.1:${env.TEMPORAL_PORT}`,
    temporalUiUrl: env.TEMPORAL_UI_URL ?? `http://localhost:${env.TEMPORAL_UI_PORT}`,
  };
}

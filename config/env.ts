import ipaddr from 'ipaddr.js';
import { z } from 'zod';
import { parseKeyring } from '../lib/secret-box.js';

const port = z.coerce.number({ error: 'must be a port number (1-65535)' }).int('must be a port number (1-65535)').min(1, 'must be a port number (1-65535)').max(65535, 'must be a port number (1-65535)');
const logLevel = z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']);
const flag = z.enum(['true', 'false', '1', '0'], { error: 'must be true or false' }).transform((value) => value === 'true' || value === '1');
/** Interpolated into CREATE DATABASE and the server's config: a plain identifier. */
/** A whole number from min to max (inclusive), named so in the error. */
const whole = (min: number, max: number, unit = '') =>
  z.coerce.number({ error: `must be a whole number${unit} from ${min} to ${max}` }).int(`must be a whole number${unit} from ${min} to ${max}`).min(min, `must be a whole number${unit} from ${min} to ${max}`).max(max, `must be a whole number${unit} from ${min} to ${max}`);
/** Days to keep, or `keep` (for ever): a setting's value as a number of days or null. */
const RETENTION_MESSAGE = 'must be a whole number of days from 1 to 36500, or keep';
const retentionDays = z
  .union([z.literal('keep'), z.coerce.number({ error: RETENTION_MESSAGE }).int(RETENTION_MESSAGE).min(1, RETENTION_MESSAGE).max(36_500, RETENTION_MESSAGE)], { error: RETENTION_MESSAGE })
  .transform((value) => (value === 'keep' ? null : value));
const databaseName = z.string().regex(/^[a-z_][a-z0-9_]{0,62}$/, 'must be a lower-case PostgreSQL identifier (a-z, 0-9, _)');

/**
 * Every setting hookcast reads from the environment. Unset values take the
 * defaults of a laptop install; docs/configuration.md's table mirrors this.
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
  /*
   * Connection to an existing cluster (with TEMPORAL_ADDRESS and TEMPORAL_NAMESPACE).
   * The names are those of Temporal's own client environment configuration.
   */
  /** Temporal Cloud API key; turns TLS on unless TEMPORAL_TLS=false. */
  TEMPORAL_API_KEY: z.string().min(1).optional(),
  /** Force TLS on or off; unset: on when an API key or any TEMPORAL_TLS_* setting is given. */
  TEMPORAL_TLS: flag.optional(),
  TEMPORAL_TLS_CLIENT_CERT_PATH: z.string().min(1).optional(),
  TEMPORAL_TLS_CLIENT_KEY_PATH: z.string().min(1).optional(),
  TEMPORAL_TLS_SERVER_CA_CERT_PATH: z.string().min(1).optional(),
  TEMPORAL_TLS_SERVER_NAME: z.string().min(1).optional(),
  /* The PostgreSQL-backed Temporal server of `npm run temporal:pg` (temporal/config/postgres.yaml). */
  TEMPORAL_PG_HOST: z.string().min(1).default('127.0.0.1'),
  TEMPORAL_PG_PORT: port.default(5432),
  TEMPORAL_PG_USER: z.string().min(1).default('postgres'),
  TEMPORAL_PG_PASSWORD: z.string().optional(),
  TEMPORAL_PG_DATABASE: databaseName.default('temporal'),
  TEMPORAL_PG_VISIBILITY_DATABASE: databaseName.default('temporal_visibility'),
  /** Address the server's services (and its UI) listen on. */
  TEMPORAL_BIND_IP: z.ipv4({ error: 'must be an IPv4 address' }).default('127.0.0.1'),
  /** Address other cluster members reach this one on; needed when TEMPORAL_BIND_IP is 0.0.0.0 in a cluster of several hosts. */
  TEMPORAL_BROADCAST_ADDRESS: z.ipv4({ error: 'must be an IPv4 address' }).optional(),
  /** Fixed when the Temporal databases are first set up. */
  TEMPORAL_HISTORY_SHARDS: z.coerce.number({ error: 'must be a whole number from 1 to 16384' }).int().min(1).max(16384).default(4),
  /** Serve the Temporal server's Prometheus metrics on this port (on TEMPORAL_BIND_IP). */
  TEMPORAL_SERVER_METRICS_PORT: port.optional(),
  TEMPORAL_LOG_LEVEL: z.enum(['debug', 'info', 'warn', 'error']).default('warn'),
  /** Requests in flight per batch activity; a worker runs up to `window` batches at once. */
  DELIVERY_CONCURRENCY: z.coerce.number({ error: 'must be a whole number from 1 to 1000' }).int().min(1).max(1000).default(32),
  /** Serve the worker's Prometheus metrics on this port (on API_HOST); unset: no metrics server. */
  WORKER_METRICS_PORT: port.optional(),
  /** Serve the Temporal SDK's own worker metrics (task slots, poll latency, sticky cache) on this port (on API_HOST); unset: none. */
  WORKER_SDK_METRICS_PORT: port.optional(),
  /**
   * On SIGTERM the worker stops polling and lets activities in flight finish this
   * long; then it cancels them, and they still write the outcomes of what they sent.
   */
  WORKER_SHUTDOWN_GRACE_MS: z.coerce.number({ error: 'must be a whole number of milliseconds from 0 to 600000' }).int().min(0).max(600_000).default(30_000),
  /**
   * A workflow bundle built beforehand (the code `bundleWorkflowCode` makes, as a file) that the worker
   * loads instead of bundling workflows/ as it starts; a compiled worker finds dist's own without it.
   */
  WORKFLOW_BUNDLE: z.string().min(1, 'must be a file path').optional(),
  LOG_LEVEL: logLevel.default('info'),
  /** Registered as an admin API key when the API starts (only its hash is stored). */
  HOOKCAST_API_KEY: z.string().min(32, 'must be at least 32 characters').max(512).regex(/^\S+$/, 'must not contain spaces').optional(),
  /** `id:base64key[,…]`: the key that seals channel credentials first, older ones after it. */
  SECRET_KEYS: z
    .string()
    .superRefine((value, ctx) => {
      try {
        parseKeyring(value);
      } catch (error) {
        ctx.addIssue({ code: 'custom', message: (error as Error).message.replace(/^SECRET_KEYS:? ?/, '') });
      }
    })
    .optional(),
  /** CIDRs outbound requests may reach although they are private, loopback…: nothing by default. */
  OUTBOUND_ALLOW_CIDRS: z
    .string()
    .superRefine((value, ctx) => {
      for (const cidr of splitList(value)) {
        if (!ipaddr.isValidCIDR(cidr)) ctx.addIssue({ code: 'custom', message: `${cidr} is not a CIDR (e.g. 127.0.0.1/32, 10.0.0.0/8, ::1/128)` });
      }
    })
    .optional(),
  /*
   * Tuning knobs, defaults as measured (docs/benchmarks.md). The fan-out
   * shape is read by the API when it starts a run and frozen into that run's
   * workflow input; the rest by each worker.
   */
  /** Users per child batch workflow (one deliverBatch activity each). */
  FANOUT_BATCH_SIZE: whole(1, 10_000).default(2000),
  /** Child batches of one run in flight at once (the sliding window). */
  FANOUT_WINDOW: whole(1, 1_000).default(8),
  /** Children one workflow execution starts before it continues as new (bounds the parent's history). */
  FANOUT_CHILDREN_PER_EXECUTION: whole(1, 10_000).default(400),
  /** Activities one worker runs at once (batch activities mostly wait on sockets: this bounds memory). */
  WORKER_MAX_ACTIVITIES: whole(1, 10_000).default(200),
  /** Workflow tasks one worker runs at once. */
  WORKER_MAX_WORKFLOW_TASKS: whole(2, 1_000).default(40),
  /** How stale a worker's cached pause/cancel flag of a run may be: a request can start this long after a pause. */
  RUN_CONTROL_CACHE_MS: whole(0, 10_000, ' of milliseconds').default(200),
  /** How long a worker caches a run's definition and channel credentials: a rotated secret applies within this. */
  RUN_CONTEXT_CACHE_MS: whole(0, 3_600_000, ' of milliseconds').default(30_000),
  /** How long the API shares one campaign's detail among concurrent readers. */
  API_READ_SHARE_MS: whole(0, 60_000, ' of milliseconds').default(250),
  /** Ingest requests (events, users, identify) the API runs at once; 4 × as many wait, the rest get 503 with Retry-After. 0: no bound. */
  INGEST_CONCURRENCY: whole(0, 1_000).default(4),
  /*
   * Retention (docs/privacy.md): days a kind of record is kept, or `keep`. Applied daily by the
   * worker's maintenance schedule; each worker start writes these into the schedule.
   */
  /** Events are deleted this many days after they were received. */
  EVENT_RETENTION_DAYS: retentionDays.default(395),
  /** A finished run's per-user delivery records and attempts are deleted this many days after it finished (its counts stay). */
  DELIVERY_RETENTION_DAYS: retentionDays.default(395),
  /** Stored endpoint answers are cleared this many days after the attempt. */
  RESPONSE_BODY_RETENTION_DAYS: retentionDays.default(30),
});

/** A comma-separated setting as its trimmed, non-empty items. */
export function splitList(value: string | undefined): string[] {
  return (value ?? '')
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean);
}

const SECRET_VARIABLES = new Set(['HOOKCAST_API_KEY', 'SECRET_KEYS', 'TEMPORAL_API_KEY']);

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
    // Key material never reaches an error message (it is printed and may be logged).
    const shown = SECRET_VARIABLES.has(name) ? '(hidden)' : JSON.stringify(source[name] ?? '');
    throw new EnvError(`invalid environment variable ${name}=${shown}: ${issue.message}`);
  }
  const env = parsed.data;
  if (Boolean(env.TEMPORAL_TLS_CLIENT_CERT_PATH) !== Boolean(env.TEMPORAL_TLS_CLIENT_KEY_PATH)) {
    const missing = env.TEMPORAL_TLS_CLIENT_CERT_PATH ? 'TEMPORAL_TLS_CLIENT_KEY_PATH' : 'TEMPORAL_TLS_CLIENT_CERT_PATH';
    throw new EnvError(`missing environment variable ${missing}: a TLS client certificate needs both its certificate and its key`);
  }
  return {
    ...env,
    temporalAddress: env.TEMPORAL_ADDRESS ?? `127.0.0.1:${env.TEMPORAL_PORT}`,
    temporalUiUrl: env.TEMPORAL_UI_URL ?? `http://localhost:${env.TEMPORAL_UI_PORT}`,
  };
}

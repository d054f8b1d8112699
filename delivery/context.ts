import { ApplicationFailure } from '@temporalio/activity';
import { eq, sql } from 'drizzle-orm';
import type { FrozenDefinition } from '../contracts/campaign.js';
import type { ChannelAuth } from '../contracts/channel.js';
import type { Database } from '../db/client.js';
import { campaignRuns, channels } from '../db/schema.js';
import type { RequestChannel } from '../webhook/request.js';
import type { ComposeChannel } from './compose.js';
import { compileTemplateValues, type TemplateRenderer } from '../webhook/render.js';

import type { RunControl } from '../contracts/statuses.js';

export type { RunControl };

/** The flag with the epoch of its last change (see campaign_runs.control_epoch). */
export interface ControlState {
  control: RunControl;
  epoch: number;
}

export interface RunContext {
  runId: string;
  campaignId: string;
  definition: FrozenDefinition;
  /** The frozen request shape with the channel's current credentials, merged once per run rather than once per request. */
  compose: ComposeChannel;
  expiresAt: Date | null;
  render: TemplateRenderer;
}

/** How stale a cached pause/cancel flag may be by default: bounds how long after a pause a request can still start (RUN_CONTROL_CACHE_MS). */
export const CONTROL_TTL_MS = 200;
/** How long a run's definition and credentials are cached by default; a rotated secret applies within this (RUN_CONTEXT_CACHE_MS). */
export const CONTEXT_TTL_MS = 30_000;

export interface RunContextCacheOptions {
  controlTtlMs?: number;
  contextTtlMs?: number;
}

interface Cached<T> {
  value: Promise<T>;
  fetchedAt: number;
  /** The value once it arrived, for readers that must not wait a microtask for a fresh entry. */
  settled?: { value: T };
}

/**
 * Per-worker cache of what sending activities need about a run, so 10,000
 * sends do not mean 10,000 reads of the same rows.
 */
export function createRunContextCache(db: Database, options: RunContextCacheOptions = {}) {
  const controlTtl = options.controlTtlMs ?? CONTROL_TTL_MS;
  const contextTtl = options.contextTtlMs ?? CONTEXT_TTL_MS;
  const contexts = new Map<string, Cached<RunContext>>();
  const controls = new Map<string, Cached<ControlState>>();

  async function loadContext(runId: string): Promise<RunContext> {
    const [run] = await db.select().from(campaignRuns).where(eq(campaignRuns.id, runId));
    if (!run) throw ApplicationFailure.nonRetryable(`run ${runId} does not exist`, 'RunMissing');
    const definition = run.definition;
    const [live] = await db.select({ auth: channels.auth }).from(channels).where(eq(channels.id, definition.channel.id));
    if (!live) throw ApplicationFailure.nonRetryable(`channel ${definition.channel.id} no longer exists`, 'ChannelMissing');
    const auth: ChannelAuth = live.auth;
    const channel: RequestChannel = { url: definition.channel.url, method: definition.channel.method, headers: definition.channel.headers, auth };
    return {
      runId,
      campaignId: run.campaignId,
      definition,
      compose: { ...definition.channel, ...channel },
      expiresAt: run.expiresAt,
      render: compileTemplateValues(definition.channel.templateParams, definition.templateValues),
    };
  }

  async function loadErasures(): Promise<number> {
    const [row] = await db.execute<{ n: string }>(sql`SELECT n::text AS n FROM erasure_clock WHERE id = 1`);
    return Number(row?.n ?? 0);
  }
  const erasures = new Map<string, Cached<number>>();

  async function loadControl(runId: string): Promise<ControlState> {
    const [run] = await db.select({ control: campaignRuns.control, epoch: campaignRuns.controlEpoch }).from(campaignRuns).where(eq(campaignRuns.id, runId));
    return run ?? { control: 'cancel', epoch: 0 };
  }

  function cached<T>(map: Map<string, Cached<T>>, key: string, ttl: number, load: (key: string) => Promise<T>): Promise<T> {
    const hit = map.get(key);
    const now = Date.now();
    if (hit && now - hit.fetchedAt < ttl) return hit.value;
    const value = load(key);
    const entry: Cached<T> = { value, fetchedAt: now };
    map.set(key, entry);
    value.then(
      (settled) => {
        entry.settled = { value: settled };
      },
      () => map.delete(key),
    );
    return value;
  }

  /** The cached value when it is fresh and has arrived; undefined when a read must go to PostgreSQL (or is on its way). */
  function fresh<T>(map: Map<string, Cached<T>>, key: string, ttl: number): T | undefined {
    const hit = map.get(key);
    return hit?.settled && Date.now() - hit.fetchedAt < ttl ? hit.settled.value : undefined;
  }

  return {
    context: (runId: string) => cached(contexts, runId, contextTtl, loadContext),
    control: async (runId: string) => (await cached(controls, runId, controlTtl, loadControl)).control,
    /** The flag with its epoch: what a stopped activity reports so its workflow waits for that epoch's signal. */
    controlState: (runId: string) => cached(controls, runId, controlTtl, loadControl),
    /**
     * The run's flag without a promise when the cached one is fresh (the same
     * freshness `control` answers from), else undefined: call `control`. Sends
     * check the flag once or twice each, and every await costs at volume.
     */
    controlNow: (runId: string) => fresh(controls, runId, controlTtl)?.control,
    /**
     * The erasure clock (migration 0015), cached as long as a pause flag: it
     * moves with every erased user, and a sending activity holding users in
     * memory re-reads which are still pending when it moved (erasureGuard).
     */
    erasures: () => cached(erasures, 'clock', controlTtl, loadErasures),
    /** The clock without a promise when the cached value is fresh, else undefined. */
    erasuresNow: () => fresh(erasures, 'clock', controlTtl),
    /** Forget a run's flag so the next read goes to PostgreSQL (after this worker changed it). */
    invalidateControl: (runId: string) => controls.delete(runId),
  };
}

export type RunContextCache = ReturnType<typeof createRunContextCache>;

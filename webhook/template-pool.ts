import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Piscina } from 'piscina';
import type { TemplateParam } from '../contracts/channel.js';
import { TemplateError } from './template-error.js';
import type { RecipientProfile } from './user.js';
import type { RenderTask, RenderAnswer } from './template-worker.js';

/*
 * The worker threads that render templates whose work a static look cannot
 * bound (those with loops: see template.ts). Each render has budgets inside the
 * thread too; a render that still overruns POOL_RENDER_TIMEOUT_MS of wall time,
 * or its thread's heap, has its thread terminated, and the user's template
 * counts as broken. The threads run at a lower priority than the event loops.
 */

/**
 * Wall time a pooled render may take, from when it is handed to the pool,
 * before its thread is terminated. The step budget stops every allowed
 * template within tens of milliseconds; this is the last line of defence, so
 * it is generous: a render may wait behind others, or for a thread that is
 * starting (a second or more under tsx on a busy machine).
 */
export const POOL_RENDER_TIMEOUT_MS = 10_000;

// Under tsx (development, tests) the worker is TypeScript and needs tsx's loader in its thread; from dist/ it is JavaScript.
const typescript = import.meta.url.endsWith('.ts');
const workerFile = fileURLToPath(new URL(`./template-worker.${typescript ? 'ts' : 'js'}`, import.meta.url));

let pool: { threads: Piscina<RenderTask, RenderAnswer>; ready: Promise<unknown> } | null = null;

/** The pool, its threads started once and kept: a thread's start-up (a second under tsx) must not count against a render. */
function thePool() {
  if (pool) return pool;
  const threads = Math.max(1, Math.min(2, availableParallelism() - 1));
  const piscina = new Piscina<RenderTask, RenderAnswer>({
    filename: workerFile,
    minThreads: threads,
    maxThreads: threads,
    idleTimeout: Infinity,
    // A render's heap is small: a thread that grows past this has a template building too much, and dies alone.
    resourceLimits: { maxOldGenerationSizeMb: 64, maxYoungGenerationSizeMb: 16, stackSizeMb: 4 },
    execArgv: typescript ? ['--import', 'tsx'] : [],
    niceIncrement: 5,
  });
  const ping = { params: [], values: {}, user: { id: '', loginId: null, visitorId: null, attributes: {} } };
  pool = { threads: piscina, ready: Promise.all(Array.from({ length: threads }, () => piscina.run(ping))) };
  return pool;
}

/**
 * Renders one user's template values in the pool; rejects with a TemplateError.
 * Tests only: `stallMs` keeps the thread busy that long first, standing in for
 * a render no budget stopped, and `timeoutMs` replaces POOL_RENDER_TIMEOUT_MS.
 */
export async function renderInPool(
  params: readonly TemplateParam[],
  values: Record<string, unknown>,
  user: RecipientProfile,
  options: { stallMs?: number; timeoutMs?: number } = {},
): Promise<Record<string, unknown>> {
  const timeoutMs = options.timeoutMs ?? POOL_RENDER_TIMEOUT_MS;
  let answer: RenderAnswer;
  try {
    const { threads, ready } = thePool();
    await ready;
    answer = await threads.run({ params: [...params], values, user, stallMs: options.stallMs }, { signal: AbortSignal.timeout(timeoutMs) });
  } catch (error) {
    const name = params[0]?.name ?? 'template';
    const overran = (error as Error).name === 'AbortError' || (error as Error).name === 'TimeoutError';
    throw new TemplateError(
      name,
      overran
        ? `template of ${name} took longer than ${timeoutMs} ms to render for one user; its render was stopped`
        : `template of ${name} could not be rendered: its render thread failed (${(error as { code?: string }).code ?? (error as Error).name})`,
    );
  }
  if ('error' in answer) throw new TemplateError(answer.error.param, answer.error.message);
  return answer.values;
}

/** Stops the pool's threads (shutdown, tests). */
export async function closeTemplatePool(): Promise<void> {
  const closing = pool;
  pool = null;
  await closing?.threads.destroy();
}

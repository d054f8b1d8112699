import type { TemplateParam } from '../contracts/channel.js';
import { renderTemplateValuesHere, TemplateError } from './template.js';
import type { RecipientProfile } from './user.js';

/** One pooled render: what template-pool.ts sends to a thread. */
export interface RenderTask {
  params: TemplateParam[];
  values: Record<string, unknown>;
  user: RecipientProfile;
  /** Tests only: busy for this long before rendering (see renderInPool). */
  stallMs?: number;
}

export type RenderAnswer = { values: Record<string, unknown> } | { error: { param: string; message: string } };

/** Renders in this worker thread, within the same budgets as on the caller's; a failure travels as data. */
export default function renderTask(task: RenderTask): RenderAnswer {
  if (task.stallMs) for (const until = performance.now() + task.stallMs; performance.now() < until; );
  try {
    return { values: renderTemplateValuesHere(task.params, task.values, task.user) };
  } catch (error) {
    if (error instanceof TemplateError) return { error: { param: error.param, message: error.message } };
    throw error;
  }
}

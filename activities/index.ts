import type { Database } from '../db/client.js';
import { createRunContextCache } from '../delivery/context.js';
import { createAudienceActivities } from './audience.js';
import { createDeliveryActivities } from './delivery.js';
import { createRunControlActivities } from './run-control.js';

/**
 * Builds every activity the worker registers, bound to its dependencies.
 *
 * @example
 * const worker = await Worker.create({ activities: createActivities({ db }), … });
 */
export function createActivities(deps: { db: Database; concurrency?: number }) {
  const runs = createRunContextCache(deps.db);
  return {
    ...createAudienceActivities({ db: deps.db }),
    ...createRunControlActivities({ db: deps.db, runs }),
    ...createDeliveryActivities({ db: deps.db, runs, concurrency: deps.concurrency ?? 32 }),
  };
}

export type Activities = ReturnType<typeof createActivities>;

import type { Database } from '../db/client.js';
import { createRunContextCache } from '../delivery/context.js';
import type { Logger } from '../lib/logger.js';
import { createAudienceActivities } from './audience.js';
import { createDeliveryActivities } from './delivery.js';
import { createRunControlActivities } from './run-control.js';

/**
 * Builds every activity the worker registers, bound to its dependencies.
 *
 * @example
 * const worker = await Worker.create({ activities: createActivities({ db, logger }), … });
 */
export function createActivities(deps: { db: Database; logger: Logger; concurrency?: number }) {
  const runs = createRunContextCache(deps.db);
  return {
    ...createAudienceActivities({ db: deps.db }),
    ...createRunControlActivities({ db: deps.db, runs }),
    ...createDeliveryActivities({ db: deps.db, runs, logger: deps.logger, concurrency: deps.concurrency ?? 32 }),
  };
}

export type Activities = ReturnType<typeof createActivities>;

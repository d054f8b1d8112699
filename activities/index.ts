import type { Database } from '../db/client.js';
import { createBreaker } from '../delivery/breaker.js';
import { createRunContextCache, type RunContextCacheOptions } from '../delivery/context.js';
import { createChannelLimiter, createChannelLimitsCache, type ChannelLimiter } from '../delivery/limiter.js';
import { createAudienceActivities } from './audience.js';
import { createDeliveryActivities } from './delivery.js';
import { createEffectActivities } from './effect.js';
import { createRecurringActivities } from './recurring.js';
import { createRetentionActivities } from './retention.js';
import { createEventTriggerActivities } from './event-trigger.js';
import { createRunControlActivities } from './run-control.js';

/**
 * Builds every activity the worker registers, bound to its dependencies.
 *
 * @example
 * const worker = await Worker.create({ activities: createActivities({ db }), … });
 */
export function createActivities(deps: { db: Database; concurrency?: number; limiter?: ChannelLimiter; cache?: RunContextCacheOptions }) {
  const runs = createRunContextCache(deps.db, deps.cache);
  const limiter = deps.limiter ?? createChannelLimiter(deps.db);
  const delivery = createDeliveryActivities({
    db: deps.db,
    runs,
    concurrency: deps.concurrency ?? 32,
    limiter,
    limits: createChannelLimitsCache(deps.db),
    breaker: createBreaker(),
  });
  return {
    ...createAudienceActivities({ db: deps.db }),
    ...createRunControlActivities({ db: deps.db, runs }),
    ...createRecurringActivities({ db: deps.db }),
    ...createEffectActivities({ db: deps.db }),
    ...createRetentionActivities({ db: deps.db }),
    ...createEventTriggerActivities({ db: deps.db, runs, deliverOne: delivery.deliverOne }),
    ...delivery,
  };
}

export type Activities = ReturnType<typeof createActivities>;

import { createApp } from '../api/app.js';
import { createCampaignService } from '../campaigns/store.js';
import { createLogger } from '../lib/logger.js';
import type { FanOut } from '../runs/lifecycle.js';
import { createListenerIndex } from '../triggers/listeners.js';
import { outboxHooks } from '../triggers/outbox.js';
import { createRelay, type RelayDeps } from '../triggers/relay.js';
import type { TestDatabase } from './database.js';
import { jsonCaller } from './http.js';
import type { TestTemporal } from './temporal.js';
import type { DueQueue } from '../workflows/inputs.js';

/**
 * The API as `api/server.ts` wires it for event-triggered campaigns: the
 * listener index, the outbox hooks of each ingest and the relay, against the
 * test database and Temporal. Call `start()` in beforeAll and `stop()` after.
 */
export function eventCampaignApi(
  database: TestDatabase,
  temporal: TestTemporal,
  options: { relay?: Partial<RelayDeps>; fanOut?: Partial<FanOut>; dueQueue?: Partial<DueQueue> } = {},
) {
  const listeners = createListenerIndex(database.db, { refreshMs: 1000 });
  const relay = createRelay({ db: database.db, temporal: temporal.client, intervalMs: 500, ...options.relay });
  const service = createCampaignService({
    db: database.db,
    temporal: temporal.client,
    taskQueue: temporal.taskQueue,
    fanOut: options.fanOut ?? { batchSize: 5, window: 3, childrenPerExecution: 4 },
    eventListeners: listeners,
    ...(options.dueQueue ? { dueQueue: options.dueQueue } : {}),
  });
  const app = createApp({
    db: database.db,
    logger: createLogger('test', 'silent'),
    campaigns: { service, temporalUiUrl: 'http://localhost:8233', namespace: 'default' },
    eventHooks: () => outboxHooks(listeners, () => relay.kick()),
  });
  return {
    app,
    service,
    listeners,
    relay,
    call: jsonCaller(app),
    async start() {
      await listeners.start();
      relay.start();
    },
    async stop() {
      await relay.stop();
      await listeners.stop();
    },
  };
}

export type EventCampaignApi = ReturnType<typeof eventCampaignApi>;

import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * One registry per process; `/metrics` (API) and the worker's metrics port
 * expose it. The Temporal SDK's own worker metrics (task slots, poll latency,
 * sticky cache) are served by its runtime on a port of their own
 * (WORKER_SDK_METRICS_PORT).
 *
 * The delivery hot path never touches a labelled metric per request: outcomes
 * are counted per outcome write, in-flight requests are a plain number read at
 * scrape time, and the latency histogram is unlabelled.
 */
export const registry = new Registry();
collectDefaultMetrics({ register: registry, prefix: 'hookcast_' });

export const deliveryAttempts = new Counter({
  name: 'hookcast_delivery_attempts_total',
  help: 'Delivery attempts by channel, outcome (succeeded, retry, failed) and error class; a growingio request counts once per user it carried',
  labelNames: ['channel', 'outcome', 'error_class'] as const,
  registers: [registry],
});

export const deliveryRetries = new Counter({
  name: 'hookcast_delivery_retries_total',
  help: 'Retry attempts made (a user sent to again after a failed attempt), by channel',
  labelNames: ['channel'] as const,
  registers: [registry],
});

export const deliveryLatency = new Histogram({
  name: 'hookcast_delivery_latency_seconds',
  help: 'Time from sending a webhook request to its complete answer',
  buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
  registers: [registry],
});

/** Webhook requests this process has in flight; a plain counter the hot path bumps, read at scrape time. */
export const requestsInFlight = { webhooks: 0, api: 0 };

new Gauge({
  name: 'hookcast_delivery_requests_in_flight',
  help: 'Webhook requests this worker has sent and not yet had answered',
  registers: [registry],
  collect() {
    this.set(requestsInFlight.webhooks);
  },
});

new Gauge({
  name: 'hookcast_http_requests_in_flight',
  help: 'API requests being served',
  registers: [registry],
  collect() {
    this.set(requestsInFlight.api);
  },
});

export const limiterWaits = new Histogram({
  name: 'hookcast_limiter_wait_seconds',
  help: "Time a send on a limited channel waited for its permit, by channel (unlimited channels take no permit)",
  labelNames: ['channel'] as const,
  buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 30],
  registers: [registry],
});

export const httpRequests = new Counter({
  name: 'hookcast_http_requests_total',
  help: 'API requests by method, route and status',
  labelNames: ['method', 'route', 'status'] as const,
  registers: [registry],
});

export const eventsIngested = new Counter({
  name: 'hookcast_events_ingested_total',
  help: 'Behaviour events received by the API, by result (accepted, duplicate, rejected)',
  labelNames: ['result'] as const,
  registers: [registry],
});

export const triggersFired = new Counter({
  name: 'hookcast_triggers_fired_total',
  help: 'Firings of recurring campaigns, by trigger (schedule, manual) and result (open: a run sends; skipped, missed, ignored)',
  labelNames: ['trigger', 'result'] as const,
  registers: [registry],
});

import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** One registry per process; `/metrics` (API) and the worker's metrics port expose it. */
export const registry = new Registry();
collectDefaultMetrics({ register: registry, prefix: 'hookcast_' });

export const deliveryAttempts = new Counter({
  name: 'hookcast_delivery_attempts_total',
  help: 'Delivery attempts by outcome (succeeded, retry, failed) and error class',
  labelNames: ['outcome', 'error_class'] as const,
  registers: [registry],
});

export const deliveryLatency = new Histogram({
  name: 'hookcast_delivery_latency_seconds',
  help: 'Time from sending a webhook request to its complete answer',
  buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
  registers: [registry],
});

export const httpRequests = new Counter({
  name: 'hookcast_http_requests_total',
  help: 'API requests by method, route and status',
  labelNames: ['method', 'route', 'status'] as const,
  registers: [registry],
});

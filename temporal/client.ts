import { Client, Connection } from '@temporalio/client';
import type { TemporalConnectionOptions } from './connection.js';

/**
 * A Temporal client (used by the API to start, update and query campaign
 * workflows) on a lazy connection: it does not need Temporal to be up when it
 * is created, so the API starts, and answers from PostgreSQL, while Temporal
 * is down; each call then fails (or succeeds) on its own.
 *
 * @example
 * const client = createTemporalClient({ ...temporalConnectionOptions(env), namespace: env.TEMPORAL_NAMESPACE });
 */
export function createTemporalClient(options: TemporalConnectionOptions & { namespace: string }): Client {
  const connection = Connection.lazy({
    address: options.address,
    tls: options.tls,
    apiKey: options.apiKey,
    metadata: options.metadata,
    // gRPC's reconnect backoff grows to 2 minutes by default: after a long outage the API would
    // keep failing that long after Temporal is back. Retry the connection at least every 5 s.
    channelArgs: { 'grpc.max_reconnect_backoff_ms': 5000 },
  });
  return new Client({ connection, namespace: options.namespace });
}

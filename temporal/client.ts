import { Client, Connection } from '@temporalio/client';

/**
 * Connects a Temporal client (used by the API to start, update and query campaign workflows).
 *
 * @example
 * const client = await createTemporalClient({ address: '127.0.0.1:7233', namespace: 'default' });
 */
export async function createTemporalClient(options: { address: string; namespace: string }): Promise<Client> {
  const connection = await Connection.connect({ address: options.address });
  return new Client({ connection, namespace: options.namespace });
}

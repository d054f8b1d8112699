/** Messages between a benchmark and bench/receiver-process.ts. */

export interface ReceiverStats {
  requests: number;
  distinctWebhookIds: number;
  /** Requests whose `webhook-id` had already been seen on this path. */
  duplicates: number;
  withoutId: number;
}

export type ReceiverQuery =
  | { id: number; type: 'stats' }
  /** Arrivals on `path` per window [edges[i], edges[i+1]), edges in epoch ms. */
  | { id: number; type: 'windows'; path: string; edges: number[] }
  | { id: number; type: 'reset'; path?: string };

/**
 * A fast loopback receiver for benchmarks, in its own process so it does not
 * share the worker's event loop. Per path it counts requests, distinct
 * `webhook-id` headers (a request whose id was already seen is a duplicate)
 * and keeps each request's arrival time (epoch ms, taken when its headers
 * arrive), so a benchmark can count requests that started after a moment.
 *
 * IPC: the parent sends `{ id, type, ... }` and gets `{ id, ... }` back.
 */
import { createServer } from 'node:http';
import type { ReceiverQuery, ReceiverStats } from './receiver-protocol.js';

interface PathState {
  requests: number;
  withoutId: number;
  duplicates: number;
  ids: Set<string>;
  arrivals: number[];
}

const paths = new Map<string, PathState>();

function stateOf(path: string): PathState {
  let state = paths.get(path);
  if (!state) {
    state = { requests: 0, withoutId: 0, duplicates: 0, ids: new Set(), arrivals: [] };
    paths.set(path, state);
  }
  return state;
}

const server = createServer((req, res) => {
  const arrivedAt = Date.now();
  const url = req.url ?? '/';
  const query = url.indexOf('?');
  const state = stateOf(query >= 0 ? url.slice(0, query) : url);
  state.requests += 1;
  state.arrivals.push(arrivedAt);
  const id = req.headers['webhook-id'];
  if (typeof id !== 'string') state.withoutId += 1;
  else if (state.ids.has(id)) state.duplicates += 1;
  else state.ids.add(id);
  req.resume();
  req.on('end', () => {
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end('ok');
  });
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => {
  const { port } = server.address() as { port: number };
  process.send?.({ port });
});

function stats(): Record<string, ReceiverStats> {
  return Object.fromEntries(
    [...paths].map(([path, s]) => [path, { requests: s.requests, distinctWebhookIds: s.ids.size, duplicates: s.duplicates, withoutId: s.withoutId }]),
  );
}

/** How many arrivals fall in each [edges[i], edges[i+1]) window; arrivals are in order. */
function windowCounts(path: string, edges: number[]): number[] {
  const arrivals = paths.get(path)?.arrivals ?? [];
  return edges.slice(0, -1).map((from, i) => {
    const to = edges[i + 1]!;
    let n = 0;
    for (const at of arrivals) if (at >= from && at < to) n += 1;
    return n;
  });
}

process.on('message', (message: ReceiverQuery) => {
  const reply = (body: object) => process.send?.({ id: message.id, ...body });
  switch (message.type) {
    case 'stats':
      return reply({ stats: stats() });
    case 'windows':
      return reply({ counts: windowCounts(message.path, message.edges) });
    case 'reset':
      if (message.path) paths.delete(message.path);
      else paths.clear();
      return reply({});
  }
});
process.on('disconnect', () => process.exit(0));

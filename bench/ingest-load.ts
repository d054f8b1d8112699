/**
 * The heaviest ingest for bench:ingest, in its own process so the load does
 * not share an event loop with the probes: `clients` concurrent loops, each
 * POSTing batches of 1,000 events to /api/events, one after another, until told
 * to stop. Answers what came back: accepted batches, busy refusals (503 with
 * Retry-After, which the client waits out as a real one would) and errors.
 *
 * IPC: `{ type: 'start', url, clients }` then `{ type: 'stop' }` → `{ type: 'stopped', ok, busy, errors, events }`.
 */
import { Agent, request } from 'undici';
import { authHeader } from '../test/credentials.js';

type Message = { type: 'start'; url: string; clients: number } | { type: 'stop' };

let running = false;
let loops: Promise<void>[] = [];
const counts = { ok: 0, busy: 0, errors: 0, events: 0 };

function batch(client: number, n: number): string {
  const time = new Date().toISOString();
  return JSON.stringify({
    events: Array.from({ length: 1000 }, (_, i) => ({ name: 'view_item', loginId: `ingest-${client}-${(n * 1000 + i) % 5000}`, time, properties: { sku: `sku-${i}`, price: i % 97, tags: ['a', 'b'] } })),
  });
}

async function client(url: string, id: number, agent: Agent) {
  let n = 0;
  while (running) {
    try {
      const res = await request(`${url}/api/events`, { method: 'POST', dispatcher: agent, headers: { ...authHeader, 'content-type': 'application/json' }, body: batch(id, n++), headersTimeout: 120_000, bodyTimeout: 120_000 });
      await res.body.dump();
      if (res.statusCode === 200) {
        counts.ok += 1;
        counts.events += 1000;
      } else if (res.statusCode === 503 || res.statusCode === 429) {
        counts.busy += 1;
        await new Promise((r) => setTimeout(r, Number(res.headers['retry-after'] ?? 1) * 1000));
      } else counts.errors += 1;
    } catch {
      counts.errors += 1;
    }
  }
}

process.on('message', async (message: Message) => {
  if (message.type === 'start') {
    Object.assign(counts, { ok: 0, busy: 0, errors: 0, events: 0 });
    const agent = new Agent({ connections: message.clients, keepAliveTimeout: 30_000 });
    running = true;
    loops = Array.from({ length: message.clients }, (_, i) => client(message.url, i, agent));
    process.send?.({ type: 'started' });
  } else {
    running = false;
    await Promise.all(loops);
    process.send?.({ type: 'stopped', ...counts });
  }
});

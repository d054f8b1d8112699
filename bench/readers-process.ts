/**
 * Concurrent API readers for bench:reads, in their own process so their
 * timing is not disturbed by the benchmark's own work. Each reader loops over
 * the given URLs (one request at a time) until told to stop; the answer holds
 * per-URL-label latency figures.
 *
 * IPC: `{ type: 'start', readers, targets }` then `{ type: 'stop' }` →
 * `{ type: 'stopped', byLabel: Record<label, LatencySummary>, errorSamples }`.
 */
import { Agent, request } from 'undici';
import { authHeader } from '../test/credentials.js';
import { summarizeLatencies } from './stats.js';

interface Target {
  label: string;
  url: string;
}

type Message = { type: 'start'; readers: number; targets: Target[] } | { type: 'stop' };

let running = false;
let loops: Promise<void>[] = [];
let agent: Agent | undefined;
let started = 0;
const latencies = new Map<string, number[]>();
const errors = new Map<string, number>();
const errorSamples: string[] = [];

async function reader(targets: Target[], offset: number) {
  let i = offset;
  while (running) {
    const target = targets[i % targets.length]!;
    i += 1;
    const t0 = performance.now();
    try {
      const res = await request(target.url, { dispatcher: agent, headers: authHeader, headersTimeout: 60_000, bodyTimeout: 60_000 });
      await res.body.dump();
      if (res.statusCode !== 200) throw new Error(`HTTP ${res.statusCode}`);
      latencies.get(target.label)!.push(performance.now() - t0);
    } catch (error) {
      errors.set(target.label, (errors.get(target.label) ?? 0) + 1);
      if (errorSamples.length < 5) errorSamples.push(`${target.label}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
}

process.on('message', async (message: Message) => {
  if (message.type === 'start') {
    latencies.clear();
    errors.clear();
    errorSamples.length = 0;
    for (const target of message.targets) latencies.set(target.label, []);
    agent = new Agent({ connections: message.readers, keepAliveTimeout: 30_000 });
    running = true;
    started = performance.now();
    loops = Array.from({ length: message.readers }, (_, n) => reader(message.targets, n));
    process.send?.({ type: 'started' });
  } else {
    running = false;
    await Promise.all(loops);
    const seconds = (performance.now() - started) / 1000;
    await agent?.close();
    const byLabel = Object.fromEntries([...latencies].map(([label, values]) => [label, summarizeLatencies(values, errors.get(label) ?? 0, seconds)]));
    process.send?.({ type: 'stopped', byLabel, errorSamples });
  }
});
process.on('disconnect', () => process.exit(0));

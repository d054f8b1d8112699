/**
 * A minimal Chrome DevTools Protocol client for a child started with
 * `--inspect=127.0.0.1:0`: enough to take a CPU profile of one benchmark
 * phase (not of start-up) from a long-running process.
 */
import { WebSocket } from 'undici';
import type { CpuProfile } from './cpu-profile.js';

export interface Profiler {
  start(): Promise<void>;
  stop(): Promise<CpuProfile>;
  /** scriptId → `sourceMapURL` of every script loaded so far (the Debugger domain is enabled only while asking). */
  sourceMapUrls(): Promise<Map<string, string>>;
  close(): void;
}

/** The `ws://` URL a child prints on stderr when it starts with --inspect. */
export function inspectorUrl(line: string): string | undefined {
  return /Debugger listening on (ws:\/\/\S+)/.exec(line)?.[1];
}

export async function connectProfiler(url: string, samplingIntervalUs = 1000): Promise<Profiler> {
  const socket = new WebSocket(url);
  await new Promise<void>((resolve, reject) => {
    socket.addEventListener('open', () => resolve(), { once: true });
    socket.addEventListener('error', () => reject(new Error(`cannot connect to the inspector at ${url}`)), { once: true });
  });
  let nextId = 0;
  const waiting = new Map<number, { resolve(result: unknown): void; reject(error: Error): void }>();
  let onEvent: ((method: string, params: Record<string, unknown>) => void) | undefined;
  socket.addEventListener('message', (event) => {
    const message = JSON.parse(String(event.data)) as { id?: number; method?: string; params?: Record<string, unknown>; result?: unknown; error?: { message: string } };
    if (message.method) onEvent?.(message.method, message.params ?? {});
    if (message.id === undefined) return;
    const pending = waiting.get(message.id);
    waiting.delete(message.id);
    if (message.error) pending?.reject(new Error(message.error.message));
    else pending?.resolve(message.result);
  });
  const send = <T>(method: string, params: object = {}) =>
    new Promise<T>((resolve, reject) => {
      nextId += 1;
      waiting.set(nextId, { resolve: resolve as (result: unknown) => void, reject });
      socket.send(JSON.stringify({ id: nextId, method, params }));
    });
  await send('Profiler.enable');
  await send('Profiler.setSamplingInterval', { interval: samplingIntervalUs });
  return {
    start: () => send('Profiler.start'),
    stop: async () => (await send<{ profile: CpuProfile }>('Profiler.stop')).profile,
    sourceMapUrls: async () => {
      const urls = new Map<string, string>();
      // V8 reports every script already compiled as scriptParsed before it answers Debugger.enable.
      onEvent = (method, params) => {
        if (method === 'Debugger.scriptParsed' && typeof params.sourceMapURL === 'string' && params.sourceMapURL) urls.set(String(params.scriptId), params.sourceMapURL);
      };
      try {
        await send('Debugger.enable');
        await send('Debugger.disable');
      } finally {
        onEvent = undefined;
      }
      return urls;
    },
    close: () => socket.close(),
  };
}

/**
 * Reads a V8 `.cpuprofile` (what `node --cpu-prof` or the inspector's
 * Profiler domain gives) and sums self time per function and per file, so a
 * benchmark can print where the CPU went.
 */
import { SourceMap, type SourceMapPayload } from 'node:module';

export interface CpuProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber?: number; scriptId?: string | number };
  hitCount?: number;
  children?: number[];
}

export interface CpuProfile {
  nodes: CpuProfileNode[];
  startTime: number;
  endTime: number;
  samples?: number[];
  timeDeltas?: number[];
}

type CallFrame = CpuProfileNode['callFrame'];

/** The original (1-based) line of a generated frame, when a source map knows it. */
export type LineResolver = (frame: CallFrame) => number | undefined;

/**
 * A resolver from the source maps of the profiled process's scripts (scriptId
 * → `sourceMapURL`, as the inspector's `Debugger.scriptParsed` reports them).
 * tsx compiles TypeScript to one long line with an inline map, so without it
 * every hookcast function would show as line 1.
 */
export function sourceMapResolver(sourceMapUrls: ReadonlyMap<string, string>): LineResolver {
  const maps = new Map<string, SourceMap | null>();
  const load = (scriptId: string): SourceMap | null => {
    const url = sourceMapUrls.get(scriptId);
    if (!url?.startsWith('data:')) return null;
    const comma = url.indexOf(',');
    const data = url.slice(comma + 1);
    try {
      const text = url.slice(0, comma).endsWith(';base64') ? Buffer.from(data, 'base64').toString('utf8') : decodeURIComponent(data);
      return new SourceMap(JSON.parse(text) as SourceMapPayload);
    } catch {
      return null;
    }
  };
  return (frame) => {
    if (frame.scriptId === undefined || frame.lineNumber < 0) return undefined;
    const id = String(frame.scriptId);
    if (!maps.has(id)) maps.set(id, load(id));
    const entry = maps.get(id)?.findEntry(frame.lineNumber, frame.columnNumber ?? 0);
    return entry && 'originalLine' in entry ? entry.originalLine + 1 : undefined;
  };
}

export interface SelfTimeEntry {
  /** `functionName file:line` (1-based line), or the V8 pseudo-frame such as `(garbage collector)`. */
  name: string;
  selfMs: number;
  /** Share of the busy (non-idle) time, 0..1. */
  share: number;
}

export interface ProfileSummary {
  totalMs: number;
  idleMs: number;
  busyMs: number;
  functions: SelfTimeEntry[];
  files: SelfTimeEntry[];
}

/** A short location: relative to `root` when inside it, else from `node_modules/` on, else as given. */
export function shortUrl(url: string, root = process.cwd()): string {
  let path = url.startsWith('file://') ? decodeURIComponent(url.slice('file://'.length)) : url;
  const modules = path.lastIndexOf('node_modules/');
  if (modules >= 0) return path.slice(modules);
  if (root && path.startsWith(`${root}/`)) path = path.slice(root.length + 1);
  return path;
}

/**
 * Milliseconds of self time per profile node. With `samples` and `timeDeltas`
 * each sample lasts until the next one (the last one until `endTime`);
 * otherwise `hitCount` times the mean sampling interval.
 */
export function selfTimeByNode(profile: CpuProfile): Map<number, number> {
  const byNode = new Map<number, number>();
  const add = (id: number, us: number) => byNode.set(id, (byNode.get(id) ?? 0) + us / 1000);
  const { samples, timeDeltas } = profile;
  if (samples && timeDeltas && samples.length === timeDeltas.length && samples.length > 0) {
    let at = profile.startTime;
    for (let i = 0; i < samples.length; i += 1) {
      at += timeDeltas[i]!;
      const next = i + 1 < samples.length ? at + timeDeltas[i + 1]! : Math.max(at, profile.endTime);
      add(samples[i]!, Math.max(0, next - at));
    }
    return byNode;
  }
  const hits = profile.nodes.reduce((sum, node) => sum + (node.hitCount ?? 0), 0);
  const interval = hits > 0 ? (profile.endTime - profile.startTime) / hits : 0;
  for (const node of profile.nodes) if (node.hitCount) add(node.id, node.hitCount * interval);
  return byNode;
}

function frameName(node: CpuProfileNode, root: string, resolveLine?: LineResolver): { fn: string; file: string } {
  const { functionName, url, lineNumber } = node.callFrame;
  if (!url) return { fn: functionName || '(anonymous)', file: functionName.startsWith('(') ? functionName : '(native)' };
  const file = shortUrl(url, root);
  const line = resolveLine?.(node.callFrame) ?? lineNumber + 1;
  return { fn: `${functionName || '(anonymous)'} ${file}:${line}`, file };
}

/** Self time per function and per file, largest first; `(idle)` is counted apart from busy time. */
export function summarizeProfile(profile: CpuProfile, options: { top?: number; root?: string; resolveLine?: LineResolver } = {}): ProfileSummary {
  const top = options.top ?? 15;
  const root = options.root ?? process.cwd();
  const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
  const functions = new Map<string, number>();
  const files = new Map<string, number>();
  let idleMs = 0;
  let totalMs = 0;
  for (const [id, ms] of selfTimeByNode(profile)) {
    const node = nodes.get(id);
    if (!node) continue;
    totalMs += ms;
    if (node.callFrame.functionName === '(idle)') {
      idleMs += ms;
      continue;
    }
    const { fn, file } = frameName(node, root, options.resolveLine);
    functions.set(fn, (functions.get(fn) ?? 0) + ms);
    files.set(file, (files.get(file) ?? 0) + ms);
  }
  const busyMs = totalMs - idleMs;
  const ranked = (map: Map<string, number>) =>
    [...map]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([name, selfMs]) => ({ name, selfMs, share: busyMs > 0 ? selfMs / busyMs : 0 }));
  return { totalMs, idleMs, busyMs, functions: ranked(functions), files: ranked(files) };
}

/** Lines for a benchmark's output: totals, then the top functions and files by self time. */
export function formatProfileSummary(summary: ProfileSummary): string[] {
  const ms = (value: number) => `${value.toFixed(0).padStart(8)} ms`;
  const pct = (value: number) => `${(value * 100).toFixed(1).padStart(5)}%`;
  const lines = [
    `profile: ${(summary.totalMs / 1000).toFixed(1)} s sampled, ${(summary.busyMs / 1000).toFixed(1)} s busy, ${(summary.idleMs / 1000).toFixed(1)} s idle (${pct(summary.totalMs > 0 ? summary.idleMs / summary.totalMs : 0).trim()})`,
    'top functions by self time (share of busy time):',
    ...summary.functions.map((entry) => `  ${ms(entry.selfMs)} ${pct(entry.share)}  ${entry.name}`),
    'top files by self time:',
    ...summary.files.map((entry) => `  ${ms(entry.selfMs)} ${pct(entry.share)}  ${entry.name}`),
  ];
  return lines;
}

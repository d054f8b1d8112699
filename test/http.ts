import type { Hono } from 'hono';
import { authHeader } from './credentials.js';

/** The parsed answer of one API call; `body` is loosely typed on purpose, tests assert its shape. */
export interface JsonAnswer {
  status: number;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  body: any;
}

/**
 * Calls a Hono app in-process with a JSON body (a string is sent as is, to test malformed JSON),
 * with the test admin key unless other headers are given.
 *
 * @example
 * const call = jsonCaller(app);
 * const { status, body } = await call('POST', '/api/channels', { name: 'x' });
 */
export function jsonCaller(app: { request: Hono['request'] }, headers: Record<string, string> = authHeader) {
  return async function call(method: string, path: string, body?: unknown): Promise<JsonAnswer> {
    const res = await app.request(path, {
      method,
      headers: { 'content-type': 'application/json', ...headers },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : null };
  };
}

/** The field paths a 4xx answer names. */
export function issuePaths(body: { issues?: { path: string }[] }): string[] {
  return (body.issues ?? []).map((issue) => issue.path);
}

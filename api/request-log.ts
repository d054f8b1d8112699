import type { ApiKeyScope } from '../access/api-keys.js';

/**
 * Ids a route adds to its request's log line (a launch: the run and workflow
 * it started). Ids only: the request log never carries bodies or values.
 */
export type RequestLogEnv = {
  Variables: {
    logIds: Record<string, string | null | undefined>;
    /** The API key the request was made with (set by the key check): who, for the audit trail and what a scope may see. */
    apiKey: { id: string; name: string; scope: ApiKeyScope };
  };
};

const CAMPAIGN_PATH = /^\/api\/campaigns\/([0-9a-f-]{36})(?:\/|$)/;

/** The campaign a request is about, from its path. */
export function campaignIdOf(path: string): string | undefined {
  return CAMPAIGN_PATH.exec(path)?.[1];
}

/**
 * How loud a request's log line is. The console polls its screens every one to
 * three seconds, so a successful read is `debug` (set LOG_LEVEL=debug to see
 * them); a change (any other method) and any refusal or failure stay `info`,
 * where an operator reads what happened.
 *
 * @example
 * requestLogLevel('GET', 200);  // 'debug'
 * requestLogLevel('POST', 201); // 'info'
 * requestLogLevel('GET', 404);  // 'info'
 */
export function requestLogLevel(method: string, status: number): 'debug' | 'info' {
  return (method === 'GET' || method === 'HEAD') && status < 400 ? 'debug' : 'info';
}

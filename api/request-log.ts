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

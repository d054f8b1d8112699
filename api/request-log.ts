/**
 * Ids a route adds to its request's log line (a launch: the run and workflow
 * it started). Ids only: the request log never carries bodies or values.
 */
export type RequestLogEnv = { Variables: { logIds: Record<string, string | null | undefined> } };

const CAMPAIGN_PATH = /^\/api\/campaigns\/([0-9a-f-]{36})(?:\/|$)/;

/** The campaign a request is about, from its path. */
export function campaignIdOf(path: string): string | undefined {
  return CAMPAIGN_PATH.exec(path)?.[1];
}

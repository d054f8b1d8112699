import type { SendOutcome } from '../webhook/send.js';

/** What one attempt means for the user it was sent to. */
export type AttemptOutcome =
  | { kind: 'succeeded' }
  | { kind: 'retry'; retryAfterMs: number | null; errorClass: string }
  | { kind: 'failed'; errorClass: string; goneForGood: boolean };

/** Statuses that say "try again later": the receiver is busy or briefly broken. */
const RETRYABLE_STATUS = (status: number) => status === 408 || status === 429 || status >= 500;

/**
 * Classifies one send: 2xx succeeds; 408, 429, 5xx and transport failures are
 * retried (honouring Retry-After on 429 and 503); 410 fails and flags the
 * channel; other statuses (3xx, 4xx) and requests that cannot be built fail at once.
 *
 * @example
 * classifyAttempt({ verdict: 'non_2xx', status: 429, response: { headers: { 'retry-after': '2' } } });
 * // { kind: 'retry', retryAfterMs: 2000, errorClass: 'http_429' }
 */
export function classifyAttempt(
  outcome: Pick<SendOutcome, 'verdict' | 'status'> & { response: { headers: Record<string, string> } | null },
  now: Date = new Date(),
): AttemptOutcome {
  if (outcome.verdict === 'ok') return { kind: 'succeeded' };
  // A request the client cannot even build fails the same way every time; so does an endpoint
  // whose host resolves to an address outbound requests may not reach (retrying only probes it).
  if (outcome.verdict === 'invalid_request' || outcome.verdict === 'forbidden_address') return { kind: 'failed', errorClass: outcome.verdict, goneForGood: false };
  if (outcome.status === null) return { kind: 'retry', retryAfterMs: null, errorClass: outcome.verdict };
  const errorClass = `http_${outcome.status}`;
  if (RETRYABLE_STATUS(outcome.status)) {
    const header = outcome.response?.headers['retry-after'];
    const honoured = outcome.status === 429 || outcome.status === 503;
    return { kind: 'retry', retryAfterMs: honoured ? parseRetryAfter(header, now) : null, errorClass };
  }
  return { kind: 'failed', errorClass, goneForGood: outcome.status === 410 };
}

/**
 * Reads a Retry-After header (delay in seconds, or an HTTP date) as milliseconds.
 *
 * @example
 * parseRetryAfter('2'); // 2000
 */
export function parseRetryAfter(header: string | undefined, now: Date = new Date()): number | null {
  if (!header) return null;
  const trimmed = header.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const at = Date.parse(trimmed);
  if (Number.isNaN(at)) return null;
  return Math.max(0, at - now.getTime());
}

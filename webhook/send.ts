import { Agent, errors as undiciErrors, request, type Dispatcher } from 'undici';
import type { Readable } from 'node:stream';
import type { WebhookRequest } from './request.js';

export const RESPONSE_BODY_LIMIT = 4096;

/** Why a request did not get a 2xx, or `ok`. */
export type Verdict = 'ok' | 'non_2xx' | 'refused' | 'dns' | 'timeout' | 'tls' | 'reset' | 'network' | 'invalid_request';

export interface SendOutcome {
  verdict: Verdict;
  /** HTTP status, or null when no response arrived. */
  status: number | null;
  latencyMs: number;
  response: {
    headers: Record<string, string>;
    /** The first 4 KB of the body, as text. */
    body: string;
    bodyTruncated: boolean;
  } | null;
  /** A short description of a transport failure; never contains request data. */
  error: string | null;
}

/**
 * One keep-alive connection pool per origin, shared by every send in the process.
 * Redirects are never followed: a 3xx is reported as it is.
 */
export const sharedDispatcher: Dispatcher = new Agent({
  keepAliveTimeout: 30_000,
  keepAliveMaxTimeout: 600_000,
  connections: 512,
  pipelining: 1,
});

/**
 * Sends one webhook request and classifies the result. Never throws for
 * endpoint trouble (refused, DNS, timeout, TLS, reset): those are verdicts.
 *
 * @example
 * const outcome = await sendWebhook(req, { timeoutMs: 10_000 });
 * if (outcome.verdict === 'ok') console.log(outcome.status);
 */
export async function sendWebhook(
  req: WebhookRequest,
  options: { timeoutMs: number; dispatcher?: Dispatcher },
): Promise<SendOutcome> {
  const started = performance.now();
  // undici's own header and body timers bound the wait; an extra AbortSignal timer per request costs measurably at volume.
  try {
    const res = await request(req.url, {
      method: req.method,
      headers: req.headers,
      body: req.method === 'GET' ? null : req.body,
      dispatcher: options.dispatcher ?? sharedDispatcher,
      headersTimeout: options.timeoutMs,
      bodyTimeout: options.timeoutMs,
    });
    const { text, truncated } = await readPrefix(res.body as unknown as Readable, RESPONSE_BODY_LIMIT);
    return {
      verdict: res.statusCode >= 200 && res.statusCode < 300 ? 'ok' : 'non_2xx',
      status: res.statusCode,
      latencyMs: Math.round(performance.now() - started),
      response: { headers: flattenHeaders(res.headers), body: text, bodyTruncated: truncated },
      error: null,
    };
  } catch (error) {
    const verdict = classifyTransportError(error);
    return {
      verdict,
      status: null,
      latencyMs: Math.round(performance.now() - started),
      response: null,
      error: describeTransportError(verdict, error),
    };
  }
}

/**
 * Reads the first `limit` bytes of a response body. Plain stream events rather
 * than an async iterator: this runs once per delivery, and the iterator's
 * promise per chunk showed up in CPU profiles.
 */
function readPrefix(body: Readable, limit: number): Promise<{ text: string; truncated: boolean }> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let truncated = false;
    let discarded = 0;
    const done = () => {
      // A multi-byte character cut at the limit decodes as U+FFFD, which is fine for a preview.
      resolve({ text: chunks.length === 1 ? chunks[0]!.toString('utf8') : Buffer.concat(chunks).toString('utf8'), truncated });
    };
    body.on('data', (chunk: Buffer) => {
      if (truncated) {
        discarded += chunk.length;
        // Drain a modest remainder so the connection can be reused; past that, drop it.
        if (discarded > 64 * 1024) {
          body.destroy();
          done();
        }
        return;
      }
      if (size + chunk.length > limit) {
        chunks.push(chunk.subarray(0, limit - size));
        size = limit;
        truncated = true;
        return;
      }
      chunks.push(chunk);
      size += chunk.length;
    });
    body.once('end', done);
    body.once('error', (error) => (truncated ? done() : reject(error)));
  });
}

function flattenHeaders(headers: Record<string, string | string[] | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined) out[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return out;
}

const TLS_CODES = /^(ERR_TLS_|ERR_SSL_|CERT_|DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_(VERIFY|GET)_|HOSTNAME_MISMATCH)/;

function errorCodes(error: unknown): string[] {
  const codes: string[] = [];
  const seen = new Set<unknown>();
  const visit = (value: unknown) => {
    if (!value || typeof value !== 'object' || seen.has(value)) return;
    seen.add(value);
    const { code, cause, errors } = value as { code?: unknown; cause?: unknown; errors?: unknown };
    if (typeof code === 'string') codes.push(code);
    visit(cause);
    if (Array.isArray(errors)) errors.forEach(visit);
  };
  visit(error);
  return codes;
}

/** Maps a transport error (undici, net, dns, tls) to a verdict. */
export function classifyTransportError(error: unknown): Verdict {
  // undici refuses to build some requests (a header value it cannot send, a header it manages itself):
  // no retry can fix that, so it is its own verdict.
  if (error instanceof undiciErrors.InvalidArgumentError || error instanceof undiciErrors.NotSupportedError) return 'invalid_request';
  if (error instanceof undiciErrors.HeadersTimeoutError || error instanceof undiciErrors.BodyTimeoutError) return 'timeout';
  if (error instanceof undiciErrors.ConnectTimeoutError) return 'timeout';
  const codes = errorCodes(error);
  if (codes.includes('ECONNREFUSED')) return 'refused';
  if (codes.some((c) => c === 'ENOTFOUND' || c === 'EAI_AGAIN' || c === 'EAI_NONAME' || c === 'EAI_FAIL')) return 'dns';
  if (codes.some((c) => c === 'ETIMEDOUT' || c === 'UND_ERR_CONNECT_TIMEOUT' || c === 'UND_ERR_HEADERS_TIMEOUT' || c === 'UND_ERR_BODY_TIMEOUT')) return 'timeout';
  if (codes.some((c) => TLS_CODES.test(c))) return 'tls';
  if (codes.some((c) => c === 'ECONNRESET' || c === 'EPIPE' || c === 'UND_ERR_SOCKET' || c === 'UND_ERR_CLOSED')) return 'reset';
  return 'network';
}

const VERDICT_TEXT: Record<Verdict, string> = {
  ok: 'ok',
  non_2xx: 'the endpoint answered with a non-2xx status',
  refused: 'connection refused: nothing is listening at that address',
  dns: 'the host name could not be resolved',
  timeout: 'no complete answer within the timeout',
  tls: 'the TLS handshake failed',
  reset: 'the connection was closed or reset before a complete answer',
  network: 'the request failed on the network',
  invalid_request: 'the request could not be built (a header or value the HTTP client refuses to send)',
};

function describeTransportError(verdict: Verdict, error: unknown): string {
  // Error codes only: messages from the stack can echo URLs with credentials.
  const codes = errorCodes(error);
  return codes.length > 0 ? `${VERDICT_TEXT[verdict]} (${[...new Set(codes)].join(', ')})` : VERDICT_TEXT[verdict];
}

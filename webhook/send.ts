import { Agent, errors as undiciErrors, util as undiciUtil, type Dispatcher } from 'undici';
import { FORBIDDEN_ADDRESS, guardedConnector, outboundPolicy, type OutboundPolicy } from './outbound.js';
import type { ChannelAuth } from '../contracts/channel.js';
import type { WebhookRequest } from './request.js';
import { answerScrubber } from './scrub.js';

/** Characters of a response body that are kept (stored, shown), after scrubbing. */
export const RESPONSE_BODY_LIMIT = 4096;
/** Bytes read past the limit so a credential echoed across the cut is whole when it is scrubbed (the longest form of the longest is ~2.5 KB). */
const SCRUB_MARGIN = 4096;

/** Why a request did not get a 2xx, or `ok`. */
export const verdicts = ['ok', 'non_2xx', 'refused', 'dns', 'timeout', 'tls', 'reset', 'network', 'invalid_request', 'forbidden_address'] as const;
export type Verdict = (typeof verdicts)[number];

export interface SendOutcome {
  verdict: Verdict;
  /** HTTP status, or null when no response arrived. */
  status: number | null;
  latencyMs: number;
  response: {
    headers: Record<string, string>;
    /** The first RESPONSE_BODY_LIMIT characters of the body, as text, with the request's credentials masked (see scrub.ts). */
    body: string;
    bodyTruncated: boolean;
  } | null;
  /** A short description of a transport failure; never contains request data. */
  error: string | null;
}

/**
 * A dispatcher whose every new connection passes the outbound policy (see
 * outbound.ts): one keep-alive connection pool per origin. Redirects are never
 * followed: a 3xx is reported as it is.
 */
export function guardedDispatcher(policy: OutboundPolicy): Dispatcher {
  return new Agent({
    keepAliveTimeout: 30_000,
    keepAliveMaxTimeout: 600_000,
    connections: 512,
    pipelining: 1,
    connect: guardedConnector(policy),
  });
}

let processOutbound: { policy: OutboundPolicy; dispatcher: Dispatcher } | undefined;

/** The process's policy, from OUTBOUND_ALLOW_CIDRS (validated at start-up by config/env.ts); read once, on first use. */
export function processOutboundPolicy(): OutboundPolicy {
  processOutbound ??= (() => {
    const policy = outboundPolicy(
      (process.env.OUTBOUND_ALLOW_CIDRS ?? '')
        .split(',')
        .map((c) => c.trim())
        .filter(Boolean),
    );
    return { policy, dispatcher: guardedDispatcher(policy) };
  })();
  return processOutbound.policy;
}

/** The dispatcher shared by every send in the process, under its policy. */
export function sharedDispatcher(): Dispatcher {
  processOutboundPolicy();
  return processOutbound!.dispatcher;
}

/** Origin and path of a request URL, parsed once per distinct URL (a campaign's POSTs all share one). */
const targets = new Map<string, { origin: string; path: string }>();

function targetOf(url: string): { origin: string; path: string } {
  let target = targets.get(url);
  if (target === undefined) {
    // As undici's own request(): a malformed URL throws the URL parser's error, another scheme is an invalid argument.
    const parsed = new URL(url);
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
      throw new undiciErrors.InvalidArgumentError('Invalid URL protocol: the URL must start with `http:` or `https:`.');
    }
    target = { origin: parsed.origin, path: `${parsed.pathname}${parsed.search}` };
    if (targets.size >= 1_000) targets.clear();
    targets.set(url, target);
  }
  return target;
}

/**
 * Sends one webhook request and classifies the result. Never throws for
 * endpoint trouble (refused, DNS, timeout, TLS, reset): those are verdicts.
 *
 * @example
 * const outcome = await sendWebhook(req, { timeoutMs: 10_000 });
 * if (outcome.verdict === 'ok') console.log(outcome.status);
 */
export function sendWebhook(
  req: WebhookRequest,
  /** `auth`: the channel's credentials, so an echo of the secret or password is masked too (the request's own always are). */
  options: { timeoutMs: number; dispatcher?: Dispatcher; auth?: ChannelAuth },
): Promise<SendOutcome> {
  return new Promise((resolve) => {
    const started = performance.now();
    const handler = new PrefixHandler(started, resolve, answerScrubber(req, options.auth));
    let target: { origin: string; path: string };
    try {
      target = targetOf(req.url);
    } catch (error) {
      handler.onError(error as Error);
      return;
    }
    // A dispatch handler rather than undici's request(): no response stream, no
    // async resource and no URL parse per request, which showed up in CPU
    // profiles at campaign volume. undici's own header and body timers bound the wait.
    (options.dispatcher ?? sharedDispatcher()).dispatch(
      {
        origin: target.origin,
        path: target.path,
        method: req.method,
        headers: req.headers,
        body: req.method === 'GET' ? null : req.body,
        headersTimeout: options.timeoutMs,
        bodyTimeout: options.timeoutMs,
      },
      handler,
    );
  });
}

/** A drained remainder past the kept prefix, up to this, keeps the connection reusable; past it the connection is dropped. */
const DRAIN_LIMIT = 64 * 1024;

/**
 * Collects a response's status, headers and the first RESPONSE_BODY_LIMIT
 * bytes of its body (undici's callback handler interface), and settles once:
 * at the body's end, at an error, or after the drained remainder.
 */
class PrefixHandler implements Dispatcher.DispatchHandler {
  private status = 0;
  private rawHeaders: Buffer[] = [];
  private chunks: Buffer[] = [];
  private size = 0;
  private truncated = false;
  private discarded = 0;
  private abort: ((error?: Error) => void) | null = null;
  private settled = false;

  constructor(
    private readonly started: number,
    private readonly resolve: (outcome: SendOutcome) => void,
    private readonly scrubber: ReturnType<typeof answerScrubber>,
  ) {}

  onConnect(abort: (error?: Error) => void): void {
    this.abort = abort;
  }

  onHeaders(statusCode: number, rawHeaders: Buffer[]): boolean {
    // 1xx answers (100 Continue, 103 Early Hints) come before the real one.
    if (statusCode < 200) return true;
    this.status = statusCode;
    // Read as text only when asked (a Retry-After, a test send): a campaign's 2xx answers never need them.
    this.rawHeaders = rawHeaders;
    return true;
  }

  onData(chunk: Buffer): boolean {
    if (this.truncated) {
      this.discarded += chunk.length;
      if (this.discarded > DRAIN_LIMIT) {
        this.done();
        this.abort?.(new undiciErrors.RequestAbortedError('response body over the drain limit'));
      }
      return true;
    }
    if (this.size + chunk.length > RESPONSE_BODY_LIMIT + SCRUB_MARGIN) {
      this.chunks.push(chunk.subarray(0, RESPONSE_BODY_LIMIT + SCRUB_MARGIN - this.size));
      this.size = RESPONSE_BODY_LIMIT + SCRUB_MARGIN;
      this.truncated = true;
      return true;
    }
    this.chunks.push(chunk);
    this.size += chunk.length;
    return true;
  }

  onComplete(): void {
    this.done();
  }

  onError(error: Error): void {
    // An error after the prefix was complete (the drain cut short, a reset while draining) changes nothing.
    if (this.truncated) {
      this.done();
      return;
    }
    if (this.settled) return;
    this.settled = true;
    const verdict = classifyTransportError(error);
    this.resolve({
      verdict,
      status: null,
      latencyMs: Math.round(performance.now() - this.started),
      response: null,
      error: describeTransportError(verdict, error),
    });
  }

  private done() {
    if (this.settled) return;
    this.settled = true;
    const { chunks, rawHeaders, scrubber } = this;
    // A multi-byte character cut at the limit decodes as U+FFFD, which is fine for a preview.
    const text = chunks.length === 0 ? '' : chunks.length === 1 ? chunks[0]!.toString('utf8') : Buffer.concat(chunks).toString('utf8');
    // Scrubbed whole, then cut: a credential echoed across the cut is masked, not kept minus its end.
    const body = scrubber.scrub(text, { limit: RESPONSE_BODY_LIMIT, truncated: this.truncated });
    let headers: Record<string, string> | undefined;
    this.resolve({
      verdict: this.status >= 200 && this.status < 300 ? 'ok' : 'non_2xx',
      status: this.status,
      latencyMs: Math.round(performance.now() - this.started),
      response: {
        get headers() {
          return (headers ??= Object.fromEntries(Object.entries(flattenHeaders(rawHeaders)).map(([name, value]) => [name, scrubber.scrub(value).text])));
        },
        body: body.text,
        bodyTruncated: body.truncated,
      },
      error: null,
    });
  }
}

/** Response headers by lower-case name; repeated headers joined with ", ". */
function flattenHeaders(rawHeaders: Buffer[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = undiciUtil.headerNameToString(rawHeaders[i]!);
    const value = rawHeaders[i + 1]!.toString('latin1');
    if (name === '__proto__') continue;
    out[name] = Object.hasOwn(out, name) ? `${out[name]}, ${value}` : value;
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
  if (codes.includes(FORBIDDEN_ADDRESS)) return 'forbidden_address';
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
  forbidden_address: 'the destination address is not allowed',
};

function describeTransportError(verdict: Verdict, error: unknown): string {
  // The policy's own message names the address and its range, never request data.
  if (verdict === 'forbidden_address') return `${VERDICT_TEXT[verdict]}: ${forbiddenMessage(error)}`;
  // Error codes only: messages from the stack can echo URLs with credentials.
  const codes = errorCodes(error);
  return codes.length > 0 ? `${VERDICT_TEXT[verdict]} (${[...new Set(codes)].join(', ')})` : VERDICT_TEXT[verdict];
}

function forbiddenMessage(error: unknown): string {
  for (let e = error as { code?: unknown; message?: unknown; cause?: unknown } | undefined; e; e = e.cause as typeof e) {
    if (e.code === FORBIDDEN_ADDRESS && typeof e.message === 'string') return e.message;
  }
  return 'forbidden';
}

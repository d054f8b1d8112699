import type { ChannelAuth } from '../contracts/channel.js';
import { MASK } from './mask.js';
import type { WebhookRequest } from './request.js';

/*
 * An endpoint may echo what it was sent (headers, body, credentials it
 * decoded) in its answer, and answers are stored and shown. Every answer is
 * scrubbed as it arrives, before it is cut to its stored length: each
 * credential of the request, in the forms an echo writes it, becomes the mask,
 * and a cut never keeps the beginning of one.
 */

export { MASK };
/** Shorter pieces (a 3-character password) would mask half of any answer; they are scrubbed only inside longer forms (`user:pw`, the token). */
const MIN_PIECE = 4;

/** `text` in base64 at each of the three alignments it can take inside a longer base64 text (only the characters it alone decides). */
function base64Forms(text: string): string[] {
  const bytes = Buffer.from(text, 'utf8');
  const forms: string[] = [];
  for (let offset = 0; offset < 3; offset += 1) {
    const encoded = Buffer.concat([Buffer.alloc(offset), bytes]).toString('base64');
    const from = Math.ceil((offset * 8) / 6);
    const to = Math.floor(((offset + bytes.length) * 8) / 6);
    const core = encoded.slice(from, to);
    if (core.length >= 8) forms.push(core, core.replaceAll('+', '-').replaceAll('/', '_'));
  }
  return forms;
}

const NAMED: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
/** HTML escapes as servers write them: named entities (`&quot;` or `&#34;` for quotes) or all decimal. */
const htmlForms = (text: string) => [
  text.replace(/[&<>"']/g, (c) => NAMED[c]!),
  text.replace(/[&<>"']/g, (c) => (c === '"' ? '&#34;' : NAMED[c]!)),
  text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`),
];

/** The forms an echo may write a credential in: raw, JSON-escaped, HTML-escaped, URL- and form-encoded (either hex case, `+` for spaces) and base64. */
export function credentialForms(secret: string): string[] {
  if (secret.length < MIN_PIECE) return [];
  const encoded = encodeURIComponent(secret);
  const forms = new Set([
    secret,
    JSON.stringify(secret).slice(1, -1),
    secret.replaceAll('/', '\\/'),
    ...htmlForms(secret),
    encoded,
    encoded.replace(/%[0-9A-F]{2}/g, (h) => h.toLowerCase()),
    encoded.replaceAll('%20', '+'),
    // application/x-www-form-urlencoded also encodes !'()~ and writes spaces as +.
    new URLSearchParams({ v: secret }).toString().slice(2),
    ...base64Forms(secret),
  ]);
  return [...forms];
}

/** The pieces of a channel's credentials, each in every form (cached per credential: a campaign sends thousands of requests with one). */
const authCache = new Map<string, string[]>();
function authPieces(auth: ChannelAuth | undefined, request: WebhookRequest): string[] {
  const raw: string[] = [];
  if (auth?.type === 'secret') {
    for (const secret of [auth.secret, auth.previous?.secret]) if (secret) raw.push(secret, secret.replace(/^whsec_/, ''));
  }
  // The Basic token is in the request even when the caller knows no auth (it is the header), and so is what it decodes to.
  const authorization = request.headers.authorization;
  if (authorization) raw.push(authorization);
  if (auth?.type === 'basic') raw.push(`${auth.username}:${auth.password}`, auth.password);
  const key = raw.join('\u0000');
  let pieces = authCache.get(key);
  if (pieces === undefined) {
    const all = new Set<string>();
    for (const value of raw) {
      for (const form of credentialForms(value)) all.add(form);
      const token = /^Basic\s+(\S+)$/i.exec(value)?.[1];
      if (token) {
        for (const form of credentialForms(token)) all.add(form);
        const decoded = Buffer.from(token, 'base64').toString('utf8');
        for (const form of credentialForms(decoded)) all.add(form);
        const password = decoded.slice(decoded.indexOf(':') + 1);
        if (decoded.includes(':')) for (const form of credentialForms(password)) all.add(form);
      }
    }
    pieces = [...all];
    if (authCache.size >= 1_000) authCache.clear();
    authCache.set(key, pieces);
  }
  return pieces;
}

/** Each signature of a request (Standard Webhooks' `v1,…` values, GrowingIO's hex) with and without its prefix, in every form. */
function signaturePieces(request: WebhookRequest): string[] {
  const pieces: string[] = [];
  const standard = request.headers['webhook-signature'];
  if (standard) {
    for (const signature of standard.split(' ')) {
      pieces.push(...credentialForms(signature), ...credentialForms(signature.slice(signature.indexOf(',') + 1)));
    }
  }
  const hex = request.headers['x-gio-signature'];
  if (hex) pieces.push(...credentialForms(hex), hex.toUpperCase());
  return pieces;
}

/**
 * Scrubs the answers to one request: the request's credentials (`auth`: the
 * channel's, for its secret and password) never survive in what it returns.
 */
export function answerScrubber(request: WebhookRequest, auth?: ChannelAuth) {
  let pieces: string[] | undefined;
  const all = () => (pieces ??= [...authPieces(auth, request), ...signaturePieces(request)].sort((a, b) => b.length - a.length));
  return {
    /**
     * The text with every credential masked. `cut`: keep at most that many
     * characters (the text was, or is now, cut short), never ending in the
     * beginning of a credential.
     */
    scrub(text: string, cut?: { limit: number; truncated: boolean }): { text: string; truncated: boolean } {
      let out = text;
      // Nothing as short as the shortest form can hold one: most answers ("ok", "{}") stop here.
      if (out.length >= MIN_PIECE) for (const piece of all()) if (out.includes(piece)) out = out.split(piece).join(MASK);
      if (!cut) return { text: out, truncated: false };
      let truncated = cut.truncated;
      if (out.length > cut.limit) {
        out = out.slice(0, cut.limit);
        truncated = true;
      }
      if (truncated) out = withoutCredentialStart(out, all());
      return { text: out, truncated };
    },
  };
}

/** `text` less its longest ending that begins a piece. */
function withoutCredentialStart(text: string, pieces: readonly string[]): string {
  let longest = 0;
  for (const piece of pieces) {
    for (let length = Math.min(piece.length - 1, text.length); length > longest; length -= 1) {
      if (text.endsWith(piece.slice(0, length))) {
        longest = length;
        break;
      }
    }
  }
  return longest === 0 ? text : text.slice(0, text.length - longest);
}

/**
 * A second layer for bodies stored before answers were scrubbed on arrival (and
 * for any that slipped through): what looks like a signature, a Basic token or a
 * signing secret is masked by its shape.
 */
export function maskCredentialShapes(text: string): string {
  return text
    .replace(/\bv1a?,[A-Za-z0-9+/_-]{20,}={0,2}/g, `v1,${MASK}`)
    .replace(/\b(Basic|Bearer)(\s+|%20|\+)[A-Za-z0-9+/_.~-]{4,}={0,2}/gi, `$1 ${MASK}`)
    .replace(/\bwhsec_[A-Za-z0-9+/_-]{8,}={0,2}/g, `whsec_${MASK}`)
    .replace(/(x-gio-signature["']?\s*[:=]\s*["']?)[0-9a-fA-F]{64}/gi, `$1${MASK}`);
}

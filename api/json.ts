import type { Context } from 'hono';
import { ApiError, fieldErrors } from '../lib/errors.js';
import type { FieldIssue } from '../contracts/errors.js';
import { jsonValueIssues, pathSegment, textProblem } from '../lib/json-values.js';

/** Largest request body read; a longer one is refused (413) without reading the rest. */
export const MAX_BODY_BYTES = 5 * 1024 * 1024;

export const UNSAFE_INTEGER_MESSAGE = 'integer beyond ±2^53 cannot be kept exactly (send it as a string)';
export const INFINITE_NUMBER_MESSAGE = 'number is beyond the range of a double';

function tooLarge(): ApiError {
  return new ApiError(413, 'payload_too_large', `body larger than ${MAX_BODY_BYTES} bytes`);
}

/**
 * Reads the body as UTF-8 text, at most MAX_BODY_BYTES: a declared
 * Content-Length over the limit is refused before reading, and a body that
 * grows past the limit while streaming stops being read at that point, so a
 * huge upload never sits in memory.
 */
async function readCappedText(c: Context): Promise<string> {
  const declared = c.req.header('content-length');
  if (declared !== undefined && Number(declared) > MAX_BODY_BYTES) throw tooLarge();
  const stream = c.req.raw.body;
  if (!stream) return '';
  const reader = stream.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > MAX_BODY_BYTES) {
      await reader.cancel().catch(() => {});
      throw tooLarge();
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks, size).toString('utf8');
}

/**
 * Reads and parses a JSON body without judging its values, and reports the
 * numbers JSON.parse could not keep exactly (see unsafeNumberIssues). For
 * routes that reject item by item (events); others use readJson.
 */
export async function readJsonBody(c: Context, options: { optional?: boolean } = {}): Promise<{ value: unknown; numberIssues: FieldIssue[] }> {
  const text = await readCappedText(c);
  if (text.trim() === '') {
    if (options.optional) return { value: {}, numberIssues: [] };
    throw new ApiError(400, 'validation_failed', 'a JSON body is required', [{ path: '(body)', message: 'is required' }]);
  }
  let value: unknown;
  try {
    value = JSON.parse(text) as unknown;
  } catch {
    throw new ApiError(400, 'invalid_json', 'body is not valid JSON', [{ path: '(body)', message: 'is not valid JSON' }]);
  }
  return { value, numberIssues: unsafeNumberIssues(text) };
}

/**
 * Reads a JSON request body. Malformed JSON is a 400, an oversized body a 413
 * (never read past the limit); so is, naming the field, any value hookcast
 * could not keep as sent: an integer beyond ±2^53 (JSON.parse would round
 * it), a string with NUL or a lone surrogate, or nesting deeper than
 * MAX_JSON_DEPTH within one top-level field.
 *
 * @example
 * const body = await readJson(c); // unknown, to validate with zod
 */
export async function readJson(c: Context, options: { optional?: boolean } = {}): Promise<unknown> {
  const { value, numberIssues } = await readJsonBody(c, options);
  const issues = [...bodyValueIssues(value), ...numberIssues];
  if (issues.length > 0) throw fieldErrors(issues);
  bodies.set(c.req.raw, value);
  return value;
}

/** Bodies read by readJson, by request: the stream is read once, and the audit trail records the change after the route. */
const bodies = new WeakMap<Request, unknown>();

/** The JSON body a route read with readJson, or undefined. */
export function jsonBodyOf(c: Context): unknown {
  return bodies.get(c.req.raw);
}

/** Value checks of a whole body, each top-level field on its own so a depth issue names that field. */
function bodyValueIssues(value: unknown): FieldIssue[] {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return jsonValueIssues(value, '(body)');
  return Object.entries(value).flatMap(([key, child]) => {
    const path = pathSegment(key);
    const keyProblem = textProblem(key);
    return [...(keyProblem ? [{ path, message: `key ${keyProblem}` }] : []), ...jsonValueIssues(child, path)];
  });
}

const NUMBER = /-?(?:0|[1-9]\d*)(?:\.(\d+))?(?:[eE]([+-]?\d+))?/y;

/** The exact value of a decimal number text when it is an integer; undefined for a fraction. */
function exactInteger(text: string): bigint | undefined {
  const match = /^(-?)(\d+)(?:\.(\d+))?(?:[eE]([+-]?\d+))?$/.exec(text);
  if (!match) return undefined;
  const [, sign, whole, fraction = '', exponent = '0'] = match;
  const digits = (whole! + fraction).replace(/0+$/, '');
  const scale = Number(exponent) - fraction.length + (whole!.length + fraction.length - digits.length);
  if (digits.replace(/^0+/, '') === '') return 0n;
  if (scale < 0) return undefined;
  return BigInt(`${sign}${digits}`) * 10n ** BigInt(scale);
}

/**
 * Why a JSON number token cannot be kept as sent, or undefined. The test is
 * the text's round trip: JSON.parse, then JSON.stringify, must give the same
 * number back. Only integers are judged: a fraction is approximate in every
 * JSON stack anyway, but an id or amount that silently changes is a bug.
 *
 * @example
 * numberTokenProblem('9007199254740993'); // UNSAFE_INTEGER_MESSAGE (comes back as …992)
 * numberTokenProblem('9007199254740992'); // undefined
 * numberTokenProblem('1e400');            // INFINITE_NUMBER_MESSAGE
 */
export function numberTokenProblem(token: string): string | undefined {
  const parsed = Number(token);
  if (!Number.isFinite(parsed)) return INFINITE_NUMBER_MESSAGE;
  // Below 2^53 every integer is exact, so only a huge magnitude can lose digits.
  if (Math.abs(parsed) < 2 ** 53) return undefined;
  const sent = exactInteger(token);
  if (sent === undefined) return undefined;
  return sent === exactInteger(String(parsed)) ? undefined : UNSAFE_INTEGER_MESSAGE;
}

interface Frame {
  array: boolean;
  key: string;
  index: number;
}

function pathOf(stack: readonly Frame[]): string {
  if (stack.length === 0) return '(body)';
  return stack.map((frame) => (frame.array ? String(frame.index) : frame.key)).join('.');
}

/**
 * Finds, in valid JSON text, the number tokens (outside strings) that
 * JSON.parse cannot keep exactly: integers beyond ±2^53 (rounded) and
 * numbers beyond a double's range (Infinity). Each issue names the value's
 * dotted path. Iterative, so any nesting depth is fine; texts without a long
 * digit run or an exponent are skipped at once.
 *
 * @example
 * unsafeNumberIssues('{"users":[{"attributes":{"id":9007199254740993}}]}');
 * // [{ path: 'users.0.attributes.id', message: 'integer beyond ±2^53 cannot be kept exactly …' }]
 */
export function unsafeNumberIssues(text: string, maxIssues = 20): FieldIssue[] {
  if (!/\d{16}|\d[eE]/.test(text)) return [];
  const issues: FieldIssue[] = [];
  const stack: Frame[] = [];
  let expectKey = false;
  let i = 0;
  while (i < text.length && issues.length < maxIssues) {
    const ch = text[i]!;
    if (ch === '"') {
      let end = i + 1;
      while (text[end] !== '"') end += text[end] === '\\' ? 2 : 1;
      if (expectKey) {
        stack[stack.length - 1]!.key = JSON.parse(text.slice(i, end + 1)) as string;
        expectKey = false;
      }
      i = end + 1;
    } else if (ch === '{' || ch === '[') {
      stack.push({ array: ch === '[', key: '', index: 0 });
      expectKey = ch === '{';
      i += 1;
    } else if (ch === '}' || ch === ']') {
      stack.pop();
      expectKey = false;
      i += 1;
    } else if (ch === ',') {
      const top = stack[stack.length - 1]!;
      if (top.array) top.index += 1;
      else expectKey = true;
      i += 1;
    } else if (ch === '-' || (ch >= '0' && ch <= '9')) {
      NUMBER.lastIndex = i;
      const token = NUMBER.exec(text)![0];
      const problem = numberTokenProblem(token);
      if (problem) issues.push({ path: pathOf(stack), message: problem });
      i += token.length;
    } else {
      i += 1;
    }
  }
  return issues;
}

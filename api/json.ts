import type { Context } from 'hono';
import { ApiError } from '../lib/errors.js';

const MAX_BODY_BYTES = 5 * 1024 * 1024;

/** Reads a JSON request body; malformed or oversized JSON is a 400/413, never a 500. */
export async function readJson(c: Context, options: { optional?: boolean } = {}): Promise<unknown> {
  const text = await c.req.text();
  if (text.length > MAX_BODY_BYTES) throw new ApiError(413, 'payload_too_large', `body larger than ${MAX_BODY_BYTES} bytes`);
  if (text.trim() === '') {
    if (options.optional) return {};
    throw new ApiError(400, 'validation_failed', 'a JSON body is required', [{ path: '(body)', message: 'is required' }]);
  }
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new ApiError(400, 'invalid_json', 'body is not valid JSON', [{ path: '(body)', message: 'is not valid JSON' }]);
  }
}

import createClient from 'openapi-fetch';
import type { paths } from './api-schema.js';

export const KEY_STORAGE = 'hookcast.apiKey';

/** Typed from the API's OpenAPI document: a renamed field fails `tsc -p console`. */
export const api = createClient<paths>({ baseUrl: '' });
api.use({
  onRequest({ request }) {
    const key = sessionStorage.getItem(KEY_STORAGE);
    if (key) request.headers.set('authorization', `Bearer ${key}`);
    return request;
  },
  onResponse({ response }) {
    if (response.status === 401) unauthorized();
    // Too many wrong keys from this address: the sign-in screen says so in words, not a bare 429.
    if (response.status === 429 && response.headers.get('retry-after') !== null && new URL(response.url).pathname !== '/api/events') throttled(Number(response.headers.get('retry-after')));
    return response;
  },
});

let unauthorized: () => void = () => undefined;
let throttled: (retryAfterS: number) => void = () => undefined;
/** Calls refused for too many wrong keys (429 with Retry-After) reach `listener`. */
export function onThrottled(listener: (retryAfterS: number) => void): () => void {
  throttled = listener;
  return () => {
    if (throttled === listener) throttled = () => undefined;
  };
}
/** Every call answered 401 (missing, wrong or revoked key) reaches `listener`; the app sends the operator to sign in. */
export function onUnauthorized(listener: () => void): () => void {
  unauthorized = listener;
  return () => {
    if (unauthorized === listener) unauthorized = () => undefined;
  };
}

export interface ApiErrorBody {
  error: string;
  message: string;
  issues?: { path: string; message: string }[];
}

export class ApiFailure extends Error {
  constructor(readonly status: number, readonly body: ApiErrorBody) {
    super(body.message);
  }
}

/** The answer's data, or an ApiFailure carrying the error body (issues name the fields). */
export async function unwrap<T>(call: Promise<{ data?: T; error?: unknown; response: Response }>): Promise<T> {
  const { data, error, response } = await call;
  if (error !== undefined || !response.ok) throw new ApiFailure(response.status, (error ?? { error: 'unknown', message: response.statusText }) as ApiErrorBody);
  return data as T;
}

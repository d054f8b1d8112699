import { OpenAPIHono, type Hook, type RouteConfig } from '@hono/zod-openapi';
import type { Context, Env, MiddlewareHandler } from 'hono';
import { z } from 'zod';
import { validationError } from '../lib/errors.js';
import { readJson } from './json.js';

/*
 * How a route is defined: once, with @hono/zod-openapi. The route's request
 * schemas validate what comes in (defaultHook answers the usual 400), its
 * response schemas describe and type what goes out, and GET /api/openapi.json
 * is generated from the same definitions.
 */

/**
 * Every 4xx/5xx answer (lib/errors.ts ApiError.toJSON). Here rather than in
 * api/openapi.ts: the answer check falls back to it for an error status a route
 * does not list.
 */
const codeParams = z.record(z.string(), z.union([z.string(), z.number()]));
export const errorBodySchema = z
  .strictObject({
    error: z.string(),
    message: z.string(),
    params: codeParams.optional(),
    issues: z
      .array(
        z.strictObject({
          path: z.string(),
          message: z.string().meta({ description: 'English, for people reading the answer.' }),
          code: z.string().meta({ description: 'Stable code to translate (lib/errors.ts ISSUE_CODES; docs/api-errors.md).' }),
          params: codeParams.meta({ description: 'Values the code\'s text needs, e.g. {"maximum": 200} for too_long.' }),
        }),
      )
      .optional(),
    // /readyz's 503 names the failing dependencies.
    checks: z.record(z.string(), z.string()).optional(),
    ready: z.boolean().optional(),
  })
  .meta({ id: 'Error', description: 'Every 4xx/5xx answer. `error` is a stable code (lib/errors.ts API_ERROR_CODES); `issues` names each failing field by its dotted path, with its own code and params.' });

const errorContent = (example: unknown) => ({ 'application/json': { schema: errorBodySchema, example } });

/** The error answers routes list, with an example each. */
export const errors = {
  validation: {
    description: 'Bad input: `validation_failed` (or `invalid_json`) with one issue per failing field; nothing was written.',
    content: errorContent({ error: 'validation_failed', message: 'invalid url', issues: [{ path: 'url', message: 'must be an http(s) URL', code: 'invalid_url', params: {} }] }),
  },
  notFound: { description: 'No such resource (`not_found`).', content: errorContent({ error: 'not_found', message: 'campaign not found', params: { what: 'campaign' } }) },
  unauthorized: {
    description: 'No API key, or an unknown or revoked one (`unauthorized`).',
    content: errorContent({ error: 'unauthorized', message: 'an API key is required: send Authorization: Bearer <key>' }),
  },
  forbidden: { description: 'The key\'s scope does not allow this (`forbidden`).', content: errorContent({ error: 'forbidden', message: 'a read key may only read (GET); POST needs a write key' }) },
  ingestBusy: {
    description: 'Ingestion is at capacity (`ingest_busy`): too many ingest requests running and waiting; `Retry-After` says when to try again.',
    content: errorContent({ error: 'ingest_busy', message: 'ingestion is at capacity (4 running, 16 waiting); retry after 1 s' }),
  },
  throttled: {
    description: 'Too many wrong API keys from this client address (`too_many_failed_attempts`); `Retry-After` says when to try again.',
    content: errorContent({ error: 'too_many_failed_attempts', message: 'too many wrong API keys from this address; try again in 42 s' }),
  },
  conflict: {
    description: 'Refused in the current state (`conflict`, `*_in_use`…), with the reasons as issues.',
    content: errorContent({ error: 'conflict', message: 'cannot launch: channelId is missing', issues: [{ path: 'channelId', message: 'is required to launch', code: 'required_to_launch', params: {} }] }),
  },
} as const;

/** A JSON answer of a route. */
export const json = <S extends z.ZodType>(schema: S, example?: unknown, description = 'OK') => ({
  description,
  content: { 'application/json': { schema, ...(example === undefined ? {} : { example }) } },
});
/** A route's JSON request body, with the example the document shows (api/openapi.ts requestExamples checks it). */
export const body = <S extends z.ZodType>(schema: S, example: unknown, required = true) => ({
  required,
  content: { 'application/json': { schema, example } },
});
export const idParam = z.object({ id: z.string().meta({ description: 'the resource id (uuid)' }) });
export const page = <S extends z.ZodType>(item: S) => z.strictObject({ items: z.array(item), nextCursor: z.string().nullable() });
export const items = <S extends z.ZodType>(item: S) => z.strictObject({ items: z.array(item) });

/** A failed request validation is the API's usual 400: `validation_failed`, one coded issue per failing field. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the hook serves every route, whatever its input and env
export const defaultHook: Hook<any, any, any, any> = (result) => {
  if (!result.success) throw validationError(result.error as z.ZodError);
};

/** A router of `/api/*` routes: OpenAPIHono with the API's validation answer. */
export function apiRouter<E extends Env = Env>() {
  return new OpenAPIHono<E>({ defaultHook });
}

/**
 * Whether every JSON answer is checked against its route's response schema
 * (test/credentials.ts switches it on for every test and every process tests
 * start). Off in production: a drift there would turn a correct-enough answer
 * into a 500.
 */
export const validateResponses = () => process.env.HOOKCAST_VALIDATE_RESPONSES === '1';

/**
 * The body checks every JSON body passes before its schema (api/json.ts
 * readJson: 413 past the size cap, invalid_json, NUL, lone surrogates, integers
 * beyond ±2^53, depth), as 400s naming the field. The body is read once, here:
 * the validator gets the value parsed here, whatever content type the client
 * sent (the API has always read bodies as JSON).
 */
function checkedBody(required: boolean): MiddlewareHandler {
  return async function checkBody(c, next) {
    handOverBody(c, await readJson(c, { optional: !required }));
    await next();
  };
}

/**
 * Gives the route's validator the body as parsed by the body checks. Hono's
 * own c.req.json() would serialise the cached value and parse it again (and a
 * value nested 100,000 levels deep overflows JSON.stringify's stack).
 */
export function handOverBody(c: Context, value: unknown): void {
  c.req.raw.headers.set('content-type', 'application/json');
  c.req.json = (() => Promise.resolve(value)) as typeof c.req.json;
}

/** Raised when an answer does not fit its route's schema (only with validateResponses()). */
export class ResponseDriftError extends Error {
  override name = 'ResponseDriftError';
}

function jsonSchemaOf(response: RouteConfig['responses'][string] | undefined): z.ZodType | undefined {
  const content = response && 'content' in response ? response.content : undefined;
  const media = content?.['application/json'];
  return media && 'schema' in media ? (media.schema as z.ZodType) : undefined;
}

/**
 * Checks the answer against the route's declared response for its status: a
 * status the route does not list (an error status: the common error body), a
 * JSON answer where none is declared, or a body the schema refuses (a field it
 * lacks, a wrong enum value…) is a ResponseDriftError, so the test that got the
 * answer fails with a 500 and the drift is printed.
 */
function checkedAnswer(config: RouteConfig): MiddlewareHandler {
  return async function checkAnswer(c, next) {
    await next();
    const status = c.res.status;
    const declared = config.responses[status] ?? config.responses[String(status)];
    const where = `${config.method.toUpperCase()} ${c.req.routePath} answered ${status}`;
    const isJson = c.res.headers.get('content-type')?.includes('application/json') ?? false;
    const drift = (what: string) => {
      const error = new ResponseDriftError(`${where}: ${what}`);
      console.error(error.message);
      throw error;
    };
    if (!declared && status < 400) drift('a status its route does not declare');
    const schema = declared ? jsonSchemaOf(declared) : errorBodySchema;
    if (!schema) {
      if (isJson) drift('JSON where its route declares no body');
      return;
    }
    // A streamed export is JSON too, read whole here: only tests switch the check on.
    if (!isJson) drift(`${c.res.headers.get('content-type') ?? 'no body'} where its route declares JSON`);
    const body: unknown = await c.res.clone().json();
    const result = schema.safeParse(body);
    if (!result.success) {
      drift(result.error.issues.map((issue) => `${issue.path.join('.') || '(answer)'}: ${issue.code === 'unrecognized_keys' ? `undeclared ${issue.keys.join(', ')}` : issue.message}`).join('; '));
    }
  };
}

/**
 * A route's one definition: its request and answer schemas, plus the body
 * checks before its validation and, in tests, the answer check after it. Give
 * it to `router.openapi(route, handler)`. `readBody` replaces the body checks
 * for a route that checks values item by item (events).
 *
 * @example
 * const getThing = defineRoute({ method: 'get', path: '/{id}', request: { params: idParam }, responses: { 200: json(thingSchema) } });
 * router.openapi(getThing, async (c) => c.json(await things.get(c.req.valid('param').id), 200));
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- a route's own env, whatever it is
export function defineRoute<R extends RouteConfig>(config: R, readBody?: MiddlewareHandler<any>): R {
  const body = config.request?.body;
  const middleware: MiddlewareHandler[] = [
    ...(validateResponses() ? [checkedAnswer(config)] : []),
    ...(body ? [readBody ?? checkedBody(body.required === true)] : []),
  ];
  return { ...config, middleware };
}

import { describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { ApiError } from '../lib/errors.js';
import { apiRouter, body, defineRoute, errors, json } from './contract.js';

/*
 * The answer check tests switch on (test/credentials.ts): a route that answers
 * what its schema does not say fails with a 500 instead of passing quietly.
 */
const thing = z.strictObject({ id: z.string(), status: z.enum(['draft', 'running']) });

function thingApp(answer: () => unknown, status: 200 | 201 = 200) {
  const app = apiRouter();
  const route = defineRoute({
    method: 'post',
    path: '/things',
    request: { body: body(z.strictObject({ name: z.string().max(5) }), { name: 'a' }) },
    responses: { 200: json(thing), 400: errors.validation },
  });
  // @ts-expect-error -- the drift the check catches at run time, though the types would too
  app.openapi(route, (c) => c.json(answer(), status));
  app.onError((error, c) => (error instanceof ApiError ? c.json(error.toJSON(), error.status) : c.json({ error: 'internal', message: 'internal error' }, 500)));
  return app;
}

const post = (app: ReturnType<typeof thingApp>, text = '{"name":"a"}', headers: Record<string, string> = {}) => app.request('/things', { method: 'POST', body: text, headers });

describe('answers checked against their route (HOOKCAST_VALIDATE_RESPONSES=1 in tests)', () => {
  it('is on in tests', () => {
    expect(process.env.HOOKCAST_VALIDATE_RESPONSES).toBe('1');
  });

  it('passes an answer that fits', async () => {
    const res = await post(thingApp(() => ({ id: 't1', status: 'draft' })));
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ id: 't1', status: 'draft' });
  });

  it.each([
    ['a field the schema lacks', { id: 't1', status: 'draft', secret: 'x' }, /undeclared secret/],
    ['a value outside the enum', { id: 't1', status: 'forbidden_address' }, /status: Invalid option/],
    ['a missing field', { status: 'draft' }, /id: Invalid input/],
  ])('fails loudly (500, printed) on %s', async (_, answer, printed) => {
    const log = vi.spyOn(console, 'error').mockImplementation(() => {});
    try {
      const res = await post(thingApp(() => answer));
      expect(res.status).toBe(500);
      expect(log).toHaveBeenCalledWith(expect.stringMatching(printed));
      expect(log.mock.calls[0]![0]).toContain('POST /things answered 200');
    } finally {
      log.mockRestore();
    }
  });

  it('fails on a status the route does not declare', async () => {
    const log = vi.spyOn(console, 'error').mockImplementation(() => {});
    try {
      const res = await post(thingApp(() => ({ id: 't1', status: 'draft' }), 201));
      expect(res.status).toBe(500);
      expect(log.mock.calls[0]![0]).toMatch(/answered 201: a status its route does not declare/);
    } finally {
      log.mockRestore();
    }
  });

  it('validates the request with the usual 400, after the body checks, whatever content type was sent', async () => {
    const app = thingApp(() => ({ id: 't1', status: 'draft' }));
    const tooLong = await post(app, '{"name":"abcdefg"}', { 'content-type': 'text/plain' });
    expect(tooLong.status).toBe(400);
    expect(await tooLong.json()).toEqual({
      error: 'validation_failed',
      message: 'invalid name',
      issues: [{ path: 'name', message: 'Too big: expected string to have <=5 characters', code: 'too_long', params: { maximum: 5 } }],
    });
    const unsafe = await post(app, '{"name":9007199254740993}');
    expect(unsafe.status).toBe(400);
    expect((await unsafe.json()) as unknown).toMatchObject({ issues: [{ path: 'name', code: 'unsafe_integer' }] });
    expect((await post(app, '{"name":')).status).toBe(400);
    expect((await post(app, '')).status).toBe(400);
  });
});

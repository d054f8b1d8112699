import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import fc from 'fast-check';
import { Agent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { channelInputSchema } from '../contracts/channel.js';
import { jsonValueIssues, LONE_SURROGATE_MESSAGE, NUL_MESSAGE } from '../lib/json-values.js';
import { INFINITE_NUMBER_MESSAGE, numberTokenProblem, UNSAFE_INTEGER_MESSAGE, unsafeNumberIssues } from './json.js';

describe('numberTokenProblem', () => {
  it.each([
    ['9007199254740993', UNSAFE_INTEGER_MESSAGE],
    ['-9007199254740993', UNSAFE_INTEGER_MESSAGE],
    ['12345678901234567890', UNSAFE_INTEGER_MESSAGE],
    ['9007199254740993.0', UNSAFE_INTEGER_MESSAGE],
    ['90071992547409930e-1', UNSAFE_INTEGER_MESSAGE],
    ['1e400', INFINITE_NUMBER_MESSAGE],
    ['-1e400', INFINITE_NUMBER_MESSAGE],
    ['9007199254740992', undefined],
    ['9007199254740991', undefined],
    ['1e20', undefined],
    ['1152921504606846976', UNSAFE_INTEGER_MESSAGE], // 2^60 is a double, but comes back as …847000
    ['1152921504606847000', undefined],
    ['0.1000000000000000055511151231257827', undefined],
    ['9007199254740993.5', undefined],
    ['1e-400', undefined],
    ['0', undefined],
  ])('%s → %s', (token, problem) => {
    expect(numberTokenProblem(token)).toBe(problem);
  });
});

describe('unsafeNumberIssues', () => {
  it('names the path of each number JSON.parse would round, and ignores digits inside strings', () => {
    const text = '{"users":[{"loginId":"9007199254740993","attributes":{"a\\"b":9007199254740993,"ok":1e20}},{}],"x":[1,[2,12345678901234567890]]}';
    expect(unsafeNumberIssues(text)).toEqual([
      { path: 'users.0.attributes.a"b', message: UNSAFE_INTEGER_MESSAGE },
      { path: 'x.1.1', message: UNSAFE_INTEGER_MESSAGE },
    ]);
  });

  it('names the body itself for a bare number, and copes with 100,000 levels of nesting', () => {
    expect(unsafeNumberIssues('9007199254740993')).toEqual([{ path: '(body)', message: UNSAFE_INTEGER_MESSAGE }]);
    const deep = `${'['.repeat(100_000)}1e400${']'.repeat(100_000)}`;
    expect(unsafeNumberIssues(deep)).toHaveLength(1);
  });

  it('finds nothing in anything JSON.stringify writes (a double always reads back as itself)', () => {
    fc.assert(fc.property(fc.jsonValue(), (value) => unsafeNumberIssues(JSON.stringify(value)).length === 0), { numRuns: 500 });
  });

  it('finds an inexact integer wherever it is put, by its path', () => {
    const inexact = fc.bigInt({ min: 2n ** 53n + 1n, max: 2n ** 80n }).filter((n) => BigInt(Number(n)) !== n);
    const key = fc.string({ minLength: 1, maxLength: 8 }).filter((k) => !k.includes('.'));
    fc.assert(
      fc.property(fc.array(key, { minLength: 1, maxLength: 6 }), inexact, fc.boolean(), fc.jsonValue({ maxDepth: 2 }), (keys, big, negative, noise) => {
        const marker = '"@@BIG@@"';
        let value: unknown = '@@BIG@@';
        for (const k of [...keys].reverse()) value = { [k]: value, ...(k === 'noise' ? {} : { noise }) };
        const text = JSON.stringify(value).replace(marker, `${negative ? '-' : ''}${big}`);
        expect(unsafeNumberIssues(text)).toEqual([{ path: keys.join('.'), message: UNSAFE_INTEGER_MESSAGE }]);
      }),
      { numRuns: 300 },
    );
  });
});

describe('jsonValueIssues', () => {
  it('names strings and keys with NUL or lone surrogates by their full path', () => {
    expect(jsonValueIssues({ a: ['ok', 'x\u0000'], 'k\ud800': 1, pair: '🎁\u200f' }, 'properties')).toEqual([
      { path: 'properties.a.1', message: NUL_MESSAGE },
      { path: 'properties.k\\ud800', message: `key ${LONE_SURROGATE_MESSAGE}` },
    ]);
  });

  it('counts the value itself as level 1 and stops at the limit without walking further', () => {
    let value: unknown = 'x\u0000';
    for (let i = 0; i < 100_000; i += 1) value = [value];
    expect(jsonValueIssues(value, 'p')).toEqual([{ path: 'p', message: 'must not nest deeper than 32 levels' }]);
    expect(jsonValueIssues([[1]], 'p', { maxDepth: 2 })).toEqual([]);
    expect(jsonValueIssues([[[1]]], 'p', { maxDepth: 2 })).toHaveLength(1);
  });
});

describe('channel header values against what undici really sends', () => {
  let server: Server;
  let url: string;
  const dispatcher = new Agent();

  beforeAll(async () => {
    server = createServer((req, res) => res.end('ok'));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  });
  afterAll(async () => {
    await dispatcher.close();
    await new Promise((resolve) => server.close(resolve));
  });

  async function undiciSends(name: string, value: string): Promise<boolean> {
    try {
      const res = await request(url, { method: 'POST', headers: { [name]: value, 'content-type': 'application/json' }, body: '{}', dispatcher });
      await res.body.text();
      return true;
    } catch {
      return false;
    }
  }

  function schemaAccepts(name: string, value: string): boolean {
    return channelInputSchema.safeParse({ name: 'c', url, auth: { type: 'none' }, headers: { [name]: value } }).success;
  }

  it('accepts a value exactly when undici can build the request with it', async () => {
    const value = fc.oneof(fc.string({ unit: 'binary', maxLength: 20 }), fc.string({ unit: 'grapheme-ascii', maxLength: 20 }), fc.constantFrom('中文值', 'a\u0000b', 'Café', 'a\tb', 'a\r\nb'));
    await fc.assert(
      fc.asyncProperty(value, async (v) => {
        expect(schemaAccepts('X-Value', v)).toBe(await undiciSends('X-Value', v));
      }),
      { numRuns: 200 },
    );
  });

  it('refuses every name undici refuses, and every connection-level header', async () => {
    await fc.assert(
      fc.asyncProperty(fc.string({ unit: 'binary-ascii', minLength: 1, maxLength: 12 }), async (name) => {
        if (!(await undiciSends(name, 'x'))) expect(schemaAccepts(name, 'x')).toBe(false);
      }),
      { numRuns: 200 },
    );
    for (const name of ['Expect', 'Upgrade', 'Keep-Alive', 'Transfer-Encoding']) {
      expect(await undiciSends(name, 'x')).toBe(false);
      expect(schemaAccepts(name, 'x')).toBe(false);
    }
  });
});

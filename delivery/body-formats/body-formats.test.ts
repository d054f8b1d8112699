import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { bodyFormats } from '../../contracts/body-formats.js';
import { batchWebhookIdFor, webhookIdFor } from '../ids.js';
import { bodyFormat } from './index.js';

const channel = {
  name: 'c',
  url: 'http://127.0.0.1:9/hook',
  method: 'POST' as const,
  headers: {},
  auth: { type: 'none' as const },
  timeoutMs: 1000,
  userAttributeParams: [],
  templateParams: [],
};

describe('body formats', () => {
  it('registers one module per format, under its own name', () => {
    for (const format of bodyFormats) expect(bodyFormat(format).format).toBe(format);
  });

  it('standard: one user per request, keyed by that user (and delivery key)', () => {
    const standard = bodyFormat('standard');
    expect(standard.usersPerRequest({ batchSize: 50 })).toBe(1);
    expect(standard.webhookId('r', [{ userId: 'u', deliveryKey: 'k' }])).toBe(webhookIdFor('r', 'u', 'k'));
    const request = standard.build({ channel: { ...channel, format: 'standard' }, payloads: [{ userid: 'u-1' }], templateValues: {}, webhookId: 'msg_1', timestamp: new Date(0) });
    expect(JSON.parse(request.body!)).toEqual({ userid: 'u-1' });
    expect(() => standard.build({ channel: { ...channel, format: 'standard' }, payloads: [{}, {}], templateValues: {}, webhookId: 'msg_1', timestamp: new Date(0) })).toThrow(/exactly one user/);
  });

  it('growingio: the channel batch size per request, keyed by all its users', () => {
    const gio = bodyFormat('growingio');
    expect(gio.usersPerRequest({ batchSize: 50 })).toBe(50);
    expect(gio.webhookId('r', [{ userId: 'a', deliveryKey: '' }, { userId: 'b', deliveryKey: 'k' }])).toBe(batchWebhookIdFor('r', ['a', 'b:k']));
    const request = gio.build({ channel: { ...channel, format: 'growingio' }, payloads: [{ userid: 'a' }, { userid: 'b' }], templateValues: { amount: 1 }, webhookId: 'msg_2', timestamp: new Date(0) });
    expect(JSON.parse(request.body!)).toMatchObject({ name: 'c', templateParam: { amount: 1 }, userAttr: [{ userid: 'a' }, { userid: 'b' }] });
  });

  it('is the only place that branches on a format', () => {
    const root = join(import.meta.dirname, '../..');
    const skip = new Set(['node_modules', '.data', 'dist', '.git', 'migrations', 'histories']);
    const walk = (dir: string): string[] =>
      readdirSync(dir).flatMap((name) => {
        if (skip.has(name) || name.startsWith('dist.')) return [];
        const path = join(dir, name);
        if (statSync(path).isDirectory()) return walk(path);
        return /\.tsx?$/.test(name) && !name.endsWith('.test.ts') && !name.endsWith('.d.ts') ? [path] : [];
      });
    const branching = walk(root).filter((path) => /format\s*[!=]==?\s*['"](standard|growingio)['"]|case\s+['"](standard|growingio)['"]/.test(readFileSync(path, 'utf8')));
    expect(branching.map((path) => relative(root, path))).toEqual([]);
  });
});

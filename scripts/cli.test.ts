import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { credentialKeyUsage } from '../channels/credentials.js';
import { channels } from '../db/schema.js';
import { createApiKeyStore } from '../access/api-keys.js';
import { TEST_SECRET_KEYS } from '../test/credentials.js';
import { useTestDatabase } from '../test/database.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const testDb = useTestDatabase();
const run = promisify(execFile);

async function cli(script: string, args: string[], env: Record<string, string> = {}) {
  try {
    const { stdout, stderr } = await run(process.execPath, ['--import', 'tsx', `scripts/${script}.ts`, ...args], { cwd: root, env: { ...process.env, DATABASE_URL: testDb.url, ...env } });
    return { code: 0, out: stdout + stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, out: failed.stdout + failed.stderr };
  }
}

describe('npm run apikey', () => {
  it('creates a key shown once, lists it by prefix, revokes it', async () => {
    const created = await cli('apikey', ['create', '--name', 'ops', '--scope', 'write']);
    expect(created.code).toBe(0);
    const key = created.out.match(/^(hk_\S+)$/m)![1]!;
    const keys = createApiKeyStore(testDb.db);
    expect(await keys.verify(key)).toMatchObject({ name: 'ops', scope: 'write' });
    const listed = await cli('apikey', ['list']);
    expect(listed.out).toContain(`${key.slice(0, 12)}…  write   active  ops`);
    expect(listed.out).not.toContain(key);
    expect((await cli('apikey', ['revoke', key.slice(0, 12)])).code).toBe(0);
    expect(await keys.verify(key)).toBeNull();
    const bad = await cli('apikey', ['create', '--name', 'x', '--scope', 'root']);
    expect(bad.code).toBe(1);
    expect(bad.out).toContain('--scope');
    expect((await cli('apikey', ['frobnicate'])).code).toBe(2);
  }, 60_000);
});

describe('npm run rotate-key', () => {
  it('re-encrypts every credential under the first key of SECRET_KEYS and names the keys no longer used', async () => {
    await testDb.db.insert(channels).values({ name: 'r', url: 'https://r.example/', auth: { type: 'basic', username: 'u', password: 'rotate-me' } });
    const fresh = (await cli('rotate-key', ['--new-key'])).out.trim();
    expect(fresh).toMatch(/^k[0-9a-f]+:[A-Za-z0-9+/]{43}=$/);
    const rotated = await cli('rotate-key', [], { SECRET_KEYS: `${fresh},${TEST_SECRET_KEYS}` });
    expect(rotated.code).toBe(0);
    const newId = fresh.split(':')[0]!;
    expect(rotated.out).toContain(`re-encrypted the credentials of 1 channel(s) under key ${newId}`);
    expect(rotated.out).toContain('no stored value uses key(s) ktest any more');
    expect(rotated.out).not.toContain(fresh.split(':')[1]!);
    expect(Object.fromEntries(await credentialKeyUsage(testDb.db))).toEqual({ [newId]: 1 });
  }, 60_000);
});

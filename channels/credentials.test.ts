import { sql } from 'drizzle-orm';
import { afterEach, describe, expect, it } from 'vitest';
import { channels } from '../db/schema.js';
import { resetProcessKeyring } from '../lib/secret-box.js';
import { useTestDatabase } from '../test/database.js';
import { TEST_SECRET_KEYS } from '../test/credentials.js';
import { credentialKeyUsage, resealCredentials } from './credentials.js';

const testDb = useTestDatabase();
const NEW_KEY = `knew:${Buffer.alloc(32, 7).toString('base64')}`;
const SECRET = `whsec_${Buffer.alloc(32, 3).toString('base64')}`;

afterEach(() => {
  process.env.SECRET_KEYS = TEST_SECRET_KEYS;
  resetProcessKeyring();
});

describe('re-sealing stored credentials', () => {
  it('seals plaintext left by older versions, and moves every value to a new key while the old one still opens them', async () => {
    // As an older version wrote it: plaintext in the jsonb.
    await testDb.sql`INSERT INTO channels (name, url, auth) VALUES ('legacy', 'https://a.example/', ${JSON.stringify({ type: 'basic', username: 'u', password: 'legacy-pass' })}::jsonb)`;
    await testDb.db.insert(channels).values({ name: 'sealed', url: 'https://b.example/', auth: { type: 'secret', secret: SECRET, previous: { secret: SECRET, until: new Date(Date.now() + 60_000).toISOString() } } });
    expect(Object.fromEntries(await credentialKeyUsage(testDb.db))).toEqual({ plaintext: 1, ktest: 2 });
    // Read as it is until sealed.
    const legacy = await testDb.db.select().from(channels).where(sql`name = 'legacy'`);
    expect(legacy[0]!.auth).toEqual({ type: 'basic', username: 'u', password: 'legacy-pass' });

    expect(await resealCredentials(testDb.db, 'ktest')).toBe(1);
    expect(Object.fromEntries(await credentialKeyUsage(testDb.db))).toEqual({ ktest: 3 });
    expect(JSON.stringify(await testDb.sql`SELECT auth FROM channels`)).not.toContain('legacy-pass');

    // Rotation: the new key first, the old one still in the ring.
    process.env.SECRET_KEYS = `${NEW_KEY},${TEST_SECRET_KEYS}`;
    resetProcessKeyring();
    expect(await resealCredentials(testDb.db, 'knew')).toBe(2);
    expect(Object.fromEntries(await credentialKeyUsage(testDb.db))).toEqual({ knew: 3 });
    expect(await resealCredentials(testDb.db, 'knew')).toBe(0);
    // The old key can go: everything opens with the new one alone.
    process.env.SECRET_KEYS = NEW_KEY;
    resetProcessKeyring();
    const rows = await testDb.db.select().from(channels).orderBy(channels.name);
    expect(rows.map((r) => r.auth)).toEqual([
      { type: 'basic', username: 'u', password: 'legacy-pass' },
      { type: 'secret', secret: SECRET, previous: { secret: SECRET, until: expect.any(String) } },
    ]);
  });
});

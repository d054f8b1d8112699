import { eq, sql } from 'drizzle-orm';
import type { Database } from '../db/client.js';
import { channels } from '../db/schema.js';

/*
 * Re-writing stored credentials: reading a channel's auth opens it with
 * whatever key sealed it, writing it seals it under the keyring's current key
 * (db/schema/sealed-auth.ts). So re-writing is how plaintext left by older
 * versions gets sealed, and how values move to a new key.
 */

/** Key ids (or 'plaintext') of every stored credential, with how many values each seals. */
export async function credentialKeyUsage(db: Database): Promise<Map<string, number>> {
  const rows = await db.execute<{ key_id: string; n: number }>(sql`
    SELECT coalesce(v->>'keyId', 'plaintext') AS key_id, count(*)::int AS n
    FROM channels, LATERAL (VALUES (auth->'secret'), (auth->'password'), (auth->'previous'->'secret')) AS x(v)
    WHERE v IS NOT NULL AND v <> 'null'::jsonb
    GROUP BY 1`);
  return new Map(rows.map((r) => [r.key_id, Number(r.n)]));
}

/** Re-seals the credentials of channels not yet sealed under `currentKeyId` (all of them when absent). Answers how many channels changed. */
export async function resealCredentials(db: Database, currentKeyId: string): Promise<number> {
  const stale = await db
    .select({ id: channels.id })
    .from(channels)
    .where(sql`coalesce(${channels.auth}->'secret'->>'keyId', ${channels.auth}->'password'->>'keyId', '') <> ${currentKeyId}
      AND ${channels.auth}->>'type' <> 'none'
      OR coalesce(${channels.auth}->'previous'->'secret'->>'keyId', ${currentKeyId}) <> ${currentKeyId}`);
  for (const { id } of stale) {
    await db.transaction(async (tx) => {
      const [row] = await tx.select({ auth: channels.auth }).from(channels).where(eq(channels.id, id)).for('update');
      if (row) await tx.update(channels).set({ auth: row.auth }).where(eq(channels.id, id));
    });
  }
  return stale.length;
}

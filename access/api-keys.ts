import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { and, asc, eq, isNull } from 'drizzle-orm';
import { z } from 'zod';
import type { Database } from '../db/client.js';
import { apiKeys, apiKeyScopes, type ApiKeyScope } from '../db/schema.js';
import { notFound } from '../lib/errors.js';
import { isUuid } from '../lib/ids.js';

/*
 * API keys. A key is `hk_` and 43 random base64url characters (256 bits); only
 * its SHA-256 is stored (a slow password hash buys nothing for random keys),
 * beside its first PREFIX_LENGTH characters so operators can tell keys apart
 * and a lookup finds its few candidates, which are then compared in constant time.
 */

export const PREFIX_LENGTH = 12;
/** A registered key (generated or from HOOKCAST_API_KEY) is at least this long. */
export const MIN_KEY_LENGTH = 32;

export type { ApiKeyScope };

export interface ApiKeyInfo {
  id: string;
  name: string;
  scope: ApiKeyScope;
  prefix: string;
  createdAt: string;
  revokedAt: string | null;
}

const hashOf = (key: string) => createHash('sha256').update(key, 'utf8').digest('hex');

export function generateApiKey(): string {
  return `hk_${randomBytes(32).toString('base64url')}`;
}

export const apiKeyInputSchema = z.strictObject({
  name: z.string().trim().min(1, 'is required').max(100),
  scope: z.enum(apiKeyScopes, { error: 'must be one of "read", "ingest", "write", "admin"' }),
});

function present(row: typeof apiKeys.$inferSelect): ApiKeyInfo {
  return {
    id: row.id,
    name: row.name,
    scope: row.scope,
    prefix: row.prefix,
    createdAt: row.createdAt.toISOString(),
    revokedAt: row.revokedAt?.toISOString() ?? null,
  };
}

export function createApiKeyStore(db: Database) {
  /** Creates a key; the answer is the only time the key itself is seen. */
  /** A key apiKeyInputSchema has validated. */
  async function create(input: z.infer<typeof apiKeyInputSchema>): Promise<ApiKeyInfo & { key: string }> {
    const key = generateApiKey();
    const [row] = await db
      .insert(apiKeys)
      .values({ ...input, prefix: key.slice(0, PREFIX_LENGTH), keyHash: hashOf(key) })
      .returning();
    return { ...present(row!), key };
  }

  /**
   * Registers a key chosen elsewhere (HOOKCAST_API_KEY) as an admin key, once:
   * a key already known, even revoked, is left as it is, so a revocation sticks
   * across restarts. Answers whether it was added.
   */
  async function register(key: string, name: string): Promise<boolean> {
    if (key.length < MIN_KEY_LENGTH) throw new Error(`${name} must be at least ${MIN_KEY_LENGTH} characters`);
    const rows = await db
      .insert(apiKeys)
      .values({ name, scope: 'admin', prefix: key.slice(0, PREFIX_LENGTH), keyHash: hashOf(key) })
      .onConflictDoNothing({ target: apiKeys.keyHash })
      .returning({ id: apiKeys.id });
    return rows.length > 0;
  }

  async function list(): Promise<ApiKeyInfo[]> {
    return (await db.select().from(apiKeys).orderBy(asc(apiKeys.createdAt), asc(apiKeys.id))).map(present);
  }

  async function count(): Promise<number> {
    return (await db.select({ id: apiKeys.id }).from(apiKeys)).length;
  }

  /** Revokes a key by id or by its visible prefix; the next request with it is refused. */
  async function revoke(idOrPrefix: string): Promise<ApiKeyInfo> {
    const where = isUuid(idOrPrefix) ? eq(apiKeys.id, idOrPrefix) : eq(apiKeys.prefix, idOrPrefix);
    const found = await db.select().from(apiKeys).where(where);
    if (found.length !== 1) throw notFound('api key');
    const [row] = await db
      .update(apiKeys)
      .set({ revokedAt: found[0]!.revokedAt ?? new Date() })
      .where(eq(apiKeys.id, found[0]!.id))
      .returning();
    return present(row!);
  }

  /** The live key a presented value matches, or null. Read on every request, so a revocation applies at once. */
  async function verify(presented: string): Promise<{ id: string; name: string; scope: ApiKeyScope } | null> {
    if (presented.length < MIN_KEY_LENGTH || presented.length > 512) return null;
    const candidates = await db
      .select({ id: apiKeys.id, name: apiKeys.name, scope: apiKeys.scope, keyHash: apiKeys.keyHash })
      .from(apiKeys)
      .where(and(eq(apiKeys.prefix, presented.slice(0, PREFIX_LENGTH)), isNull(apiKeys.revokedAt)));
    const hash = Buffer.from(hashOf(presented), 'hex');
    let match: (typeof candidates)[number] | null = null;
    for (const candidate of candidates) {
      if (timingSafeEqual(hash, Buffer.from(candidate.keyHash, 'hex'))) match = candidate;
    }
    return match && { id: match.id, name: match.name, scope: match.scope };
  }

  return { create, register, list, count, revoke, verify };
}

export type ApiKeyStore = ReturnType<typeof createApiKeyStore>;

export const apiKeyHash = hashOf;

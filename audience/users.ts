import { eq, sql } from 'drizzle-orm';
import { z } from 'zod';
import type { RecipientProfile } from '../webhook/user.js';
import type { Database } from '../db/client.js';
import { users, type UserAttributes, type UserRow } from '../db/schema.js';
import { notFound, validationError } from '../lib/errors.js';
import { isUuid } from '../lib/ids.js';
import { settleAttributeTypes, type AttributeEntry } from './attributes.js';
import { recordAttributeCatalog } from './catalog.js';
import { inTransactionWithRetry, type Transaction } from './executor.js';
import { identifyWithin } from './identify.js';
import { attributeKeySchema, hasUserKey, userKeyRequired, userKeySchema } from '../contracts/names.js';

export const MAX_USER_BATCH = 1000;
export const MAX_ATTRIBUTES = 100;

const attributeValue = z.union([z.string().max(1000, 'must be at most 1000 characters'), z.number(), z.boolean()], {
  error: 'must be a string, number, boolean or ISO 8601 date string',
});

const attributesSchema = z
  .record(attributeKeySchema, attributeValue)
  .refine((attributes) => Object.keys(attributes).length <= MAX_ATTRIBUTES, `at most ${MAX_ATTRIBUTES} attributes per user`);

export const userInputSchema = z
  .strictObject({
    loginId: userKeySchema.optional(),
    visitorId: userKeySchema.optional(),
    attributes: attributesSchema.default({}),
  })
  .refine(hasUserKey, userKeyRequired);
export type UserInput = z.infer<typeof userInputSchema>;

export const userBatchSchema = z.strictObject({
  users: z
    .array(userInputSchema)
    .min(1, 'must list at least one user')
    .max(MAX_USER_BATCH, `at most ${MAX_USER_BATCH} users per request`),
});

/**
 * Reads `POST /api/users`: one user object, or `{ users: [...] }` with up to
 * 1,000. Error paths are `attributes.x` for one user and `users.3.attributes.x`
 * for a batch.
 *
 * @example
 * parseUserUpsert({ loginId: 'u-42', attributes: { vip_level: 'gold' } }); // { batch: false, items: [...] }
 */
export function parseUserUpsert(body: unknown): { batch: boolean; items: UserInput[] } {
  const batch = !!body && typeof body === 'object' && !Array.isArray(body) && 'users' in body;
  if (batch) {
    const parsed = userBatchSchema.safeParse(body);
    if (!parsed.success) throw validationError(parsed.error);
    return { batch, items: parsed.data.users };
  }
  const parsed = userInputSchema.safeParse(body);
  if (!parsed.success) throw validationError(parsed.error);
  return { batch, items: [parsed.data] };
}

/** The key a user is upserted by: the login id when given, else the visitor id. */
function upsertKey(item: UserInput): { column: 'login' | 'visitor'; value: string } {
  return item.loginId !== undefined ? { column: 'login', value: item.loginId } : { column: 'visitor', value: item.visitorId! };
}

/** Items sharing a key fold into one row (later values win): one statement may not touch a row twice. */
function foldByKey(items: readonly UserInput[], column: 'login' | 'visitor'): { key: string; attributes: UserAttributes }[] {
  const folded = new Map<string, UserAttributes>();
  for (const item of items) {
    const key = upsertKey(item);
    if (key.column !== column) continue;
    folded.set(key.value, { ...folded.get(key.value), ...(item.attributes as UserAttributes) });
  }
  // Sorted so concurrent batches lock rows in the same order.
  return [...folded].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([key, attributes]) => ({ key, attributes }));
}

async function upsertByKey(tx: Transaction, column: 'login' | 'visitor', rows: { key: string; attributes: UserAttributes }[]) {
  if (rows.length === 0) return [];
  const target = column === 'login' ? users.loginId : users.visitorId;
  return tx
    .insert(users)
    .values(rows.map((row) => (column === 'login' ? { loginId: row.key, attributes: row.attributes } : { visitorId: row.key, attributes: row.attributes })))
    .onConflictDoUpdate({
      target,
      // Merge: attributes not sent keep their values.
      set: { attributes: sql`users.attributes || excluded.attributes`, updatedAt: sql`now()` },
    })
    .returning();
}

/** Type-checks every attribute of the write and swaps in normalised values (dates). */
async function checkAttributes(tx: Transaction, items: UserInput[], batch: boolean): Promise<UserInput[]> {
  const entries: AttributeEntry[] = items.flatMap((item, index) =>
    Object.entries(item.attributes).map(([key, value]) => ({
      path: `${batch ? `users.${index}.` : ''}attributes.${key}`,
      key,
      value,
    })),
  );
  const { values, issues } = await settleAttributeTypes(tx, entries);
  if (issues.length > 0) throw validationError(undefined, undefined, issues);
  let next = 0;
  return items.map((item) => ({
    ...item,
    attributes: Object.fromEntries(Object.keys(item.attributes).map((key) => [key, values[next++]!])),
  }));
}

/**
 * Upserts users by login id (or visitor id when there is none), merging
 * attributes into what is stored, and notes the keys and a few values in the
 * catalog (audience/catalog.ts), all in one transaction: a type mismatch
 * anywhere writes nothing. A user given both ids is first identified (the
 * visitor merged into the login user, see identifyWithin).
 *
 * @example
 * const rows = await upsertUsers(db, [{ loginId: 'u-42', attributes: { vip_level: 'gold' } }]);
 */
export async function upsertUsers(db: Database, items: UserInput[], options: { batch?: boolean } = {}): Promise<UserRow[]> {
  return inTransactionWithRetry(db, async function upsertInTransaction(tx) {
    const checked = await checkAttributes(tx, items, options.batch ?? items.length > 1);
    for (const item of checked) {
      if (item.loginId !== undefined && item.visitorId !== undefined) {
        await identifyWithin(tx, { loginId: item.loginId, visitorId: item.visitorId });
      }
    }
    const byLogin = new Map((await upsertByKey(tx, 'login', foldByKey(checked, 'login'))).map((row) => [row.loginId!, row]));
    const byVisitor = new Map((await upsertByKey(tx, 'visitor', foldByKey(checked, 'visitor'))).map((row) => [row.visitorId!, row]));
    const rows = checked.map((item) => {
      const key = upsertKey(item);
      return (key.column === 'login' ? byLogin : byVisitor).get(key.value)!;
    });
    await recordAttributeCatalog(
      tx,
      checked.map((item, index) => ({ userId: rows[index]!.id, loginId: rows[index]!.loginId, visitorId: rows[index]!.visitorId, attributes: item.attributes as UserAttributes })),
    );
    return rows;
  });
}

/**
 * One user by internal id; a malformed id is a 404 like an unknown one.
 *
 * @example
 * const user = await getUser(db, '7f0c…');
 */
export async function getUser(db: Database, id: string): Promise<UserRow> {
  if (!isUuid(id)) throw notFound('user');
  const [row] = await db.select().from(users).where(eq(users.id, id));
  if (!row) throw notFound('user');
  return row;
}

/**
 * A user as the API shows it.
 *
 * @example
 * presentUser(row); // { id, loginId, visitorId, attributes, createdAt, updatedAt }
 */
export function presentUser(row: UserRow) {
  return {
    id: row.id,
    loginId: row.loginId,
    visitorId: row.visitorId,
    attributes: row.attributes,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}

/**
 * Finds a user by login id, visitor id or internal id, in that order of preference.
 *
 * @example
 * await findUser(db, 'u-42'); // { id, loginId: 'u-42', visitorId: null, attributes }
 */
export async function findUser(db: Database, key: string): Promise<RecipientProfile | undefined> {
  const byId = isUuid(key) ? sql`OR id = ${key}::uuid` : sql``;
  const [row] = await db.execute<{ id: string; login_id: string | null; visitor_id: string | null; attributes: Record<string, unknown> }>(sql`
    SELECT id, login_id, visitor_id, attributes FROM users
    WHERE login_id = ${key} OR visitor_id = ${key} ${byId}
    ORDER BY (login_id = ${key}) DESC NULLS LAST, (visitor_id = ${key}) DESC NULLS LAST
    LIMIT 1`);
  return row ? { id: row.id, loginId: row.login_id, visitorId: row.visitor_id, attributes: row.attributes } : undefined;
}

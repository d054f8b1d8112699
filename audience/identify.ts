import { asc, eq, or } from 'drizzle-orm';
import { z } from 'zod';
import type { Database } from '../db/client.js';
import { attributeExamples, events, users, type UserRow } from '../db/schema.js';
import { validationError } from '../lib/errors.js';
import { inTransactionWithRetry, type Transaction } from './executor.js';
import { userKeySchema } from '../contracts/names.js';

export const identifyInputSchema = z.strictObject({ visitorId: userKeySchema, loginId: userKeySchema });
export type IdentifyInput = z.infer<typeof identifyInputSchema>;

export interface IdentifyResult {
  user: UserRow;
  /** The anonymous user folded into `user`, now deleted; null when nothing was merged. */
  mergedUserId: string | null;
}

/**
 * Links a visitor id to a login id inside an open transaction:
 * - both known as different users, the visitor anonymous: the visitor's events
 *   move to the login user, attributes merge (the login user's values win),
 *   the visitor user is deleted and its visitor id moves over;
 * - the visitor id belongs to another logged-in user (a shared device): only the
 *   visitor id moves, each user keeps its own history;
 * - only one known: the other id is added to it; neither: a user with both.
 * A user holds one visitor id, so the login user's previous one is replaced by
 * the latest device.
 *
 * @example
 * await db.transaction((tx) => identifyWithin(tx, { visitorId: 'v-1', loginId: 'u-42' }));
 */
export async function identifyWithin(tx: Transaction, input: IdentifyInput): Promise<IdentifyResult> {
  const { visitorId, loginId } = input;
  // Locked in id order, the same order event ingestion locks in, so the two never deadlock.
  const rows = await tx
    .select()
    .from(users)
    .where(or(eq(users.loginId, loginId), eq(users.visitorId, visitorId)))
    .orderBy(asc(users.id))
    .for('update');
  const login = rows.find((row) => row.loginId === loginId);
  const visitor = rows.find((row) => row.visitorId === visitorId);

  async function update(id: string, set: Partial<UserRow>): Promise<UserRow> {
    const [row] = await tx.update(users).set({ ...set, updatedAt: new Date() }).where(eq(users.id, id)).returning();
    return row!;
  }

  async function releaseVisitorId(owner: UserRow): Promise<void> {
    // The owner keeps its login id, so the identity CHECK still holds.
    await tx.update(users).set({ visitorId: null, updatedAt: new Date() }).where(eq(users.id, owner.id));
  }

  if (login && visitor && login.id === visitor.id) return { user: login, mergedUserId: null };

  if (login && visitor && visitor.loginId === null) {
    await tx.update(events).set({ userId: login.id }).where(eq(events.userId, visitor.id));
    // The visitor's example values in the catalog are now the login user's data: erasing that user removes them.
    await tx.update(attributeExamples).set({ userId: login.id }).where(eq(attributeExamples.userId, visitor.id));
    await tx.delete(users).where(eq(users.id, visitor.id));
    const user = await update(login.id, { visitorId, attributes: { ...visitor.attributes, ...login.attributes } });
    return { user, mergedUserId: visitor.id };
  }

  if (visitor && visitor.loginId !== null) await releaseVisitorId(visitor);

  if (login) return { user: await update(login.id, { visitorId }), mergedUserId: null };
  if (visitor && visitor.loginId === null) return { user: await update(visitor.id, { loginId }), mergedUserId: null };

  const [user] = await tx.insert(users).values({ loginId, visitorId }).returning();
  return { user: user!, mergedUserId: null };
}

/**
 * `POST /api/users/identify`: validates `{ visitorId, loginId }` and links them
 * in one transaction (retried if a concurrent writer created one of the users).
 *
 * @example
 * const { user, mergedUserId } = await identify(db, { visitorId: 'v-1', loginId: 'u-42' });
 */
export async function identify(db: Database, body: unknown): Promise<IdentifyResult> {
  const parsed = identifyInputSchema.safeParse(body);
  if (!parsed.success) throw validationError(parsed.error);
  return identifyValid(db, parsed.data);
}

/** Links a pair identifyInputSchema has validated (POST /api/users/identify). */
export async function identifyValid(db: Database, input: IdentifyInput): Promise<IdentifyResult> {
  return inTransactionWithRetry(db, (tx) => identifyWithin(tx, input));
}

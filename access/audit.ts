import { and, desc, eq, lt, type SQL } from 'drizzle-orm';
import type { Database } from '../db/client.js';
import { auditEvents } from '../db/schema.js';
import { fieldErrors } from '../lib/errors.js';
import type { JsonValue } from '../lib/json-values.js';

/*
 * The audit trail: who (an API key's id and name, as they were then) did what
 * (AuditAction) to which object, when, with what change (the request's fields,
 * secrets masked). Kept in PostgreSQL, read with `GET /api/audit` (admin) and on
 * the console's audit screen. Anything that changes operator-visible state may
 * record into it with recordAudit, inside its own transaction or after it.
 */

/** What was done. `erased`: a user's data removed on request (issue 21). */
export const auditActions = ['created', 'changed', 'launched', 'paused', 'resumed', 'cancelled', 'triggered', 'rotated', 'deleted', 'revoked', 'erased'] as const;
export type AuditAction = (typeof auditActions)[number];

/** Who did it: the key of the request, or a named local tool (`npm run apikey`) with no key. */
export type AuditActor = { keyId: string; name: string } | { keyId: null; name: string };

export interface AuditEntry {
  actor: AuditActor;
  action: AuditAction;
  /** `channel`, `segment`, `campaign`, `api_key`, `user`… */
  targetType: string;
  targetId?: string | null;
  targetName?: string | null;
  /** The change as it was asked for; masked here (maskSecrets) before it is kept. */
  change?: unknown;
}

const MASK = '********';
/** Field names whose values are credentials wherever they appear in a change. */
const SECRET_FIELD = /secret|password|passwd|token|^key$|authorization|signature|credential|api[-_]?key/i;

/**
 * A copy of `value` with every credential masked: fields named like one
 * (secret, password, token, key…) and the values of channel headers named like one.
 *
 * @example
 * maskSecrets({ auth: { type: 'basic', username: 'bob', password: 'pw' } }); // { auth: { type: 'basic', username: 'bob', password: '********' } }
 */
export function maskSecrets(value: unknown, depth = 0): unknown {
  if (depth > 20) return MASK;
  if (Array.isArray(value)) return value.map((v) => maskSecrets(v, depth + 1));
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [name, v] of Object.entries(value)) {
    if (SECRET_FIELD.test(name) && v !== null && v !== undefined && typeof v !== 'boolean') out[name] = MASK;
    else if (name === 'headers' && v && typeof v === 'object' && !Array.isArray(v)) {
      out[name] = Object.fromEntries(Object.entries(v).map(([h, hv]) => [h, /key|token|secret|auth|pass|sign|cookie/i.test(h) ? MASK : hv]));
    } else out[name] = maskSecrets(v, depth + 1);
  }
  return out;
}

/** Anything that can run an insert: the database or a transaction of it. */
type Executor = Pick<Database, 'insert'>;

/**
 * Records one audited action. Call it with the transaction that made the
 * change when there is one, so both are kept or neither.
 *
 * @example
 * await recordAudit(tx, { actor: { keyId: key.id, name: key.name }, action: 'erased', targetType: 'user', targetId: userId });
 */
export async function recordAudit(db: Executor, entry: AuditEntry): Promise<void> {
  await db.insert(auditEvents).values({
    actorKeyId: entry.actor.keyId,
    actorName: entry.actor.name,
    action: entry.action,
    targetType: entry.targetType,
    targetId: entry.targetId ?? null,
    targetName: entry.targetName ?? null,
    change: entry.change === undefined ? null : maskSecrets(entry.change),
  });
}

const PAGE_MAX = 500;

/** One page of the trail, newest first; `cursor` is the last id seen, `targetType`/`targetId` narrow it to one object. */
export async function listAudit(db: Database, query: { cursor?: string; limit?: string; targetType?: string; targetId?: string }) {
  const issues = [];
  const cursor = query.cursor === undefined ? undefined : Number(query.cursor);
  if (cursor !== undefined && (!Number.isSafeInteger(cursor) || cursor < 1)) issues.push({ path: 'cursor', message: 'must be a cursor from a previous page' });
  const limit = query.limit === undefined ? 100 : Number(query.limit);
  if (!Number.isSafeInteger(limit) || limit < 1 || limit > PAGE_MAX) issues.push({ path: 'limit', message: `must be 1 to ${PAGE_MAX}` });
  if (issues.length > 0) throw fieldErrors(issues);
  const where: SQL[] = [];
  if (cursor !== undefined) where.push(lt(auditEvents.id, cursor));
  if (query.targetType) where.push(eq(auditEvents.targetType, query.targetType));
  if (query.targetId) where.push(eq(auditEvents.targetId, query.targetId));
  const rows = await db
    .select()
    .from(auditEvents)
    .where(and(...where))
    .orderBy(desc(auditEvents.id))
    .limit(limit + 1);
  const items = rows.slice(0, limit).map((row) => ({
    id: String(row.id),
    at: row.at.toISOString(),
    actor: { keyId: row.actorKeyId, name: row.actorName },
    // Written by recordAudit only, from an AuditAction and a JSON body.
    action: row.action as AuditAction,
    target: { type: row.targetType, id: row.targetId, name: row.targetName },
    change: row.change as JsonValue,
  }));
  return { items, nextCursor: rows.length > limit ? items[items.length - 1]!.id : null };
}

import { sql } from 'drizzle-orm';
import type { Transaction } from './executor.js';

/** How an event names its user: by login id when it has one, else by visitor id. */
export interface UserReference {
  loginId?: string;
  visitorId?: string;
}

export interface ResolvedUsers {
  byLogin: Map<string, string>;
  byVisitor: Map<string, string>;
}

const MAX_ROUNDS = 3;

function referenceKeys(references: readonly UserReference[]) {
  const logins = new Set<string>();
  const visitors = new Set<string>();
  for (const ref of references) {
    if (ref.loginId !== undefined) logins.add(ref.loginId);
    else if (ref.visitorId !== undefined) visitors.add(ref.visitorId);
  }
  return { logins: [...logins], visitors: [...visitors] };
}

/**
 * Finds users by login id / visitor id and locks them FOR KEY SHARE until the
 * transaction ends, so an identify cannot delete one before its events are
 * inserted. Rows are locked in id order, like identify locks them.
 */
async function lookup(tx: Transaction, logins: string[], visitors: string[], into: ResolvedUsers): Promise<void> {
  const rows = await tx.execute<{ id: string; login_id: string | null; visitor_id: string | null }>(sql`
    SELECT id, login_id, visitor_id FROM users
    WHERE login_id = ANY (ARRAY(SELECT jsonb_array_elements_text(${JSON.stringify(logins)}::jsonb)))
       OR visitor_id = ANY (ARRAY(SELECT jsonb_array_elements_text(${JSON.stringify(visitors)}::jsonb)))
    ORDER BY id
    FOR KEY SHARE`);
  const wantedLogins = new Set(logins);
  const wantedVisitors = new Set(visitors);
  for (const row of rows) {
    if (row.login_id !== null && wantedLogins.has(row.login_id)) into.byLogin.set(row.login_id, row.id);
    if (row.visitor_id !== null && wantedVisitors.has(row.visitor_id)) into.byVisitor.set(row.visitor_id, row.id);
  }
}

/** One multi-row insert of the users nobody has seen yet; existing ones are left alone. */
async function createMissing(tx: Transaction, logins: string[], visitors: string[]): Promise<void> {
  const rows = [
    ...logins.map((login_id) => ({ login_id, visitor_id: null })),
    ...visitors.map((visitor_id) => ({ login_id: null, visitor_id })),
  ];
  await tx.execute(sql`
    INSERT INTO users (login_id, visitor_id)
    SELECT login_id, visitor_id FROM jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) AS k(login_id text, visitor_id text)
    ORDER BY login_id, visitor_id
    ON CONFLICT DO NOTHING`);
}

/**
 * Maps every referenced login id / visitor id to a user id, creating unknown
 * users with one multi-row insert. Known users cost one query. If a concurrent
 * identify deleted a user between the insert and the lookup, the lookup runs
 * again (the id now resolves to the merged user).
 *
 * @example
 * const { byLogin } = await resolveUsers(tx, [{ loginId: 'u-42' }, { visitorId: 'v-9' }]);
 */
export async function resolveUsers(tx: Transaction, references: readonly UserReference[]): Promise<ResolvedUsers> {
  const resolved: ResolvedUsers = { byLogin: new Map(), byVisitor: new Map() };
  let { logins, visitors } = referenceKeys(references);
  await lookup(tx, logins, visitors, resolved);
  for (let round = 0; round < MAX_ROUNDS; round += 1) {
    logins = logins.filter((key) => !resolved.byLogin.has(key));
    visitors = visitors.filter((key) => !resolved.byVisitor.has(key));
    if (logins.length === 0 && visitors.length === 0) return resolved;
    await createMissing(tx, logins, visitors);
    await lookup(tx, logins, visitors, resolved);
  }
  throw new Error('could not resolve event users after repeated concurrent changes');
}

/**
 * The user id an event reference resolved to.
 *
 * @example
 * userIdOf(resolved, { visitorId: 'v-9' }); // '5d1e…'
 */
export function userIdOf(resolved: ResolvedUsers, ref: UserReference): string {
  const id = ref.loginId !== undefined ? resolved.byLogin.get(ref.loginId) : resolved.byVisitor.get(ref.visitorId!);
  if (id === undefined) throw new Error('event user was not resolved');
  return id;
}

import { eq, sql, type SQL } from 'drizzle-orm';
import type { Executor } from '../audience/executor.js';
import { segments } from '../db/schema.js';
import { isUuid } from '../lib/ids.js';
import { compileSegment, memberPredicate } from './compile.js';
import type { SegmentRule } from '../contracts/segment-rule.js';

/** What campaigns need of a stored segment. */
export interface Segment {
  id: string;
  name: string;
  rule: SegmentRule;
  timeZone: string;
}

/**
 * The member query of a rule at an instant: rows of `user_id`, one statement,
 * every rule value a bound parameter. Meant to be embedded, e.g. to freeze a
 * campaign's audience in one statement:
 *
 * @example
 * const members = segmentMembersQuery(segment.rule, { timeZone: segment.timeZone, at: new Date() });
 * await tx.execute(sql`INSERT INTO run_recipients (run_id, seq, user_id)
 *   SELECT ${runId}, row_number() OVER (ORDER BY u.id), u.id
 *   FROM (${members}) m JOIN users u ON u.id = m.user_id`);
 */
export function segmentMembersQuery(rule: SegmentRule, options: { timeZone: string; at: Date }): SQL {
  return compileSegment(rule, options);
}

/**
 * Whether one user is a member at `at` (for event-triggered campaigns). The
 * rule's conditions run for that user only: each event condition is an index
 * probe on (user_id, name, occurred_at). A malformed user id is not a member.
 *
 * @example
 * if (await isSegmentMember(db, { rule: segment.rule, timeZone: segment.timeZone, userId, at: new Date() })) { … }
 */
export async function isSegmentMember(
  db: Executor,
  options: { rule: SegmentRule; timeZone: string; userId: string; at: Date },
): Promise<boolean> {
  if (!isUuid(options.userId)) return false;
  const predicate = memberPredicate(options.rule, { at: options.at, timeZone: options.timeZone });
  const [row] = await db.execute<{ member: boolean }>(
    sql`SELECT EXISTS (SELECT 1 FROM users u WHERE u.id = ${options.userId}::uuid AND ${predicate}) AS member`,
  );
  return row?.member === true;
}

/**
 * A stored segment, or undefined when no segment has this id (a malformed id
 * included).
 *
 * @example
 * const segment = await getSegment(db, campaign.segmentId);
 * if (!segment) throw new Error('segment deleted');
 */
export async function getSegment(db: Executor, id: string): Promise<Segment | undefined> {
  if (!isUuid(id)) return undefined;
  const [row] = await db
    .select({ id: segments.id, name: segments.name, rule: segments.rule, timeZone: segments.timeZone })
    .from(segments)
    .where(eq(segments.id, id));
  return row;
}

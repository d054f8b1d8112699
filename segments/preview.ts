import { sql } from 'drizzle-orm';
import type { Executor } from '../audience/executor.js';
import { memberPredicate, type TimeContext } from './compile.js';
import type { SegmentRule } from '../contracts/segment-rule.js';

export const SAMPLE_SIZE = 20;

export interface SegmentPreview {
  count: number;
  sample: { id: string; loginId: string | null; visitorId: string | null }[];
  /** Members a campaign addressing login ids would skip. */
  missingLoginId: number;
  /** Members a campaign addressing visitor ids would skip. */
  missingVisitorId: number;
}

/**
 * Counts a rule's members at an instant, with a sample of 20 (by id) and how
 * many lack each identity, in one statement over one snapshot.
 *
 * @example
 * const { count, sample } = await previewSegment(db, rule, { at: new Date(), timeZone: 'Asia/Shanghai' });
 */
export async function previewSegment(db: Executor, rule: SegmentRule, ctx: TimeContext): Promise<SegmentPreview> {
  const [row] = await db.execute<{
    count: number;
    missing_login_id: number;
    missing_visitor_id: number;
    sample: SegmentPreview['sample'];
  }>(sql`
    WITH m AS MATERIALIZED (
      SELECT u.id, u.login_id, u.visitor_id FROM users u WHERE ${memberPredicate(rule, ctx)}
    )
    SELECT
      count(*)::int AS count,
      (count(*) FILTER (WHERE login_id IS NULL))::int AS missing_login_id,
      (count(*) FILTER (WHERE visitor_id IS NULL))::int AS missing_visitor_id,
      (SELECT coalesce(json_agg(json_build_object('id', s.id, 'loginId', s.login_id, 'visitorId', s.visitor_id) ORDER BY s.id), '[]'::json)
         FROM (SELECT id, login_id, visitor_id FROM m ORDER BY id LIMIT ${SAMPLE_SIZE}::int) s) AS sample
    FROM m`);
  return {
    count: row!.count,
    sample: row!.sample,
    missingLoginId: row!.missing_login_id,
    missingVisitorId: row!.missing_visitor_id,
  };
}

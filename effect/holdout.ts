import { createHash } from 'node:crypto';
import { sql, type SQL, type SQLWrapper } from 'drizzle-orm';
import type { FrozenHoldout } from '../contracts/goal.js';

/*
 * Who is held out (the control group), decided by a hash of campaign, draw
 * and user: the same user is held out in every run of a campaign, and a
 * retry, a restart or a replay decides the same way, until the operator asks
 * for a new draw. PostgreSQL decides it where recipients are inserted (an
 * audience freeze, an event run's claim of firings); the TypeScript twin
 * exists so tests can prove both agree and predict who must never be sent.
 *
 * The hash is MD5 (stable across PostgreSQL versions and in node:crypto,
 * unlike hashtext) of `<campaign id>:<draw>:<user id>` with ids as lower-case
 * uuid text; its first 32 bits modulo 10,000 give a bucket, and a user is
 * held out when the bucket is below percent × 100.
 */

/** The hold-out of one campaign as the decision needs it. */
export interface HoldoutDraw extends FrozenHoldout {
  campaignId: string;
}

const BUCKETS = 10_000;

/**
 * The user's bucket, 0 to 9,999.
 *
 * @example
 * holdoutBucket({ campaignId: '6f1c…', draw: 1 }, '0b5e…'); // 4821
 */
export function holdoutBucket(draw: Pick<HoldoutDraw, 'campaignId' | 'draw'>, userId: string): number {
  const digest = createHash('md5').update(`${draw.campaignId.toLowerCase()}:${draw.draw}:${userId.toLowerCase()}`).digest();
  return digest.readUInt32BE(0) % BUCKETS;
}

/**
 * Whether the user is in the campaign's control group.
 *
 * @example
 * isHeldOut({ campaignId, draw: 1, percent: 10 }, userId); // true for about one user in ten
 */
export function isHeldOut(draw: HoldoutDraw, userId: string): boolean {
  return holdoutBucket(draw, userId) < draw.percent * (BUCKETS / 100);
}

/**
 * The same decision as a boolean SQL expression on a uuid column or
 * expression (`userIdExpr`); campaign id, draw and threshold are bound
 * parameters. Use it in the INSERT … SELECT that records recipients:
 *
 * @example
 * sql`CASE WHEN u.login_id IS NULL THEN 'skipped'
 *          WHEN ${heldOutSql(draw, sql`u.id`)} THEN 'held_out' ELSE 'pending' END`
 */
export function heldOutSql(draw: HoldoutDraw, userIdExpr: SQLWrapper): SQL {
  const key = `${draw.campaignId.toLowerCase()}:${draw.draw}:`;
  // The first 8 hex digits are the first 32 bits; bit(32) → bigint keeps them unsigned.
  return sql`((('x' || substr(md5(${key}::text || (${userIdExpr})::text), 1, 8))::bit(32)::bigint % ${BUCKETS}) < ${Math.round(draw.percent * (BUCKETS / 100))})`;
}

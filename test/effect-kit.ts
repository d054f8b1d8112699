import { sql } from 'drizzle-orm';
import { events } from '../db/schema.js';
import type { TestDatabase } from './database.js';

/*
 * What the effect tests compute on their own, from the run's rows and the
 * events they generate, to compare with the API's answer.
 */

export interface MeasuredRecipient {
  seq: number;
  userId: string;
  loginId: string | null;
  status: string;
  /** Success time of a sent user, "would have been sent" time of a held-out one. */
  start: Date | null;
}

/** A run's recipients with their window starts, as the test reads them from PostgreSQL. */
export async function recipientsOf(database: TestDatabase, runId: string): Promise<MeasuredRecipient[]> {
  const rows = await database.db.execute<{ seq: number; user_id: string; login_id: string | null; status: string; last_attempt_at: string | null; held_out_at: string | null }>(sql`
    SELECT r.seq, r.user_id, u.login_id, r.status, r.last_attempt_at, r.held_out_at
    FROM run_recipients r LEFT JOIN users u ON u.id = r.user_id WHERE r.run_id = ${runId} ORDER BY r.seq`);
  return rows.map((r) => ({
    seq: r.seq,
    userId: r.user_id,
    loginId: r.login_id,
    status: r.status,
    start: r.status === 'succeeded' && r.last_attempt_at ? new Date(r.last_attempt_at) : r.status === 'held_out' && r.held_out_at ? new Date(r.held_out_at) : null,
  }));
}

export interface GeneratedEvent {
  userId: string;
  name: string;
  at: Date;
  properties: Record<string, unknown>;
}

/** Inserts generated events in chunks (one statement per 5,000). */
export async function insertGenerated(database: TestDatabase, list: readonly GeneratedEvent[]): Promise<void> {
  for (let i = 0; i < list.length; i += 5000) {
    await database.db.insert(events).values(list.slice(i, i + 5000).map((e) => ({ userId: e.userId, name: e.name, occurredAt: e.at, properties: e.properties })));
  }
}

export interface ExpectedGroup {
  users: number;
  conversions: number;
  value: number;
  /** Conversions per curve bucket (first goal event's delay). */
  curve: number[];
}

/** The goal the tests use most: an `order` with a numeric amount of at least 100. */
export const orderOf100 = (e: GeneratedEvent) => e.name === 'order' && typeof e.properties.amount === 'number' && e.properties.amount >= 100;

/**
 * The groups' figures computed from the test's own events: a recipient
 * converts on its first goal event (`isGoal`) in [start, start + within).
 */
export function expectedFigures(recipients: readonly MeasuredRecipient[], generated: readonly GeneratedEvent[], withinMs: number, isGoal = orderOf100, buckets = 60) {
  const byUser = new Map<string, GeneratedEvent[]>();
  for (const e of generated) byUser.set(e.userId, [...(byUser.get(e.userId) ?? []), e]);
  const group = (): ExpectedGroup => ({ users: 0, conversions: 0, value: 0, curve: new Array<number>(buckets).fill(0) });
  const sent = group();
  const control = group();
  for (const r of recipients) {
    if (!r.start) continue;
    const g = r.status === 'succeeded' ? sent : control;
    g.users += 1;
    const start = r.start.getTime();
    const hits = (byUser.get(r.userId) ?? []).filter((e) => isGoal(e) && e.at.getTime() >= start && e.at.getTime() < start + withinMs);
    if (hits.length === 0) continue;
    g.conversions += 1;
    g.value += hits.reduce((n, e) => n + (typeof e.properties.amount === 'number' ? e.properties.amount : 0), 0);
    const first = Math.min(...hits.map((e) => e.at.getTime()));
    g.curve[Math.min(buckets - 1, Math.floor((first - start) / (withinMs / buckets)))]! += 1;
  }
  return { sent, control };
}

/** Cumulative rates of a group's curve, as the API answers them. */
export function cumulativeRates(group: ExpectedGroup): number[] {
  let running = 0;
  return group.curve.map((n) => {
    running += n;
    return running / group.users;
  });
}

/**
 * Which of `members` (sorted by user id) convert, for a conversion
 * probability p: systematic sampling, so exactly round(n · p) of them do
 * and the realised rate is p within 1/n, whoever the hash holds out.
 */
export function converters<T>(members: readonly T[], p: number): Set<T> {
  const chosen = new Set<T>();
  members.forEach((m, k) => {
    if (Math.floor((k + 1) * p) > Math.floor(k * p)) chosen.add(m);
  });
  return chosen;
}

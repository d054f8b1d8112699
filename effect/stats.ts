import { errorFunction } from 'simple-statistics';
import type { GroupCounts } from '../contracts/effect-figures.js';

/*
 * The statistics of a campaign's effect, pure (docs/goals.md names the
 * formulae and references):
 *
 * - each group's conversion rate with its Wilson score interval
 *   (Wilson 1927; method 3 of Newcombe 1998a);
 * - the difference of the rates (sent − control) with Newcombe's hybrid
 *   score interval, built from the two Wilson intervals (method 10 of
 *   Newcombe 1998b);
 * - the relative uplift (difference / control rate);
 * - the two-sided p-value of the pooled two-proportion z test.
 */

/** The standard normal quantile of 0.975: a two-sided 95 % interval. */
export const Z_95 = 1.959963984540054;

export interface Interval {
  low: number;
  high: number;
}

/**
 * Wilson's score interval for x successes out of n; null when n is 0.
 *
 *   centre = (x + z²/2) / (n + z²),  half = z / (n + z²) · √(x(n − x)/n + z²/4)
 *
 * @example
 * wilsonInterval(81, 263); // { low: 0.2553…, high: 0.3662… } (Newcombe 1998a, Table I)
 */
export function wilsonInterval(x: number, n: number, z = Z_95): Interval | null {
  if (n <= 0) return null;
  const z2 = z * z;
  const centre = (x + z2 / 2) / (n + z2);
  const half = (z / (n + z2)) * Math.sqrt((x * (n - x)) / n + z2 / 4);
  // Rounding can leave 1e-17 outside [0, 1] at x = 0 or x = n.
  return { low: Math.max(0, centre - half), high: Math.min(1, centre + half) };
}

/**
 * Newcombe's hybrid score interval for p1 − p2 (x1/n1 − x2/n2), from the
 * Wilson intervals (l1, u1) and (l2, u2):
 *
 *   low  = d − √((p1 − l1)² + (u2 − p2)²),  high = d + √((u1 − p1)² + (p2 − l2)²)
 *
 * null when either group is empty.
 *
 * @example
 * newcombeInterval(56, 70, 48, 80); // { low: 0.0524…, high: 0.3339… } (Newcombe 1998b, Table II)
 */
export function newcombeInterval(x1: number, n1: number, x2: number, n2: number, z = Z_95): Interval | null {
  const w1 = wilsonInterval(x1, n1, z);
  const w2 = wilsonInterval(x2, n2, z);
  if (!w1 || !w2) return null;
  const p1 = x1 / n1;
  const p2 = x2 / n2;
  const d = p1 - p2;
  return {
    low: d - Math.sqrt((p1 - w1.low) ** 2 + (w2.high - p2) ** 2),
    high: d + Math.sqrt((w1.high - p1) ** 2 + (p2 - w2.low) ** 2),
  };
}

/**
 * The pooled two-proportion z test of p1 = p2, two-sided:
 *
 *   p̂ = (x1 + x2)/(n1 + n2),  z = (p1 − p2) / √(p̂(1 − p̂)(1/n1 + 1/n2)),  p = erfc(|z|/√2)
 *
 * null when a group is empty; p = 1 when nobody or everybody converted (no
 * difference can show).
 *
 * @example
 * twoProportionTest(70, 1000, 50, 1000); // { z: 1.880…, pValue: 0.0601… }
 */
export function twoProportionTest(x1: number, n1: number, x2: number, n2: number): { z: number; pValue: number } | null {
  if (n1 <= 0 || n2 <= 0) return null;
  const pooled = (x1 + x2) / (n1 + n2);
  const variance = pooled * (1 - pooled) * (1 / n1 + 1 / n2);
  if (variance <= 0) return { z: 0, pValue: 1 };
  const z = (x1 / n1 - x2 / n2) / Math.sqrt(variance);
  // erfc(x) = 1 − erf(x); the approximation's error is below 1.2e-7 (Numerical Recipes' erfcc).
  return { z, pValue: Math.min(1, Math.max(0, 1 - errorFunction(Math.abs(z) / Math.SQRT2))) };
}

/** One group's raw figures (contracts/effect-figures.ts: db/schema stores them). */
export type { GroupCounts };

export interface GroupSummary {
  users: number;
  conversions: number;
  /** conversions / users; null for an empty group. */
  rate: number | null;
  /** 95 % Wilson interval of the rate. */
  interval: Interval | null;
  value: number | null;
  valuePerUser: number | null;
}

export interface EffectSummary {
  sent: GroupSummary;
  control: GroupSummary | null;
  /** Sent minus control, with its 95 % Newcombe interval; null without a (non-empty) control group. */
  difference: { rate: number; interval: Interval; relativeUplift: number | null; pValue: number } | null;
  /** Cumulative conversion rate per group at the end of each bucket of time since send. */
  curve: { afterMs: number; sent: number | null; control: number | null }[];
}

/** Adds another run's counts to a total (curves bucket by bucket). */
export function addCounts(total: GroupCounts, more: GroupCounts): GroupCounts {
  const curve = total.curve.length >= more.curve.length ? [...total.curve] : [...more.curve];
  const shorter = total.curve.length >= more.curve.length ? more.curve : total.curve;
  shorter.forEach((n, i) => (curve[i]! += n));
  return {
    users: total.users + more.users,
    conversions: total.conversions + more.conversions,
    value: total.value === null && more.value === null ? null : (total.value ?? 0) + (more.value ?? 0),
    curve,
  };
}

export function emptyCounts(buckets: number): GroupCounts {
  return { users: 0, conversions: 0, value: null, curve: new Array<number>(buckets).fill(0) };
}

function group(counts: GroupCounts): GroupSummary {
  const { users, conversions, value } = counts;
  return {
    users,
    conversions,
    rate: users > 0 ? conversions / users : null,
    interval: wilsonInterval(conversions, users),
    value,
    valuePerUser: value !== null && users > 0 ? value / users : null,
  };
}

function cumulative(counts: GroupCounts): (number | null)[] {
  let running = 0;
  return counts.curve.map((n) => {
    running += n;
    return counts.users > 0 ? running / counts.users : null;
  });
}

/**
 * The answer an operator reads: each group's rate and interval, the
 * difference with its interval, the relative uplift and the p-value, and the
 * two cumulative curves.
 *
 * @example
 * summarizeEffect({ sent: { users: 9000, conversions: 630, value: null, curve }, control: { users: 1000, conversions: 50, value: null, curve: c2 }, bucketMs: 60_000 });
 * // difference.rate 0.02, relativeUplift 0.4
 */
export function summarizeEffect(input: { sent: GroupCounts; control: GroupCounts | null; bucketMs: number }): EffectSummary {
  const sent = group(input.sent);
  const control = input.control ? group(input.control) : null;
  let difference: EffectSummary['difference'] = null;
  if (control && sent.rate !== null && control.rate !== null) {
    const interval = newcombeInterval(sent.conversions, sent.users, control.conversions, control.users)!;
    const test = twoProportionTest(sent.conversions, sent.users, control.conversions, control.users)!;
    const rate = sent.rate - control.rate;
    difference = { rate, interval, relativeUplift: control.rate > 0 ? rate / control.rate : null, pValue: test.pValue };
  }
  const sentCurve = cumulative(input.sent);
  const controlCurve = input.control ? cumulative(input.control) : [];
  const length = Math.max(sentCurve.length, controlCurve.length);
  const curve = Array.from({ length }, (_, i) => ({ afterMs: (i + 1) * input.bucketMs, sent: sentCurve[i] ?? null, control: controlCurve[i] ?? null }));
  return { sent, control, difference, curve };
}

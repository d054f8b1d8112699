import { describe, expect, it } from 'vitest';
import { addCounts, newcombeInterval, summarizeEffect, twoProportionTest, wilsonInterval } from './stats.js';

/** Equal to three decimals, as published figures are compared. */
function expectClose(actual: number, published: number) {
  expect(Math.abs(actual - published)).toBeLessThan(0.0005);
}

describe('Wilson score interval', () => {
  // Newcombe RG (1998a), Two-sided confidence intervals for the single proportion: comparison of seven
  // methods. Statistics in Medicine 17:857–872, Table I, method 3 (score, no continuity correction).
  const published: [number, number, number, number][] = [
    [81, 263, 0.2553, 0.3662],
    [15, 148, 0.0624, 0.1605],
    [0, 20, 0.0, 0.1611],
    [1, 29, 0.0061, 0.1718],
  ];
  it.each(published)('%i/%i matches Newcombe 1998a to three decimals', (x, n, low, high) => {
    const interval = wilsonInterval(x, n)!;
    expectClose(interval.low, low);
    expectClose(interval.high, high);
  });

  it('stays inside [0, 1] at the edges and has none for an empty group', () => {
    expect(wilsonInterval(0, 5)!.low).toBe(0);
    expect(wilsonInterval(5, 5)!.high).toBe(1);
    expect(wilsonInterval(0, 0)).toBeNull();
  });
});

describe('Newcombe hybrid score interval for a difference', () => {
  // Newcombe RG (1998b), Interval estimation for the difference between independent proportions:
  // comparison of eleven methods. Statistics in Medicine 17:873–890, Table II, method 10.
  const published: [number, number, number, number, number, number][] = [
    [56, 70, 48, 80, 0.0524, 0.3339],
    [9, 10, 3, 10, 0.1705, 0.809],
    [5, 56, 0, 29, -0.0381, 0.1926],
    [0, 10, 0, 20, -0.1611, 0.2775],
    [0, 10, 0, 10, -0.2775, 0.2775],
    [10, 10, 0, 20, 0.6791, 1.0],
    [10, 10, 0, 10, 0.6075, 1.0],
  ];
  it.each(published)('%i/%i − %i/%i matches Newcombe 1998b to three decimals', (x1, n1, x2, n2, low, high) => {
    const interval = newcombeInterval(x1, n1, x2, n2)!;
    expectClose(interval.low, low);
    expectClose(interval.high, high);
  });

  it('is null without both groups', () => {
    expect(newcombeInterval(1, 10, 0, 0)).toBeNull();
  });
});

describe('two-proportion z test', () => {
  it('answers the textbook z and p for 70/1000 against 50/1000', () => {
    // p̂ = 0.06, SE = √(0.06·0.94·(2/1000)) = 0.010621, z = 0.02 / SE = 1.8831, two-sided p = 0.0597.
    const test = twoProportionTest(70, 1000, 50, 1000)!;
    expect(test.z).toBeCloseTo(1.8831, 3);
    expect(test.pValue).toBeCloseTo(0.0597, 3);
  });

  it('gives p = 1 when nobody converted and a tiny p for a huge difference', () => {
    expect(twoProportionTest(0, 100, 0, 100)).toEqual({ z: 0, pValue: 1 });
    expect(twoProportionTest(900, 1000, 100, 1000)!.pValue).toBeLessThan(1e-6);
  });
});

/** mulberry32: a small seeded generator, so the simulation is the same on every run. */
function seeded(seed: number) {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('coverage of the 95 % interval for the difference', () => {
  it('covers the true uplift in 93–97 % of 2,000 simulated campaigns (control 5 %, sent 7 %, 10 % held out of 10,000)', () => {
    const random = seeded(20);
    const binomial = (n: number, p: number) => {
      let x = 0;
      for (let i = 0; i < n; i++) if (random() < p) x += 1;
      return x;
    };
    const CAMPAIGNS = 2000;
    const truth = 0.07 - 0.05;
    let covered = 0;
    for (let i = 0; i < CAMPAIGNS; i++) {
      const interval = newcombeInterval(binomial(9000, 0.07), 9000, binomial(1000, 0.05), 1000)!;
      if (interval.low <= truth && truth <= interval.high) covered += 1;
    }
    const coverage = covered / CAMPAIGNS;
    expect(coverage).toBeGreaterThanOrEqual(0.93);
    expect(coverage).toBeLessThanOrEqual(0.97);
  });
});

describe('the operator\'s summary', () => {
  it('gives rates, intervals, the difference, uplift and cumulative curves', () => {
    const summary = summarizeEffect({
      sent: { users: 9000, conversions: 630, value: 63_000, curve: [300, 200, 130] },
      control: { users: 1000, conversions: 50, value: 4_000, curve: [20, 20, 10] },
      bucketMs: 60_000,
    });
    expect(summary.sent.rate).toBeCloseTo(0.07, 10);
    expect(summary.control!.rate).toBeCloseTo(0.05, 10);
    expect(summary.difference!.rate).toBeCloseTo(0.02, 10);
    expect(summary.difference!.relativeUplift).toBeCloseTo(0.4, 10);
    expect(summary.difference!.interval).toEqual(newcombeInterval(630, 9000, 50, 1000));
    expect(summary.sent.valuePerUser).toBeCloseTo(7, 10);
    expect(summary.curve.map((p) => p.afterMs)).toEqual([60_000, 120_000, 180_000]);
    expect(summary.curve.at(-1)).toMatchObject({ sent: 630 / 9000, control: 50 / 1000 });
    expect(summary.curve[0]!.sent).toBeCloseTo(300 / 9000, 10);
  });

  it('has no difference without a control group, and adds runs bucket by bucket', () => {
    expect(summarizeEffect({ sent: { users: 10, conversions: 1, value: null, curve: [1] }, control: null, bucketMs: 1000 }).difference).toBeNull();
    const total = addCounts({ users: 5, conversions: 2, value: null, curve: [1, 1] }, { users: 3, conversions: 1, value: 10, curve: [0, 1] });
    expect(total).toEqual({ users: 8, conversions: 3, value: 10, curve: [1, 2] });
  });
});

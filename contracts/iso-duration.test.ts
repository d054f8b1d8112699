import { describe, expect, it } from 'vitest';
import { isoDurationMs } from './iso-duration.js';

describe('isoDurationMs', () => {
  it('reads fixed-length ISO 8601 durations', () => {
    expect(isoDurationMs('P1D')).toBe(86_400_000);
    expect(isoDurationMs('P1W')).toBe(7 * 86_400_000);
    expect(isoDurationMs('PT24H')).toBe(86_400_000);
    expect(isoDurationMs('PT1H30M')).toBe(5_400_000);
    expect(isoDurationMs('P1DT12H')).toBe(36 * 3_600_000);
    expect(isoDurationMs('PT90S')).toBe(90_000);
    expect(isoDurationMs('PT30M')).toBe(1_800_000);
    expect(isoDurationMs('P1DT1H1M1S')).toBe(90_061_000);
    expect(isoDurationMs('PT0S')).toBe(0);
  });

  it('refuses calendar units, empty designators and other shapes', () => {
    for (const bad of ['P', 'PT', 'P1DT', 'P1M', 'P1Y', 'p1d', '1D', 'P1.5D', 'P-1D', 'PT1H ', 'P1H', '', 'PT1.5S', '-PT1S', 'pt1s', 'T1H']) {
      expect(isoDurationMs(bad), bad).toBeUndefined();
    }
  });
});

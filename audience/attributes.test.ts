import { beforeEach, describe, expect, it } from 'vitest';
import { useTestDatabase } from '../test/database.js';
import { coerceAttributeValue, inferAttributeType, loadAttributeTypes, settleAttributeTypes } from './attributes.js';
import { isIsoDay, normalizeIsoDate, parseIsoInstant } from '../contracts/dates.js';
import { clearAudience } from './fixtures.js';

const testDb = useTestDatabase();
beforeEach(() => clearAudience(testDb.db));

describe('ISO dates', () => {
  it.each([
    ['2024-02-29', '2024-02-29'],
    ['1990-12-31', '1990-12-31'],
    ['2026-03-01T08:00:00+08:00', '2026-03-01T00:00:00.000Z'],
    ['2026-03-01T08:00Z', '2026-03-01T08:00:00.000Z'],
    ['2026-03-01T08:00:00.123456-05:30', '2026-03-01T13:30:00.123Z'],
  ])('normalises %s to %s', (input, expected) => {
    expect(normalizeIsoDate(input)).toBe(expected);
  });

  it.each(['2023-02-29', '2026-04-31', '2026-13-01', '2026-03-01T24:00:00Z', '2026-03-01T08:00:00', '01/03/2026', 'gold', '2026-3-1'])(
    'refuses %s',
    (input) => {
      expect(normalizeIsoDate(input)).toBeUndefined();
    },
  );

  it('tells days from instants', () => {
    expect(isIsoDay('2024-02-29')).toBe(true);
    expect(isIsoDay('2024-02-29T00:00:00Z')).toBe(false);
    expect(parseIsoInstant('2024-02-29')).toBeUndefined();
    expect(parseIsoInstant('2026-03-01T00:30:00+08:00')?.toISOString()).toBe('2026-02-28T16:30:00.000Z');
  });
});

describe('attribute types', () => {
  it('infers the type of a first value', () => {
    expect([inferAttributeType('gold'), inferAttributeType(3), inferAttributeType(false), inferAttributeType('1990-02-28')]).toEqual([
      'string',
      'number',
      'boolean',
      'date',
    ]);
  });

  it('accepts a date-looking string under a string key unchanged, and normalises it under a date key', () => {
    expect(coerceAttributeValue('string', '2026-03-01T08:00:00+08:00')).toEqual({ value: '2026-03-01T08:00:00+08:00' });
    expect(coerceAttributeValue('date', '2026-03-01T08:00:00+08:00')).toEqual({ value: '2026-03-01T00:00:00.000Z' });
    expect(coerceAttributeValue('date', 'soon')).toHaveProperty('problem');
    expect(coerceAttributeValue('number', '3')).toHaveProperty('problem');
  });

  it('records the first type per key and checks later values against it', async () => {
    const first = await testDb.db.transaction((tx) =>
      settleAttributeTypes(tx, [
        { path: 'users.0.attributes.vip_level', key: 'vip_level', value: 'gold' },
        { path: 'users.0.attributes.birthday', key: 'birthday', value: '1990-02-28' },
        { path: 'users.1.attributes.vip_level', key: 'vip_level', value: 3 },
      ]),
    );
    expect(first.issues).toEqual([{ path: 'users.1.attributes.vip_level', message: expect.stringMatching(/^must be a string/) }]);
    expect(await loadAttributeTypes(testDb.db, ['vip_level', 'birthday', 'unknown'])).toEqual(
      new Map([
        ['vip_level', 'string'],
        ['birthday', 'date'],
      ]),
    );
    const later = await testDb.db.transaction((tx) =>
      settleAttributeTypes(tx, [
        { path: 'attributes.birthday', key: 'birthday', value: '1990-02-28T23:00:00-02:00' },
        { path: 'attributes.vip_level', key: 'vip_level', value: true },
      ]),
    );
    expect(later.values).toEqual(['1990-03-01T01:00:00.000Z', true]);
    expect(later.issues.map((issue) => issue.path)).toEqual(['attributes.vip_level']);
  });
});

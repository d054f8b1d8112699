import { sql } from 'drizzle-orm';
import type { AttributeType } from '../db/schema.js';
import type { FieldIssue } from '../contracts/errors.js';
import { normalizeIsoDate } from '../contracts/dates.js';
import type { Executor } from './executor.js';

export type AttributeValue = string | number | boolean;

/** One attribute value as submitted, with the field path errors should name. */
export interface AttributeEntry {
  path: string;
  key: string;
  value: AttributeValue;
}

/**
 * The type a value would give a key seen for the first time. A string in ISO
 * 8601 form (a day, or a date-time with an offset) counts as a date.
 *
 * @example
 * inferAttributeType('1990-02-28'); // 'date'
 * inferAttributeType('gold');       // 'string'
 */
export function inferAttributeType(value: AttributeValue): AttributeType {
  if (typeof value === 'number') return 'number';
  if (typeof value === 'boolean') return 'boolean';
  return normalizeIsoDate(value) === undefined ? 'string' : 'date';
}

/**
 * Checks a value against its key's type and gives the value to store: dates are
 * normalised (a day stays `YYYY-MM-DD`, a date-time becomes UTC `…Z`); a
 * date-looking string under a string key stays as sent.
 *
 * @example
 * coerceAttributeValue('date', '2026-03-01T08:00:00+08:00'); // { value: '2026-03-01T00:00:00.000Z' }
 * coerceAttributeValue('number', 'gold');                      // { problem: 'must be a number (…)' }
 */
export function coerceAttributeValue(type: AttributeType, value: AttributeValue): { value: AttributeValue } | { problem: string } {
  switch (type) {
    case 'number':
      return typeof value === 'number' ? { value } : { problem: 'must be a number (the first value seen for this key was a number)' };
    case 'boolean':
      return typeof value === 'boolean' ? { value } : { problem: 'must be true or false (the first value seen for this key was a boolean)' };
    case 'string':
      return typeof value === 'string' ? { value } : { problem: 'must be a string (the first value seen for this key was a string)' };
    case 'date': {
      const normalized = typeof value === 'string' ? normalizeIsoDate(value) : undefined;
      return normalized === undefined
        ? { problem: 'must be an ISO 8601 date (YYYY-MM-DD) or date-time with an offset (the first value seen for this key was a date)' }
        : { value: normalized };
    }
  }
}

/**
 * Reads the recorded type of each key; keys never seen are absent.
 *
 * @example
 * await loadAttributeTypes(db, ['vip_level']); // Map { 'vip_level' => 'string' }
 */
export async function loadAttributeTypes(db: Executor, keys: readonly string[]): Promise<Map<string, AttributeType>> {
  if (keys.length === 0) return new Map();
  const rows = await db.execute<{ key: string; type: AttributeType }>(sql`
    SELECT key, type FROM attribute_types
    WHERE key IN (SELECT jsonb_array_elements_text(${JSON.stringify([...new Set(keys)])}::jsonb))`);
  return new Map(rows.map((row) => [row.key, row.type]));
}

/**
 * Settles the type of every key in a write and checks each value against it.
 * Keys new to the database take the type of their first value in the write;
 * they are recorded at once (ON CONFLICT DO NOTHING, then re-read, so two
 * concurrent writers agree on one type). Run it inside the write's transaction:
 * when it reports problems the caller rolls back, recording nothing.
 *
 * @example
 * const { values, issues } = await settleAttributeTypes(tx, [{ path: 'attributes.vip_level', key: 'vip_level', value: 'gold' }]);
 */
export async function settleAttributeTypes(
  tx: Executor,
  entries: readonly AttributeEntry[],
): Promise<{ values: AttributeValue[]; issues: FieldIssue[] }> {
  if (entries.length === 0) return { values: [], issues: [] };
  const proposed = new Map<string, AttributeType>();
  for (const entry of entries) {
    if (!proposed.has(entry.key)) proposed.set(entry.key, inferAttributeType(entry.value));
  }
  const rows = [...proposed].map(([key, type]) => ({ key, type }));
  await tx.execute(sql`
    INSERT INTO attribute_types (key, type)
    SELECT key, type FROM jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) AS t(key text, type text)
    ORDER BY key
    ON CONFLICT (key) DO NOTHING`);
  const types = await loadAttributeTypes(tx, [...proposed.keys()]);
  const values: AttributeValue[] = [];
  const issues: FieldIssue[] = [];
  for (const entry of entries) {
    const result = coerceAttributeValue(types.get(entry.key)!, entry.value);
    if ('problem' in result) issues.push({ path: entry.path, message: result.problem });
    values.push('value' in result ? result.value : entry.value);
  }
  return { values, issues };
}

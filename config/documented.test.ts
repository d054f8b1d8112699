import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CONTEXT_TTL_MS, CONTROL_TTL_MS } from '../delivery/context.js';
import { DEFAULT_FAN_OUT } from '../runs/lifecycle.js';
import { envSchema, loadEnv } from './env.js';

const root = new URL('../', import.meta.url);
const configurationDoc = readFileSync(new URL('docs/configuration.md', root), 'utf8');
const example = readFileSync(new URL('.env.example', root), 'utf8');

/** The variables of docs/configuration.md's table (first column; a row may name several). */
function documentedTable(): Map<string, string> {
  const rows = configurationDoc.split('\n').filter((l) => l.startsWith('| `'));
  const defaults = new Map<string, string>();
  for (const row of rows) {
    const [names, value] = row.split('|').slice(1, 3);
    for (const [, name] of names!.matchAll(/`([A-Z][A-Z0-9_]+)`/g)) defaults.set(name!, value!.trim());
  }
  return defaults;
}

/** `.env.example`'s assignments. */
function exampleValues(): Map<string, string> {
  const values = new Map<string, string>();
  for (const line of example.split('\n')) {
    const match = /^([A-Z][A-Z0-9_]*)=(.*)$/.exec(line);
    if (match) values.set(match[1]!, match[2]!);
  }
  return values;
}

const schemaKeys = Object.keys(envSchema.shape).sort();

describe('every setting is documented once, the same way', () => {
  it('the zod schema, the table in docs/configuration.md and .env.example name the same variables', () => {
    expect([...documentedTable().keys()].sort()).toEqual(schemaKeys);
    expect([...exampleValues().keys()].sort()).toEqual(schemaKeys);
  });

  it('.env.example holds the defaults and is itself a valid configuration', () => {
    const values = Object.fromEntries(exampleValues());
    expect(loadEnv(values)).toEqual(loadEnv({}));
    const table = documentedTable();
    for (const [name, value] of Object.entries(values)) {
      // Empty in the example: the schema has no default (the table says what unset means).
      if (value === '') expect(envSchema.shape[name as keyof typeof envSchema.shape].safeParse(undefined).data, name).toBeUndefined();
      else expect(table.get(name), name).toContain(`\`${value}\``);
    }
  });

  it('the tuning knobs default to the values the code was measured with', () => {
    const env = loadEnv({});
    expect({ batchSize: env.FANOUT_BATCH_SIZE, window: env.FANOUT_WINDOW, childrenPerExecution: env.FANOUT_CHILDREN_PER_EXECUTION }).toEqual(DEFAULT_FAN_OUT);
    expect(env.RUN_CONTROL_CACHE_MS).toBe(CONTROL_TTL_MS);
    expect(env.RUN_CONTEXT_CACHE_MS).toBe(CONTEXT_TTL_MS);
    expect(() => loadEnv({ FANOUT_BATCH_SIZE: '0' })).toThrow(/^invalid environment variable FANOUT_BATCH_SIZE="0": must be a whole number from 1 to 10000/);
    expect(() => loadEnv({ RUN_CONTROL_CACHE_MS: '1.5' })).toThrow(/RUN_CONTROL_CACHE_MS.*whole number of milliseconds/);
  });
});

import { describe, expect, it } from 'vitest';
import { EnvError, loadEnv } from './env.js';

describe('loadEnv', () => {
  it('applies laptop defaults', () => {
    const env = loadEnv({});
    expect(env.API_PORT).toBe(3000);
    expect(env.temporalAddress).toBe('127.0.0.1:7233');
    expect(env.temporalUiUrl).toBe('http://localhost:8233');
    expect(env.DATABASE_URL).toBeUndefined();
    expect(env.EMBEDDED_PG_PORT).toBe(5433);
  });

  it('names the variable in a one-line error', () => {
    expect(() => loadEnv({ API_PORT: 'eighty' })).toThrow(EnvError);
    expect(() => loadEnv({ API_PORT: 'eighty' })).toThrow(/^invalid environment variable API_PORT="eighty"/);
    expect(() => loadEnv({ DATABASE_URL: 'mysql://x' })).toThrow(/DATABASE_URL/);
    expect(() => loadEnv({ TEMPORAL_ADDRESS: 'http://x' })).toThrow(/TEMPORAL_ADDRESS/);
    expect(() => loadEnv({ EMBEDDED_PG_PORT: '70000' })).toThrow(/^invalid environment variable EMBEDDED_PG_PORT="70000": must be a port number/);
  });

  it('derives the Temporal address from the dev server port', () => {
    expect(loadEnv({ TEMPORAL_PORT: '7999' }).temporalAddress).toBe('127.0.0.1:7999');
    expect(loadEnv({ TEMPORAL_ADDRESS: 'temporal:7233' }).temporalAddress).toBe('temporal:7233');
  });
});

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

  it('checks the security settings, naming the variable but never echoing key material', () => {
    const short = 'hk_too-short-key';
    expect(() => loadEnv({ HOOKCAST_API_KEY: short })).toThrow(/^invalid environment variable HOOKCAST_API_KEY=\(hidden\): must be at least 32 characters/);
    const badKey = 'k1:bm90LTMyLWJ5dGVz';
    expect(() => loadEnv({ SECRET_KEYS: badKey })).toThrow(/^invalid environment variable SECRET_KEYS=\(hidden\): entry 1 must be <id>:<32 bytes in base64>/);
    for (const value of [short, badKey]) {
      try {
        loadEnv({ HOOKCAST_API_KEY: value, SECRET_KEYS: value });
      } catch (error) {
        expect((error as Error).message).not.toContain(value);
      }
    }
    expect(() => loadEnv({ OUTBOUND_ALLOW_CIDRS: '127.0.0.1/32, 10.0.0.0/99' })).toThrow(/OUTBOUND_ALLOW_CIDRS.*10\.0\.0\.0\/99 is not a CIDR/);
    expect(loadEnv({ OUTBOUND_ALLOW_CIDRS: '127.0.0.1/32,::1/128' }).OUTBOUND_ALLOW_CIDRS).toBe('127.0.0.1/32,::1/128');
  });

  it('reads retention as days or keep, and names a bad value', () => {
    expect(loadEnv({})).toMatchObject({ EVENT_RETENTION_DAYS: 395, DELIVERY_RETENTION_DAYS: 395, RESPONSE_BODY_RETENTION_DAYS: 30 });
    expect(loadEnv({ EVENT_RETENTION_DAYS: 'keep', RESPONSE_BODY_RETENTION_DAYS: '7' })).toMatchObject({ EVENT_RETENTION_DAYS: null, RESPONSE_BODY_RETENTION_DAYS: 7 });
    expect(() => loadEnv({ DELIVERY_RETENTION_DAYS: '0' })).toThrow(/DELIVERY_RETENTION_DAYS="0": must be a whole number of days from 1 to 36500, or keep/);
    expect(() => loadEnv({ EVENT_RETENTION_DAYS: 'forever' })).toThrow(/EVENT_RETENTION_DAYS="forever": must be a whole number of days from 1 to 36500, or keep/);
  });

  it('derives the Temporal address from the dev server port', () => {
    expect(loadEnv({ TEMPORAL_PORT: '7999' }).temporalAddress).toBe('127.0.0.1:7999');
    expect(loadEnv({ TEMPORAL_ADDRESS: 'temporal:7233' }).temporalAddress).toBe('temporal:7233');
  });

  it('defaults the PostgreSQL-backed Temporal server to the local PostgreSQL and refuses unsafe database names', () => {
    const env = loadEnv({});
    expect(env).toMatchObject({
      TEMPORAL_PG_HOST: '127.0.0.1',
      TEMPORAL_PG_PORT: 5432,
      TEMPORAL_PG_USER: 'postgres',
      TEMPORAL_PG_DATABASE: 'temporal',
      TEMPORAL_PG_VISIBILITY_DATABASE: 'temporal_visibility',
      TEMPORAL_BIND_IP: '127.0.0.1',
      TEMPORAL_HISTORY_SHARDS: 4,
    });
    expect(() => loadEnv({ TEMPORAL_PG_DATABASE: 'temporal"; DROP' })).toThrow(/^invalid environment variable TEMPORAL_PG_DATABASE=.*lower-case PostgreSQL identifier/);
    expect(() => loadEnv({ TEMPORAL_BIND_IP: 'localhost' })).toThrow(/TEMPORAL_BIND_IP.*IPv4/);
  });
});

import { afterEach, describe, expect, it, vi } from 'vitest';
import { channelInputSchema } from './channel.js';

/** A Standard Webhooks secret of `bytes` random-looking bytes. */
const secretOf = (bytes: number) => `whsec_${btoa(String.fromCharCode(...Array.from({ length: bytes }, (_, i) => (i * 37) % 256)))}`;
const withSecret = (secret: string) => ({ name: 'c', url: 'https://hooks.example.com/x', auth: { type: 'secret', secret } });

describe('the channel schema in a browser', () => {
  afterEach(() => vi.unstubAllGlobals());

  // The console checks its channel form with this schema; a browser has no Buffer.
  it('checks a signing secret without Node globals', () => {
    vi.stubGlobal('Buffer', undefined);
    expect(channelInputSchema.safeParse(withSecret(secretOf(24))).success).toBe(true);
    expect(channelInputSchema.safeParse(withSecret(secretOf(64))).success).toBe(true);
    for (const bytes of [23, 65]) {
      const parsed = channelInputSchema.safeParse(withSecret(secretOf(bytes)));
      expect(parsed.error?.issues.map((i) => [i.path.join('.'), i.message]), `${bytes} bytes`).toEqual([
        ['auth.secret', 'must be whsec_ followed by 24 to 64 base64-encoded bytes (omit it to have one generated)'],
      ]);
    }
  });
});

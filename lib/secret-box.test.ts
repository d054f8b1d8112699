import { describe, expect, it } from 'vitest';
import { formatKeyring, KeyringError, newKey, open, parseKeyring, seal } from './secret-box.js';

const k1 = `k1:${Buffer.alloc(32, 1).toString('base64')}`;
const k2 = `k2:${Buffer.alloc(32, 2).toString('base64')}`;

describe('secret box', () => {
  it('seals with the first key, names it, and opens with any key of the ring', () => {
    const ring = parseKeyring(`${k1},${k2}`);
    const sealed = seal(ring, 'whsec_abc');
    expect(sealed.keyId).toBe('k1');
    expect(sealed.sealed).not.toContain('whsec');
    expect(open(parseKeyring(`${k2},${k1}`), sealed)).toBe('whsec_abc');
    // Fresh IV each time: equal plaintexts do not give equal ciphertexts.
    expect(seal(ring, 'whsec_abc').sealed).not.toBe(sealed.sealed);
  });

  it('refuses a value whose key is gone, a tampered value, and a value relabelled with another key id', () => {
    const sealed = seal(parseKeyring(k1), 'password');
    expect(() => open(parseKeyring(k2), sealed)).toThrow(/no key with id k1/);
    const bytes = Buffer.from(sealed.sealed, 'base64');
    bytes[bytes.length - 1]! ^= 1;
    expect(() => open(parseKeyring(k1), { ...sealed, sealed: bytes.toString('base64') })).toThrow(KeyringError);
    const sameKeyOtherId = parseKeyring(`k9:${Buffer.alloc(32, 1).toString('base64')}`);
    expect(() => open(sameKeyOtherId, { ...sealed, keyId: 'k9' })).toThrow(/does not decrypt/);
  });

  it('names a bad keyring entry without quoting key material', () => {
    expect(() => parseKeyring('k1:c2hvcnQ=')).toThrow(/entry 1 must be <id>:<32 bytes in base64>/);
    expect(() => parseKeyring(`${k1},${k1}`)).toThrow(/appears twice/);
    expect(() => parseKeyring('')).toThrow(/holds no key/);
    try {
      parseKeyring('k1:c2hvcnQ=');
    } catch (error) {
      expect((error as Error).message).not.toContain('c2hvcnQ');
    }
  });

  it('writes a keyring back in the same form, current key first', () => {
    const key = newKey();
    const ring = parseKeyring(`${key.id}:${key.key.toString('base64')},${k1}`);
    expect(formatKeyring(ring).trim()).toBe(`${key.id}:${key.key.toString('base64')},${k1}`);
  });
});

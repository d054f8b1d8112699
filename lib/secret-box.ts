import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

/**
 * Encryption of credentials at rest (channel signing secrets, Basic passwords)
 * with AES-256-GCM. Every sealed value names the key that sealed it, so keys
 * rotate: the first key of the keyring seals, every key opens.
 *
 * A keyring is written `id:base64key[,id:base64key…]` (32-byte keys), in
 * SECRET_KEYS or, on the embedded default, in `<DATA_DIR>/secret-keys`.
 */

export interface SealedValue {
  /** Id of the key that sealed the value. */
  keyId: string;
  /** base64 of 12-byte IV, 16-byte tag and the ciphertext. */
  sealed: string;
}

export interface Keyring {
  current: { id: string; key: Buffer };
  keys: Map<string, Buffer>;
}

export class KeyringError extends Error {
  override name = 'KeyringError';
}

const KEY_ID = /^[A-Za-z0-9_-]{1,32}$/;

/** Parses `id:base64key[,…]`; the first key seals. Messages never quote key material. */
export function parseKeyring(text: string, source = 'SECRET_KEYS'): Keyring {
  const entries = text
    .split(/[,\n]/)
    .map((e) => e.trim())
    .filter(Boolean);
  if (entries.length === 0) throw new KeyringError(`${source} holds no key`);
  const keys = new Map<string, Buffer>();
  let current: Keyring['current'] | undefined;
  entries.forEach((entry, index) => {
    const colon = entry.indexOf(':');
    const id = colon > 0 ? entry.slice(0, colon) : '';
    const key = Buffer.from(entry.slice(colon + 1), 'base64');
    if (!KEY_ID.test(id) || key.length !== 32) {
      throw new KeyringError(`${source}: entry ${index + 1} must be <id>:<32 bytes in base64> (id: letters, digits, _ or -)`);
    }
    if (keys.has(id)) throw new KeyringError(`${source}: key id ${id} appears twice`);
    keys.set(id, key);
    current ??= { id, key };
  });
  return { current: current!, keys };
}

export function formatKeyring(ring: Keyring): string {
  const rest = [...ring.keys].filter(([id]) => id !== ring.current.id);
  return [[ring.current.id, ring.current.key] as const, ...rest].map(([id, key]) => `${id}:${key.toString('base64')}`).join(',') + '\n';
}

/** A fresh key whose id tells keys apart by creation time. */
export function newKey(now = new Date()): { id: string; key: Buffer } {
  return { id: `k${now.toISOString().replace(/[-:T.Z]/g, '').slice(0, 14)}${randomBytes(2).toString('hex')}`, key: randomBytes(32) };
}

export function seal(ring: Keyring, plaintext: string): SealedValue {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', ring.current.key, iv);
  cipher.setAAD(Buffer.from(ring.current.id));
  const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return { keyId: ring.current.id, sealed: Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64') };
}

export function open(ring: Keyring, value: SealedValue): string {
  const key = ring.keys.get(value.keyId);
  if (!key) throw new KeyringError(`no key with id ${value.keyId} in the keyring: add it to SECRET_KEYS (or the data folder's secret-keys) until npm run rotate-key has re-encrypted every value`);
  const raw = Buffer.from(value.sealed, 'base64');
  const decipher = createDecipheriv('aes-256-gcm', key, raw.subarray(0, 12));
  decipher.setAAD(Buffer.from(value.keyId));
  decipher.setAuthTag(raw.subarray(12, 28));
  try {
    return Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString('utf8');
  } catch {
    throw new KeyringError(`a value sealed with key ${value.keyId} does not decrypt: wrong key material for that id`);
  }
}

export function isSealed(value: unknown): value is SealedValue {
  return !!value && typeof value === 'object' && typeof (value as SealedValue).keyId === 'string' && typeof (value as SealedValue).sealed === 'string';
}

/** Where the embedded default keeps its generated keyring. */
export function keyringFile(dataDir: string): string {
  return join(resolve(dataDir), 'secret-keys');
}

/** Writes a keyring file readable by its owner only. */
export function writeKeyringFile(path: string, ring: Keyring): void {
  writeFileSync(path, formatKeyring(ring), { mode: 0o600 });
}

let processKeyring: { ring: Keyring; file?: string } | undefined;

/**
 * The keyring of this process: SECRET_KEYS, else the data folder's file. A file
 * is read again when a value names a key it lacks, so a running worker keeps
 * decrypting after `npm run rotate-key` added a key.
 */
export function keyring(options: { refresh?: boolean } = {}): Keyring {
  if (processKeyring && !(options.refresh && processKeyring.file)) return processKeyring.ring;
  const fromEnv = process.env.SECRET_KEYS;
  if (fromEnv) {
    processKeyring = { ring: parseKeyring(fromEnv) };
    return processKeyring.ring;
  }
  const file = keyringFile(process.env.DATA_DIR || '.data');
  if (!existsSync(file)) {
    throw new KeyringError('no encryption key for credentials: set SECRET_KEYS (npm start generates one into the data folder on the embedded default)');
  }
  processKeyring = { ring: parseKeyring(readFileSync(file, 'utf8'), file), file };
  return processKeyring.ring;
}

/** Opens a value with the process keyring, re-reading a keyring file once for a key it does not know. */
export function openWithProcessKeyring(value: SealedValue): string {
  const ring = keyring();
  if (!ring.keys.has(value.keyId)) return open(keyring({ refresh: true }), value);
  return open(ring, value);
}

/** For tests and the rotate-key script: forget the cached keyring. */
export function resetProcessKeyring(): void {
  processKeyring = undefined;
}

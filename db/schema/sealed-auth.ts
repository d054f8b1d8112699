import { customType } from 'drizzle-orm/pg-core';
import type { ChannelAuth } from '../../contracts/channel.js';
import { isSealed, keyring, openWithProcessKeyring, seal, type SealedValue } from '../../lib/secret-box.js';

/*
 * A channel's auth as stored: the signing secret (and the previous one during a
 * rotation) or the Basic password are AES-256-GCM sealed values naming their
 * key id; everything else stays readable for queries. Sealing and opening
 * happen in the column mapping, so every reader of `channels.auth` gets
 * plaintext in memory and nothing writes plaintext to PostgreSQL.
 */

type StoredAuth =
  | { type: 'secret'; secret: SealedValue | string; previous?: { secret: SealedValue | string; until: string } }
  | { type: 'basic'; username: string; password: SealedValue | string }
  | { type: 'none' };

// Rows written before encryption hold plain strings; they are read as they are
// until start-up (or npm run rotate-key) seals them.
const openValue = (value: SealedValue | string): string => (isSealed(value) ? openWithProcessKeyring(value) : value);

export function sealAuth(auth: ChannelAuth): StoredAuth {
  switch (auth.type) {
    case 'secret': {
      const ring = keyring();
      return {
        type: 'secret',
        secret: seal(ring, auth.secret),
        ...(auth.previous ? { previous: { secret: seal(ring, auth.previous.secret), until: auth.previous.until } } : {}),
      };
    }
    case 'basic':
      return { type: 'basic', username: auth.username, password: seal(keyring(), auth.password) };
    case 'none':
      return { type: 'none' };
  }
}

export function openAuth(stored: StoredAuth): ChannelAuth {
  switch (stored.type) {
    case 'secret':
      return {
        type: 'secret',
        secret: openValue(stored.secret),
        ...(stored.previous ? { previous: { secret: openValue(stored.previous.secret), until: stored.previous.until } } : {}),
      };
    case 'basic':
      return { type: 'basic', username: stored.username, password: openValue(stored.password) };
    case 'none':
      return { type: 'none' };
  }
}

export const sealedAuth = customType<{ data: ChannelAuth; driverData: unknown }>({
  dataType: () => 'jsonb',
  toDriver: (auth) => JSON.stringify(sealAuth(auth)),
  fromDriver: (value) => openAuth((typeof value === 'string' ? JSON.parse(value) : value) as StoredAuth),
});

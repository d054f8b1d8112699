/**
 * `npm run rotate-key`: re-encrypts every stored channel credential under a new key.
 *
 * With the data folder's keyring (the embedded default), it adds a new key in
 * front, re-encrypts, and then drops the keys nothing uses any more; running
 * processes re-read the file when they meet the new key id. With SECRET_KEYS,
 * put the new key first yourself (`--new-key` prints one), restart, then run
 * this: it re-encrypts under the first key and names the keys you may remove.
 */
import { existsSync, readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { credentialKeyUsage, resealCredentials } from '../channels/credentials.js';
import { loadEnv } from '../config/env.js';
import { keyring, keyringFile, newKey, parseKeyring, resetProcessKeyring, writeKeyringFile } from '../lib/secret-box.js';
import { cliDatabase } from './cli-database.js';

async function main(argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { 'new-key': { type: 'boolean' } } });
  if (values['new-key']) {
    const key = newKey();
    console.log(`${key.id}:${key.key.toString('base64')}`);
    return 0;
  }
  const env = loadEnv();
  const database = cliDatabase(env);
  try {
    const file = keyringFile(process.env.DATA_DIR!);
    if (!env.SECRET_KEYS) {
      if (!existsSync(file)) throw new Error(`SECRET_KEYS is not set and ${file} does not exist`);
      const ring = parseKeyring(readFileSync(file, 'utf8'), file);
      const key = newKey();
      ring.keys.set(key.id, key.key);
      writeKeyringFile(file, { current: key, keys: ring.keys });
      resetProcessKeyring();
      console.log(`added key ${key.id} to ${file}`);
    }
    const current = keyring().current.id;
    const changed = await resealCredentials(database.db, current);
    console.log(`re-encrypted the credentials of ${changed} channel(s) under key ${current}`);
    const used = await credentialKeyUsage(database.db);
    const unused = [...keyring().keys.keys()].filter((id) => id !== current && !used.has(id));
    if (!env.SECRET_KEYS) {
      const ring = keyring();
      for (const id of unused) ring.keys.delete(id);
      writeKeyringFile(file, ring);
      if (unused.length > 0) console.log(`removed unused key(s) ${unused.join(', ')} from ${file}`);
    } else if (unused.length > 0) {
      console.log(`no stored value uses key(s) ${unused.join(', ')} any more: remove them from SECRET_KEYS`);
    }
    return 0;
  } finally {
    await database.close();
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`rotate-key: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  },
);

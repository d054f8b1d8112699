/**
 * `npm run apikey -- create --name ops --scope write` | `list` | `revoke <id or prefix>`:
 * API keys from the command line, on DATABASE_URL or the running embedded database.
 */
import { parseArgs } from 'node:util';
import { apiKeyInputSchema, createApiKeyStore } from '../access/api-keys.js';
import { recordAudit } from '../access/audit.js';
import { loadEnv } from '../config/env.js';
import { ApiError, validationError } from '../lib/errors.js';
import { cliDatabase } from './cli-database.js';

const usage = 'usage: npm run apikey -- create --name <name> --scope read|ingest|write|admin | list | revoke <id or prefix>';
/** Who the audit trail names for changes made here: no API key, a local tool. */
const actor = { keyId: null, name: 'npm run apikey' };

async function main(argv: string[]): Promise<number> {
  const { positionals, values } = parseArgs({ args: argv, allowPositionals: true, options: { name: { type: 'string' }, scope: { type: 'string' } } });
  const [command, target] = positionals;
  if (!command || !['create', 'list', 'revoke'].includes(command) || (command === 'revoke' && !target)) {
    console.error(usage);
    return 2;
  }
  const database = cliDatabase(loadEnv());
  try {
    const keys = createApiKeyStore(database.db);
    if (command === 'create') {
      const input = apiKeyInputSchema.safeParse({ name: values.name, scope: values.scope });
      if (!input.success) throw validationError(input.error);
      const created = await keys.create(input.data);
      console.log(`created ${created.scope} key "${created.name}" (id ${created.id}); it is shown this once, only its hash is stored:`);
      console.log(created.key);
      await recordAudit(database.db, { actor, action: 'created', targetType: 'api_key', targetId: created.id, targetName: created.name, change: { name: created.name, scope: created.scope } });
    } else if (command === 'list') {
      for (const k of await keys.list()) {
        console.log(`${k.id}  ${k.prefix}…  ${k.scope.padEnd(6)}  ${k.revokedAt ? `revoked ${k.revokedAt}` : 'active'}  ${k.name}`);
      }
    } else {
      const revoked = await keys.revoke(target!);
      await recordAudit(database.db, { actor, action: 'revoked', targetType: 'api_key', targetId: revoked.id, targetName: revoked.name });
      console.log(`revoked key "${revoked.name}" (${revoked.prefix}…); requests with it are refused from now on`);
    }
    return 0;
  } catch (error) {
    if (error instanceof ApiError) {
      console.error(`${error.message}${error.issues.map((i) => `\n  --${i.path}: ${i.message}`).join('')}`);
      return 1;
    }
    throw error;
  } finally {
    await database.close();
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`apikey: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  },
);

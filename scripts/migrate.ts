/** `npm run db:migrate`: applies the committed migrations to DATABASE_URL (deployments without `npm start`). */
import { loadEnv } from '../config/env.js';
import { createDatabase } from '../db/client.js';
import { describeMigration, migrateDatabase } from '../db/migrate.js';

async function main() {
  const env = loadEnv();
  if (!env.DATABASE_URL) throw new Error('DATABASE_URL is not set');
  const database = createDatabase(env.DATABASE_URL, { max: 1 });
  const outcome = await migrateDatabase(database.db);
  await database.close();
  console.log(describeMigration(outcome));
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});

/**
 * `npm run temporal:install`: makes sure a Temporal CLI is available (TEMPORAL_CLI,
 * PATH, the per-user cache, or a `go install` into that cache) and says which.
 */
import { resolveTemporalCli, temporalCliVersion } from '../temporal/cli.js';

async function main() {
  const cli = await resolveTemporalCli({ log: (line) => console.log(`[temporal] ${line}`) });
  console.log(
    cli.path
      ? `[temporal] using ${cli.path} (found via ${cli.source}; ${temporalCliVersion(cli.path)})`
      : '[temporal] no local binary; the SDK will download the dev server when it is first needed',
  );
}

main().catch((error: unknown) => {
  console.error(`[temporal] ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});

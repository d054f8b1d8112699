import { join } from 'node:path';
import { findGo, goInstall, hookcastCacheDir, isExecutable } from './cli.js';

/** The Temporal server inside CLI v1.5.1, so both servers run the same engine. */
export const TEMPORAL_SERVER_VERSION = 'v1.29.1';
/** The UI server the CLI v1.5.1 embeds, built for that server's API. */
export const TEMPORAL_UI_VERSION = 'v2.42.1';

export interface TemporalServerBinaries {
  /** `go.temporal.io/server/cmd/server`: every Temporal service in one process. */
  server: string;
  /** `go.temporal.io/server/cmd/tools/sql`: creates and upgrades the schema; it embeds the module's schema files. */
  sqlTool: string;
  /** `github.com/temporalio/ui-server/v2/cmd/server`, when it is built. */
  ui?: string;
}

/** Where `go install` leaves each binary: one folder per module version (both main packages are called `server`). */
export function temporalServerPaths(env: NodeJS.ProcessEnv = process.env) {
  const serverDir = hookcastCacheDir(`temporal-server-${TEMPORAL_SERVER_VERSION}`, env);
  const uiDir = hookcastCacheDir(`temporal-ui-${TEMPORAL_UI_VERSION}`, env);
  return { serverDir, uiDir, server: join(serverDir, 'server'), sqlTool: join(serverDir, 'sql'), ui: join(uiDir, 'server') };
}

/** The cached binaries, without building anything; undefined when the server or its schema tool is missing. */
export function findTemporalServerBinaries(env: NodeJS.ProcessEnv = process.env): TemporalServerBinaries | undefined {
  const paths = temporalServerPaths(env);
  if (!isExecutable(paths.server) || !isExecutable(paths.sqlTool)) return undefined;
  return { server: paths.server, sqlTool: paths.sqlTool, ...(isExecutable(paths.ui) ? { ui: paths.ui } : {}) };
}

/**
 * The Temporal server, its schema tool and the UI server from the per-user
 * cache, building what is missing with `go install` through the Go module
 * proxy (like the CLI, see cli.ts). A UI that fails to build is reported and
 * left out: the server runs without it.
 *
 * @example
 * const binaries = await installTemporalServer({ log: console.log });
 * // { server: '~/.cache/hookcast/temporal-server-v1.29.1/server', sqlTool: '…/sql', ui: '~/.cache/hookcast/temporal-ui-v2.42.1/server' }
 */
export async function installTemporalServer(
  options: { env?: NodeJS.ProcessEnv; log?: (line: string) => void; ui?: boolean } = {},
): Promise<TemporalServerBinaries> {
  const env = options.env ?? process.env;
  const log = options.log ?? (() => {});
  const paths = temporalServerPaths(env);
  const missingServer = !isExecutable(paths.server) || !isExecutable(paths.sqlTool);
  const missingUi = options.ui !== false && !isExecutable(paths.ui);
  if (missingServer || missingUi) {
    const go = findGo(env);
    if (!go) {
      if (missingServer) throw new Error(`the Temporal server is not built (${paths.server}) and no Go toolchain was found to build it`);
      log('the Temporal UI server is not built and no Go toolchain was found: running without the UI');
    } else {
      if (missingServer) {
        log(
          `building the Temporal server ${TEMPORAL_SERVER_VERSION} and its SQL schema tool with go install into ${paths.serverDir}: ` +
            'the first build takes several minutes and is reused afterwards',
        );
        await goInstall({
          go,
          cacheDir: paths.serverDir,
          packages: [`go.temporal.io/server/cmd/server@${TEMPORAL_SERVER_VERSION}`, `go.temporal.io/server/cmd/tools/sql@${TEMPORAL_SERVER_VERSION}`],
          what: 'the Temporal server',
          env,
          log,
        });
      }
      if (missingUi) {
        log(`building the Temporal UI server ${TEMPORAL_UI_VERSION} with go install into ${paths.uiDir}`);
        try {
          await goInstall({ go, cacheDir: paths.uiDir, packages: [`github.com/temporalio/ui-server/v2/cmd/server@${TEMPORAL_UI_VERSION}`], what: 'the Temporal UI server', env, log });
        } catch (error) {
          log(`the Temporal UI server did not build, running without it: ${error instanceof Error ? error.message : String(error)}`);
        }
      }
    }
  }
  const binaries = findTemporalServerBinaries(env);
  if (!binaries) throw new Error(`go install finished but ${paths.server} or ${paths.sqlTool} is missing`);
  return options.ui === false ? { server: binaries.server, sqlTool: binaries.sqlTool } : binaries;
}

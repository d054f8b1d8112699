import { loadClientConfigProfile, toClientOptions, type ClientConnectConfig } from '@temporalio/envconfig';
import type { Env } from '../config/env.js';

/**
 * What both the API's client (`Connection`) and the worker's `NativeConnection`
 * take to reach Temporal: the SDK's environment configuration produces the
 * native connection's options, and the client's options are the same fields.
 */
export type TemporalConnectionOptions = ClientConnectConfig['connectionOptions'] & { address: string };

type ConnectionEnv = Pick<
  Env,
  | 'temporalAddress'
  | 'TEMPORAL_API_KEY'
  | 'TEMPORAL_TLS'
  | 'TEMPORAL_TLS_CLIENT_CERT_PATH'
  | 'TEMPORAL_TLS_CLIENT_KEY_PATH'
  | 'TEMPORAL_TLS_SERVER_CA_CERT_PATH'
  | 'TEMPORAL_TLS_SERVER_NAME'
>;

const PATH_VARIABLES = ['TEMPORAL_TLS_CLIENT_CERT_PATH', 'TEMPORAL_TLS_CLIENT_KEY_PATH', 'TEMPORAL_TLS_SERVER_CA_CERT_PATH'] as const;

/**
 * The connection to Temporal from the environment, through the SDK's own
 * environment configuration (`@temporalio/envconfig`): an API key or any TLS
 * setting turns TLS on, TEMPORAL_TLS=false turns it off, certificate files are
 * read by the SDK. It is fed the variables zod already validated (so a bad value
 * is named at start-up like any other), with the address defaulting to the
 * local dev server, and without the TOML profile file: a developer's CLI
 * profile must not silently point hookcast elsewhere than the launcher
 * (which starts a dev server unless TEMPORAL_ADDRESS is set) expects.
 *
 * @example
 * const options = temporalConnectionOptions(loadEnv());
 * const connection = await NativeConnection.connect(options);
 */
export function temporalConnectionOptions(env: ConnectionEnv): TemporalConnectionOptions {
  const variables: Record<string, string> = { TEMPORAL_ADDRESS: env.temporalAddress };
  if (env.TEMPORAL_API_KEY) variables.TEMPORAL_API_KEY = env.TEMPORAL_API_KEY;
  if (env.TEMPORAL_TLS !== undefined) variables.TEMPORAL_TLS = String(env.TEMPORAL_TLS);
  if (env.TEMPORAL_TLS_SERVER_NAME) variables.TEMPORAL_TLS_SERVER_NAME = env.TEMPORAL_TLS_SERVER_NAME;
  for (const name of PATH_VARIABLES) if (env[name]) variables[name] = env[name];
  const profile = loadClientConfigProfile({ disableFile: true, overrideEnvVars: variables });
  let connectionOptions: ClientConnectConfig['connectionOptions'];
  try {
    ({ connectionOptions } = toClientOptions(profile));
  } catch (error) {
    // The SDK's message names the file; the operator needs the variable that named it.
    const { code, path } = error as NodeJS.ErrnoException;
    const variable = PATH_VARIABLES.find((name) => env[name] !== undefined && env[name] === path);
    if (!variable) throw error;
    throw new Error(`cannot read ${variable}=${path}: ${code ?? String(error)}`, { cause: error });
  }
  return { ...connectionOptions, address: env.temporalAddress };
}

/** For log lines: where and how hookcast connects, never the key or certificates themselves. */
export function describeTemporalConnection(options: TemporalConnectionOptions): string {
  const tls = !options.tls ? 'plain' : options.tls === true ? 'TLS' : options.tls.clientCertPair ? 'mTLS' : options.tls.serverNameOverride || options.tls.serverRootCACertificate ? 'TLS (custom CA or server name)' : 'TLS';
  return `${options.address} (${tls}${options.apiKey ? ', API key' : ''})`;
}

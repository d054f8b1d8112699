import { readFileSync } from 'node:fs';
import type { TLSConfig } from '@temporalio/client';
import type { Env } from '../config/env.js';

/** What both the API's client and the worker's native connection take to reach Temporal. */
export interface TemporalConnectionOptions {
  address: string;
  /** `false`/absent: plain gRPC (a local server); `true`: TLS with the system's CAs; else mTLS and/or a custom CA. */
  tls?: TLSConfig | boolean;
  apiKey?: string;
}

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

function readPem(variable: string, path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (error) {
    throw new Error(`cannot read ${variable}=${path}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
}

/**
 * The connection to Temporal from the environment, with the semantics of the
 * SDK's environment configuration (`@temporalio/envconfig`): an API key or any
 * TLS setting turns TLS on, TEMPORAL_TLS=false turns it off. Certificate files
 * are read here, so a wrong path fails at start-up naming its variable.
 *
 * @example
 * const options = temporalConnectionOptions(loadEnv());
 * const connection = await NativeConnection.connect(options);
 */
export function temporalConnectionOptions(env: ConnectionEnv): TemporalConnectionOptions {
  const options: TemporalConnectionOptions = { address: env.temporalAddress };
  if (env.TEMPORAL_API_KEY) options.apiKey = env.TEMPORAL_API_KEY;
  const custom: TLSConfig = {};
  if (env.TEMPORAL_TLS_SERVER_NAME) custom.serverNameOverride = env.TEMPORAL_TLS_SERVER_NAME;
  if (env.TEMPORAL_TLS_SERVER_CA_CERT_PATH) custom.serverRootCACertificate = readPem('TEMPORAL_TLS_SERVER_CA_CERT_PATH', env.TEMPORAL_TLS_SERVER_CA_CERT_PATH);
  if (env.TEMPORAL_TLS_CLIENT_CERT_PATH && env.TEMPORAL_TLS_CLIENT_KEY_PATH) {
    custom.clientCertPair = {
      crt: readPem('TEMPORAL_TLS_CLIENT_CERT_PATH', env.TEMPORAL_TLS_CLIENT_CERT_PATH),
      key: readPem('TEMPORAL_TLS_CLIENT_KEY_PATH', env.TEMPORAL_TLS_CLIENT_KEY_PATH),
    };
  }
  const customised = Object.keys(custom).length > 0;
  if (env.TEMPORAL_TLS === false) {
    // Explicitly: the SDK turns TLS on by itself when it is left unset and an API key is given.
    options.tls = false;
    return options;
  }
  if (customised) options.tls = custom;
  else if (env.TEMPORAL_TLS === true || options.apiKey) options.tls = true;
  return options;
}

/** For log lines: where and how hookcast connects, never the key or certificates themselves. */
export function describeTemporalConnection(options: TemporalConnectionOptions): string {
  const tls = !options.tls ? 'plain' : options.tls === true ? 'TLS' : options.tls.clientCertPair ? 'mTLS' : 'TLS (custom CA or server name)';
  return `${options.address} (${tls}${options.apiKey ? ', API key' : ''})`;
}

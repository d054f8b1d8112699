import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createSecureServer, createServer, type Http2Server, type IncomingHttpHeaders, type ServerHttp2Stream } from 'node:http2';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TLSSocket } from 'node:tls';
import { NativeConnection } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadEnv, EnvError } from '../config/env.js';
import { createTemporalClient } from './client.js';
import { describeTemporalConnection, temporalConnectionOptions } from './connection.js';

const dir = mkdtempSync(join(tmpdir(), 'hookcast-tls-'));
const path = (name: string) => join(dir, name);

/** A self-signed certificate for `name` (it is its own CA). */
function selfSigned(prefix: string, name: string) {
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1', '-subj', `/CN=${name}`,
    '-addext', `subjectAltName=DNS:${name}`, '-keyout', path(`${prefix}.key`), '-out', path(`${prefix}.crt`)], { stdio: 'ignore' });
}

interface Seen {
  headers: IncomingHttpHeaders;
  clientCertificate?: string;
}

/** Answers every gRPC call with UNAUTHENTICATED after noting what reached it. */
function grpcStub(server: Http2Server, seen: Seen[]): Promise<number> {
  server.on('stream', (stream: ServerHttp2Stream, headers) => {
    const socket = stream.session?.socket as TLSSocket | undefined;
    const peer = typeof socket?.getPeerCertificate === 'function' ? socket.getPeerCertificate() : undefined;
    seen.push({ headers, clientCertificate: peer && 'subject' in peer ? String(peer.subject?.CN) : undefined });
    stream.respond({ ':status': 200, 'content-type': 'application/grpc', 'grpc-status': '16', 'grpc-message': 'stub' }, { endStream: true });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as { port: number }).port)));
}

async function callThrough(env: Record<string, string>) {
  const options = temporalConnectionOptions(loadEnv(env));
  const client = createTemporalClient({ ...options, namespace: 'default' });
  try {
    // A refused handshake is retried until the deadline: keep it short.
    await client.connection.withDeadline(Date.now() + 3000, () => client.connection.workflowService.getSystemInfo({}));
    throw new Error('the stub answered OK');
  } catch (error) {
    return error as { code?: number };
  } finally {
    await client.connection.close();
  }
}

describe('connection to an existing cluster from the environment', () => {
  const servers: Http2Server[] = [];
  beforeAll(() => {
    selfSigned('server', 'temporal.test');
    selfSigned('client', 'hookcast-worker');
  });
  afterAll(async () => {
    for (const server of servers) await new Promise((resolve) => server.close(resolve));
    rmSync(dir, { recursive: true, force: true });
  });

  it('defaults to plain gRPC at TEMPORAL_ADDRESS', () => {
    const options = temporalConnectionOptions(loadEnv({ TEMPORAL_ADDRESS: 'temporal:7233' }));
    expect(options).toEqual({ address: 'temporal:7233' });
    expect(describeTemporalConnection(options)).toBe('temporal:7233 (plain)');
    // TLS with the system's CAs when asked for alone.
    expect(describeTemporalConnection(temporalConnectionOptions(loadEnv({ TEMPORAL_ADDRESS: 'temporal:7233', TEMPORAL_TLS: 'true' })))).toBe('temporal:7233 (TLS)');
  });

  it('sends an API key as a bearer token, over TLS unless TEMPORAL_TLS=false', async () => {
    expect(temporalConnectionOptions(loadEnv({ TEMPORAL_API_KEY: 'k' })).tls).toBe(true);
    const seen: Seen[] = [];
    const server = createServer();
    servers.push(server);
    const port = await grpcStub(server, seen);
    const error = await callThrough({ TEMPORAL_ADDRESS: `127.0.0.1:${port}`, TEMPORAL_API_KEY: 'planted-api-key', TEMPORAL_TLS: 'false' });
    expect(error.code).toBe(16);
    expect(seen[0]?.headers.authorization).toBe('Bearer planted-api-key');

    // The worker's native (Rust) connection takes the same options and sends the same header.
    const workerOptions = temporalConnectionOptions(loadEnv({ TEMPORAL_ADDRESS: `127.0.0.1:${port}`, TEMPORAL_API_KEY: 'planted-worker-key', TEMPORAL_TLS: 'false' }));
    await expect(NativeConnection.connect(workerOptions)).rejects.toThrow();
    expect(seen.map((s) => s.headers.authorization)).toContain('Bearer planted-worker-key');

    // Log lines say that a key is used, never the key.
    expect(describeTemporalConnection(temporalConnectionOptions(loadEnv({ TEMPORAL_API_KEY: 'planted-api-key' })))).not.toContain('planted');
  });

  it('connects with mTLS: trusts the server CA file under the given server name and presents the client certificate', async () => {
    const seen: Seen[] = [];
    const server = createSecureServer({
      key: readFileSync(path('server.key')),
      cert: readFileSync(path('server.crt')),
      ca: readFileSync(path('client.crt')),
      requestCert: true,
      rejectUnauthorized: true,
    });
    servers.push(server);
    const port = await grpcStub(server, seen);
    const error = await callThrough({
      TEMPORAL_ADDRESS: `127.0.0.1:${port}`,
      TEMPORAL_TLS_SERVER_CA_CERT_PATH: path('server.crt'),
      TEMPORAL_TLS_SERVER_NAME: 'temporal.test',
      TEMPORAL_TLS_CLIENT_CERT_PATH: path('client.crt'),
      TEMPORAL_TLS_CLIENT_KEY_PATH: path('client.key'),
    });
    // The call reached the stub (its UNAUTHENTICATED), so the handshake both ways succeeded.
    expect(error.code).toBe(16);
    expect(seen[0]?.clientCertificate).toBe('hookcast-worker');

    // Without the server name the certificate does not match the address's host: nothing gets through.
    const before = seen.length;
    let handshakesRefused = 0;
    server.on('tlsClientError', () => handshakesRefused++);
    const refused = await callThrough({ TEMPORAL_ADDRESS: `localhost:${port}`, TEMPORAL_TLS_SERVER_CA_CERT_PATH: path('server.crt') });
    expect(refused.code).toBeOneOf([4, 14]);
    expect(seen.length).toBe(before);
    expect(handshakesRefused).toBeGreaterThan(0);
  });

  it('names the variable of a missing half of the client certificate or an unreadable file', () => {
    expect(() => loadEnv({ TEMPORAL_TLS_CLIENT_CERT_PATH: '/x.crt' })).toThrow(EnvError);
    expect(() => loadEnv({ TEMPORAL_TLS_CLIENT_CERT_PATH: '/x.crt' })).toThrow(/TEMPORAL_TLS_CLIENT_KEY_PATH/);
    expect(() => temporalConnectionOptions(loadEnv({ TEMPORAL_TLS_SERVER_CA_CERT_PATH: path('absent.crt') }))).toThrow(/TEMPORAL_TLS_SERVER_CA_CERT_PATH=.*absent\.crt: ENOENT/);
    expect(() => loadEnv({ TEMPORAL_TLS: 'yes' })).toThrow(/^invalid environment variable TEMPORAL_TLS="yes": must be true or false/);
  });
});

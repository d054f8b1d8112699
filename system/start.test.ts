import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { connect, createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authHeader as testAuthHeader } from '../test/credentials.js';
import { freePort } from '../test/ports.js';
import { ensureBuilt } from '../scripts/build.js';
import { processRunning } from '../lib/process.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const dataDir = mkdtempSync(join(tmpdir(), 'hookcast-start-'));
// mkdtemp makes a 0700 folder; a fresh clone's .data is 0755, which the embedded server's OS user (as root: "postgres") can reach.
chmodSync(dataDir, 0o755);
let launcher: ChildProcess | undefined;

afterAll(() => {
  launcher?.kill('SIGKILL');
  rmSync(dataDir, { recursive: true, force: true });
});

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** Processes whose command line mentions the data folder (the dev server's --db-filename and PostgreSQL's -D do). */
function processesUsing(path: string): number {
  let count = 0;
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      if (readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(path)) count += 1;
    } catch {
      // process ended meanwhile
    }
  }
  return count;
}

async function start(env: NodeJS.ProcessEnv) {
  // No DATABASE_URL: the launcher must bring up the embedded PostgreSQL itself.
  const { DATABASE_URL: _ignored, ...rest } = process.env;
  // A process group of its own, like a shell job: Ctrl-C in a terminal signals the whole group.
  const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/start.ts'], { cwd: root, env: { ...rest, ...env }, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const deadline = Date.now() + 90_000;
  while (!output.includes('[hookcast] ready:')) {
    if (Date.now() > deadline || child.exitCode !== null) throw new Error(`launcher did not become ready:\n${output}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  return { child, output: () => output };
}

/** Ctrl-C as a terminal sends it: to the launcher's whole process group. */
async function stop(child: ChildProcess) {
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  process.kill(-child.pid!, 'SIGINT');
  return exited;
}

// npm start runs the compiled worker and API; build once up front rather than inside a timed start.
beforeAll(() => ensureBuilt((line) => console.log(`[start test] ${line}`)).then(() => undefined), 300_000);

describe('npm start', () => {
  it('brings up Temporal with its UI, embedded PostgreSQL, worker and API; Ctrl-C stops all; state survives a restart', async () => {
    const ports = { API_PORT: await freePort(), TEMPORAL_PORT: await freePort(), TEMPORAL_UI_PORT: await freePort(), EMBEDDED_PG_PORT: await freePort() };
    const env = { DATA_DIR: dataDir, LOG_LEVEL: 'warn', ...Object.fromEntries(Object.entries(ports).map(([k, v]) => [k, String(v)])) };

    // A file an older version left readable by everyone.
    writeFileSync(join(dataDir, 'left-by-an-older-version.log'), 'x', { mode: 0o644 });
    // As on a laptop: no API key and no encryption key given.
    const first = await start({ ...env, HOOKCAST_API_KEY: '', SECRET_KEYS: '' });
    launcher = first.child;
    expect(first.output()).toMatch(/Temporal CLI: .* \(found via (TEMPORAL_CLI|PATH|cache|go install)/);
    expect(first.output()).toContain('generated the key that encrypts channel credentials at rest');
    expect(statSync(join(dataDir, 'secret-keys')).mode & 0o777).toBe(0o600);
    // Nothing in the data folder is open to others (as root the folder itself lets the postgres user pass, no more).
    expect(statSync(dataDir).mode & 0o777).toBe(process.getuid?.() === 0 ? 0o711 : 0o700);
    expect(statSync(join(dataDir, 'temporal.sqlite')).mode & 0o777).toBe(0o600);
    const open: string[] = [];
    const visit = (dir: string) => {
      for (const entry of readdirSync(dir, { withFileTypes: true })) {
        const path = join(dir, entry.name);
        if (entry.isDirectory()) visit(path);
        if ((entry.isFile() || entry.isDirectory()) && statSync(path).mode & 0o077) open.push(`${path} ${(statSync(path).mode & 0o777).toString(8)}`);
      }
    };
    visit(dataDir);
    expect(open).toEqual([]);
    const adminKey = first.output().match(/created an admin API key.*\n\[hookcast\]\s+(hk_\S+)/)?.[1];
    expect(adminKey, first.output()).toMatch(/^hk_[A-Za-z0-9_-]{43}$/);
    // The key is the last thing the launcher says, in the ready line's block: no build or start-up line can scroll it away.
    const said = first.output().split('\n').filter((line) => line.startsWith('[hookcast]'));
    expect(said.slice(-4), first.output()).toEqual([
      expect.stringMatching(/^\[hookcast\] ready: /),
      expect.stringMatching(/^\[hookcast\] created an admin API key/),
      `[hookcast]   ${adminKey}`,
      expect.stringMatching(/^\[hookcast\]   use it as: Authorization: Bearer <key>/),
    ]);
    // A brand-new cluster had its schema created: "current" would claim there was nothing to do.
    expect(first.output()).toMatch(/created the database schema \(\d+ migrations\)/);
    expect(first.output()).not.toContain('schema is current');
    const authHeader = { authorization: `Bearer ${adminKey}` };
    expect(first.output()).toContain('starting embedded PostgreSQL');
    expect(first.output()).toContain('initialising a new PostgreSQL cluster');
    const api = `http://127.0.0.1:${ports.API_PORT}`;
    expect((await fetch(`${api}/healthz`)).status).toBe(200);
    expect((await fetch(`${api}/api/channels`)).status).toBe(401);
    expect((await fetch(`http://127.0.0.1:${ports.TEMPORAL_UI_PORT}/`)).status).toBe(200);
    const created = await fetch(`${api}/api/channels`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...authHeader },
      body: JSON.stringify({ name: 'survives restarts', url: 'https://example.test/hook', auth: { type: 'basic', username: 'u', password: 'kept-encrypted' } }),
    });
    expect(created.status).toBe(201);

    expect(await stop(first.child)).toBe(0);
    // Children stopped in order by the launcher, not killed by the terminal's signal and then "restarted".
    expect(first.output()).not.toContain('restarting');
    for (const port of Object.values(ports)) expect(await portOpen(port)).toBe(false);
    expect(processesUsing(dataDir)).toBe(0);

    const second = await start({ ...env, HOOKCAST_API_KEY: '', SECRET_KEYS: '' });
    launcher = second.child;
    expect(second.output()).not.toContain('initialising a new PostgreSQL cluster');
    expect(second.output()).toContain('[hookcast] database schema is current');
    expect(second.output()).not.toContain('created the database schema');
    // The key is printed once, and the stored channel still decrypts with the kept key file.
    expect(second.output()).not.toContain('created an admin API key');
    expect(second.output()).not.toContain('generated the key');
    // Listing opens the stored password with the key file kept in the data folder.
    const listed = (await (await fetch(`${api}/api/channels`, { headers: authHeader })).json()) as { items: { name: string; auth: unknown }[] };
    expect(listed.items.map((c) => [c.name, c.auth])).toEqual([['survives restarts', { type: 'basic', username: 'u', password: '********' }]]);
    expect(await stop(second.child)).toBe(0);
  }, 240_000);

  it('after the launcher itself is SIGKILLed, the next start stops the PostgreSQL and Temporal dev server it left behind and reuses the data', async () => {
    const ports = { API_PORT: await freePort(), TEMPORAL_PORT: await freePort(), TEMPORAL_UI_PORT: await freePort(), EMBEDDED_PG_PORT: await freePort() };
    // The key file of the first test's data folder, and the test admin key registered from HOOKCAST_API_KEY.
    const env = { DATA_DIR: dataDir, LOG_LEVEL: 'warn', SECRET_KEYS: '', ...Object.fromEntries(Object.entries(ports).map(([k, v]) => [k, String(v)])) };
    const first = await start(env);
    launcher = first.child;
    const pid = (name: string) => Number(first.output().match(new RegExp(`${name} is up \\(pid (\\d+)\\)`))![1]);
    const postgresPid = pid('embedded PostgreSQL');
    const temporalPid = pid('Temporal');
    const gone = new Promise((resolve) => first.child.once('exit', resolve));
    first.child.kill('SIGKILL');
    await gone;
    // The worker and the API follow their parent; PostgreSQL and the dev server cannot know.
    while (await portOpen(ports.API_PORT)) await new Promise((r) => setTimeout(r, 100));
    expect(processRunning(postgresPid)).toBe(true);
    expect(processRunning(temporalPid)).toBe(true);

    const second = await start(env);
    launcher = second.child;
    expect(second.output()).toContain(`stopping a PostgreSQL left running on ${join(dataDir, 'postgres')} by an earlier launcher (pid ${postgresPid})`);
    expect(second.output()).toContain(`stopping the Temporal dev server left running by an earlier launcher (pid ${temporalPid})`);
    expect(processRunning(temporalPid)).toBe(false);
    const listed = (await (await fetch(`http://127.0.0.1:${ports.API_PORT}/api/channels`, { headers: testAuthHeader })).json()) as { items: { name: string }[] };
    expect(listed.items.map((c) => c.name)).toEqual(['survives restarts']);
    expect(await stop(second.child)).toBe(0);
    expect(processesUsing(dataDir)).toBe(0);
  }, 240_000);

  it('names a port that another program holds, before starting anything', async () => {
    const holder = createServer();
    await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
    const taken = (holder.address() as AddressInfo).port;
    try {
      const { DATABASE_URL: _ignored, ...rest } = process.env;
      const env = { ...rest, DATA_DIR: dataDir, API_PORT: String(await freePort()), EMBEDDED_PG_PORT: String(taken) };
      const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/start.ts'], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
      let output = '';
      child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
      const code = await new Promise((resolve) => child.once('exit', resolve));
      expect(code).toBe(1);
      expect(output).toContain(`[hookcast] start-up failed: port 127.0.0.1:${taken} for the embedded PostgreSQL (EMBEDDED_PG_PORT) is already in use by another program; stop it or choose another port`);
      expect(output).not.toContain('starting the Temporal dev server');
    } finally {
      holder.close();
    }
  });

  it('stops with one line naming a bad variable', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/start.ts'], { cwd: root, env: { ...process.env, API_PORT: 'eighty' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const code = await new Promise((resolve) => child.once('exit', resolve));
    expect(code).toBe(1);
    expect(output.trim()).toBe('[hookcast] invalid environment variable API_PORT="eighty": must be a port number (1-65535)');
  });
});

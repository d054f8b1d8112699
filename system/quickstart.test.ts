import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { startStack, type Stack } from '../scripts/stack-kit.js';
import { freePort } from '../test/ports.js';

/*
 * The README's quickstart, run as written: its fenced commands are read from
 * README.md, so a changed API, script or default that breaks them fails here
 * rather than on a newcomer's machine. Only the addresses change (free ports
 * instead of 3000 and 4000, which another test may hold) and the admin key,
 * which the stack prints as it would for a newcomer.
 */
const root = fileURLToPath(new URL('..', import.meta.url));
const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');

function quickstart() {
  const start = readme.indexOf('\n## Quickstart');
  const section = readme.slice(start, readme.indexOf('\n## ', start + 1));
  const blocks = [...section.matchAll(/^```(\w+)\n([\s\S]*?)^```$/gm)].map((m) => ({ lang: m[1]!, body: m[2]! }));
  const shell = blocks.filter((b) => b.lang === 'sh').map((b) => b.body);
  const shown = blocks.find((b) => b.lang === 'text')?.body;
  if (start < 0 || shell.length !== 3 || !shown) throw new Error('README quickstart: expected three sh blocks (stack, receiver, operator) and a text block (what the receiver prints)');
  return { stackCommand: shell[0]!.trim(), receiverCommand: shell[1]!.trim(), operator: shell[2]!, shown };
}

/** `A=1 B=2 npm start` → { A: '1', B: '2' }; anything else is not what the test knows how to start. */
function startEnv(command: string): Record<string, string> {
  const words = command.split(/\s+/);
  if (words.slice(-2).join(' ') !== 'npm start') throw new Error(`the stack command is not "… npm start": ${command}`);
  return Object.fromEntries(words.slice(0, -2).map((w) => w.split('=') as [string, string]));
}

/** The receiver output shown in the README as a pattern: `…` stands for any text, the timestamp for any number. */
function shownPattern(shown: string): RegExp {
  const escaped = shown.trim().replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(escaped.replace(/…/g, '[^\\n]+').replace(/(webhook-timestamp: )\d+/, '$1\\d+'));
}

let stack: Stack | undefined;
let receiver: ChildProcess | undefined;

afterAll(async () => {
  if (receiver?.pid) process.kill(-receiver.pid, 'SIGTERM');
  await stack?.stop();
});

function run(command: string, env: Record<string, string>, timeoutMs: number) {
  // Own process group: the whole pipeline (npm, tsx, node; bash, curl) goes when the test stops it.
  const child = spawn('bash', ['-c', command], { cwd: root, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const timer = setTimeout(() => process.kill(-child.pid!, 'SIGKILL'), timeoutMs);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => (clearTimeout(timer), resolve(code))));
  return { child, output: () => output, exited };
}

describe('README quickstart', () => {
  it('its commands, pasted as written, send story 1 to the receiver: one request, for the gold VIP who did not order', async () => {
    const { stackCommand, receiverCommand, operator, shown } = quickstart();
    // The addresses the test rewrites must be the ones the README uses.
    expect(operator).toContain('http://127.0.0.1:3000/api');
    expect(operator).toContain('http://127.0.0.1:4000/');
    expect(operator).toMatch(/^export KEY=.*$/m);

    const receiverPort = await freePort();
    const rec = run(receiverCommand, { RECEIVER_PORT: String(receiverPort) }, 300_000);
    receiver = rec.child;
    // No HOOKCAST_API_KEY (the test environment sets one): the first start creates an admin key and prints it, as for a newcomer.
    stack = await startStack({ ...startEnv(stackCommand), HOOKCAST_API_KEY: '' });
    const key = /created an admin API key[^\n]*\n\[hookcast\]\s+(\S+)/.exec(stack.output())?.[1];
    expect(key, stack.output()).toMatch(/^hk_/);
    const deadline = Date.now() + 60_000;
    while (!rec.output().includes('receiver listening')) {
      if (Date.now() > deadline) throw new Error(`receiver did not start:\n${rec.output()}`);
      await new Promise((r) => setTimeout(r, 100));
    }

    const script = operator
      .replace(/^export KEY=.*$/m, `export KEY=${key}`)
      .replaceAll('http://127.0.0.1:3000/', `${stack.api}/`)
      .replaceAll('http://127.0.0.1:4000/', `http://127.0.0.1:${receiverPort}/`);
    // -e and pipefail: a command that fails (curl --fail-with-body on a 4xx) stops the script, as a careful reader would.
    const operatorRun = run(`set -euo pipefail\n${script}`, {}, 120_000);
    const code = await operatorRun.exited;
    expect(code, operatorRun.output()).toBe(0);
    // The last command: u-1's delivery, sent once and answered 200.
    const last = JSON.parse(operatorRun.output().trim().split('\n').at(-1)!) as { status: string; attemptLog: { httpStatus: number }[] };
    expect(last.status).toBe('succeeded');
    expect(last.attemptLog.map((a) => a.httpStatus)).toEqual([200]);

    // What the receiver printed is what the README shows, and nothing for u-2 or u-3.
    const printed = rec.output();
    expect(printed).toMatch(shownPattern(shown));
    expect(printed.match(/^POST /gm)).toHaveLength(1);
    expect(printed).not.toMatch(/u-2|u-3/);
  }, 400_000);
});

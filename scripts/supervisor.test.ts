import { describe, expect, it } from 'vitest';
import { Supervisor, type Running } from './supervisor.js';

/** A pretend child: `crash()` ends it as a signal would. */
function fakeChild(log: string[], name: string) {
  let crash!: (how: string) => void;
  let stopped = false;
  const running: Running & { crash: (how: string) => void; stopped: () => boolean } = {
    pid: 1000 + log.length,
    exited: new Promise<string>((resolve) => (crash = resolve)),
    async stop() {
      stopped = true;
      log.push(`stop ${name}`);
      crash('SIGTERM');
    },
    crash: (how) => crash(how),
    stopped: () => stopped,
  };
  return running;
}

const until = async (check: () => boolean) => {
  const deadline = Date.now() + 5000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met');
    await new Promise((r) => setTimeout(r, 5));
  }
};

describe('Supervisor', () => {
  it('restarts a crashed child after a doubling delay, saying so each time', async () => {
    const lines: string[] = [];
    const log: string[] = [];
    const started: ReturnType<typeof fakeChild>[] = [];
    const supervisor = new Supervisor({ say: (l) => lines.push(l), giveUp: () => {}, firstDelayMs: 20, maxDelayMs: 60 });
    await supervisor.add('worker', async () => {
      started.push(fakeChild(log, 'worker'));
      return started.at(-1)!;
    });
    for (let i = 1; i <= 3; i += 1) {
      const t0 = Date.now();
      started.at(-1)!.crash('SIGKILL');
      await until(() => started.length === i + 1);
      expect(Date.now() - t0).toBeGreaterThanOrEqual(Math.min(20 * 2 ** (i - 1), 60) - 2);
    }
    expect(lines.filter((l) => l.includes('exited'))).toEqual([
      'worker exited (SIGKILL); restarting in 0.02 s (restart 1 of 5)',
      'worker exited (SIGKILL); restarting in 0.04 s (restart 2 of 5)',
      'worker exited (SIGKILL); restarting in 0.06 s (restart 3 of 5)',
    ]);
    expect(lines).toContain(`worker is back (pid ${started[1]!.pid})`);
    await supervisor.stopAll();
    expect(started.at(-1)!.stopped()).toBe(true);
  });

  it('gives up once a child crashes more often than allowed within the window', async () => {
    const reasons: string[] = [];
    const log: string[] = [];
    let current: ReturnType<typeof fakeChild> | undefined;
    let starts = 0;
    const supervisor = new Supervisor({ say: () => {}, giveUp: (r) => reasons.push(r), firstDelayMs: 1, maxRestarts: 3, windowMs: 10_000 });
    await supervisor.add('API', async () => {
      starts += 1;
      current = fakeChild(log, 'API');
      return current;
    });
    for (let i = 0; i < 4; i += 1) {
      const before = starts;
      current!.crash('code 1');
      if (i < 3) await until(() => starts === before + 1);
    }
    await until(() => reasons.length === 1);
    expect(starts).toBe(4);
    expect(reasons[0]).toBe('API exited (code 1); it crashed 4 times within 10 s, giving up');
    await supervisor.stopAll();
  });

  it('counts a failed restart as a crash and keeps trying', async () => {
    const lines: string[] = [];
    const log: string[] = [];
    let attempts = 0;
    let current: ReturnType<typeof fakeChild> | undefined;
    const supervisor = new Supervisor({ say: (l) => lines.push(l), giveUp: () => {}, firstDelayMs: 1 });
    await supervisor.add('embedded PostgreSQL', async () => {
      attempts += 1;
      if (attempts === 2) throw new Error('port 127.0.0.1:5433 is already in use\nmore detail');
      current = fakeChild(log, 'pg');
      return current;
    });
    current!.crash('SIGKILL');
    await until(() => attempts === 3);
    expect(lines.slice(0, 2)).toEqual([
      'embedded PostgreSQL exited (SIGKILL); restarting in 0.001 s (restart 1 of 5)',
      'embedded PostgreSQL failed to restart (port 127.0.0.1:5433 is already in use); restarting in 0.002 s (restart 2 of 5)',
    ]);
    await supervisor.stopAll();
  });

  it('a stop during a start waits for it and stops what it started', async () => {
    const log: string[] = [];
    let release!: () => void;
    const supervisor = new Supervisor({ say: () => {}, giveUp: () => {} });
    const adding = supervisor.add('Temporal dev server', async () => {
      await new Promise<void>((r) => (release = r));
      return fakeChild(log, 'temporal');
    });
    await new Promise((r) => setTimeout(r, 10));
    const stopping = supervisor.stopAll();
    release();
    await Promise.all([adding, stopping]);
    expect(log).toEqual(['stop temporal']);
    await expect(supervisor.add('worker', async () => fakeChild(log, 'worker'))).rejects.toThrow('not starting worker: stopping');
  });

  it('stops children last-added first and cancels a pending restart', async () => {
    const log: string[] = [];
    const children: Record<string, ReturnType<typeof fakeChild>> = {};
    let restarts = 0;
    const supervisor = new Supervisor({ say: () => {}, giveUp: () => {}, firstDelayMs: 200 });
    for (const name of ['temporal', 'postgres', 'worker', 'api']) {
      await supervisor.add(name, async () => {
        if (children[name]) restarts += 1;
        children[name] = fakeChild(log, name);
        return children[name];
      });
    }
    children.worker!.crash('SIGKILL');
    await new Promise((r) => setTimeout(r, 20));
    await supervisor.stopAll();
    await new Promise((r) => setTimeout(r, 250));
    expect(restarts).toBe(0);
    expect(log).toEqual(['stop api', 'stop postgres', 'stop temporal']);
  });
});

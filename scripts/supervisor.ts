import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { processRunning } from '../lib/process.js';

/** One started child: how to learn that it ended and how to stop it. */
export interface Running {
  pid?: number;
  /** Settles when the child ends, with what ended it (`SIGKILL`, `code 1`). */
  exited: Promise<string>;
  stop(): Promise<void>;
}

export interface SupervisorOptions {
  say: (line: string) => void;
  /** Called once when a child crashes more often than allowed; the caller stops everything. */
  giveUp: (reason: string) => void;
  /** Restarts allowed per child within `windowMs`; one more crash gives up. */
  maxRestarts?: number;
  windowMs?: number;
  firstDelayMs?: number;
  maxDelayMs?: number;
}

interface Child {
  name: string;
  start: () => Promise<Running>;
  current?: Running;
  /** A restart in progress (waiting out its delay or starting). */
  restarting?: Promise<void>;
  crashes: number[];
}

const seconds = (ms: number) => `${ms / 1000} s`;

/**
 * Keeps `npm start`'s children running: a child that ends on its own is
 * started again after an exponential delay, and repeated crashes in a short
 * period give up instead of looping for ever.
 *
 * @example
 * const supervisor = new Supervisor({ say: console.log, giveUp: () => void supervisor.stopAll() });
 * await supervisor.add('worker', () => startWorker());
 * await supervisor.stopAll();
 */
export class Supervisor {
  private readonly children: Child[] = [];
  private stopping = false;
  private wake: (() => void) | undefined;
  private readonly stopped: Promise<void>;
  private readonly options: Required<SupervisorOptions>;

  constructor(options: SupervisorOptions) {
    this.options = { maxRestarts: 5, windowMs: 60_000, firstDelayMs: 500, maxDelayMs: 10_000, ...options };
    this.stopped = new Promise((resolve) => (this.wake = resolve));
  }

  /** Starts a child (a failure here is a start-up failure and is thrown) and supervises it from then on. */
  async add(name: string, start: () => Promise<Running>): Promise<Running> {
    if (this.stopping) throw new Error(`not starting ${name}: stopping`);
    const child: Child = { name, start, crashes: [] };
    this.children.push(child);
    const starting = start();
    // Ctrl-C during a start waits for it, then stops what it started: no orphan.
    child.restarting = starting.then(
      (running) => void (child.current = running),
      () => {},
    );
    const running = await starting;
    if (!this.stopping) this.watch(child, running);
    return running;
  }

  private watch(child: Child, running: Running) {
    void running.exited.then((how) => {
      if (this.stopping || child.current !== running) return;
      child.current = undefined;
      child.restarting = this.restart(child, `${child.name} exited (${how})`);
    });
  }

  private async restart(child: Child, firstWhat: string): Promise<void> {
    const { say, maxRestarts, windowMs, firstDelayMs, maxDelayMs } = this.options;
    for (let what = firstWhat; ; ) {
      const now = Date.now();
      child.crashes = [...child.crashes.filter((t) => now - t < windowMs), now];
      const n = child.crashes.length;
      if (n > maxRestarts) {
        this.options.giveUp(`${what}; it crashed ${n} times within ${seconds(windowMs)}, giving up`);
        return;
      }
      const delay = Math.min(firstDelayMs * 2 ** (n - 1), maxDelayMs);
      say(`${what}; restarting in ${seconds(delay)} (restart ${n} of ${maxRestarts})`);
      await Promise.race([new Promise((r) => setTimeout(r, delay)), this.stopped]);
      if (this.stopping) return;
      let running: Running;
      try {
        running = await child.start();
      } catch (error) {
        if (this.stopping) return;
        what = `${child.name} failed to restart (${error instanceof Error ? error.message.split('\n')[0] : String(error)})`;
        continue;
      }
      if (this.stopping) {
        await running.stop();
        return;
      }
      child.current = running;
      say(`${child.name} is back${running.pid ? ` (pid ${running.pid})` : ''}`);
      this.watch(child, running);
      return;
    }
  }

  /** Stops every child, last added first; pending restarts are cancelled. */
  async stopAll(onError: (name: string, error: unknown) => void = () => {}): Promise<void> {
    this.stopping = true;
    this.wake?.();
    for (const child of [...this.children].reverse()) {
      try {
        await child.restarting;
        await child.current?.stop();
      } catch (error) {
        onError(child.name, error);
      }
    }
  }
}

/**
 * A foreground launcher's supervisor with the stop-everything-then-exit both
 * launchers share: Ctrl-C and SIGTERM stop the children and exit 0; a child
 * that keeps crashing, or a failed start-up, stops the rest and exits 1.
 *
 * @example
 * const launcher = createLauncher(say);
 * launcher.run(main);
 * await launcher.supervisor.add('worker', startWorker);
 */
export function createLauncher(say: (line: string) => void) {
  let stopping = false;
  const supervisor: Supervisor = new Supervisor({
    say,
    giveUp(reason) {
      say(reason);
      void stopAll(1);
    },
  });

  let stopped: Promise<void> | undefined;
  async function stopAll(code: number): Promise<never> {
    // A second Ctrl-C (or a signal relayed twice) waits for the first stop instead of exiting
    // midway, which would leave the children of their own process groups running.
    stopped ??= (async () => {
      stopping = true;
      say('stopping…');
      await supervisor.stopAll((name, error) => say(`  while stopping ${name}: ${String(error)}`));
      say('stopped');
    })();
    await stopped;
    process.exit(code);
  }

  return {
    supervisor,
    stopAll,
    /** True once stopping began: children's farewells are noise then. */
    stopping: () => stopping,
    /** Runs `main` with the signal handlers in place; a start-up that fails stops what it started. */
    run(main: () => Promise<unknown>): Promise<unknown> {
      process.on('SIGINT', () => void stopAll(0));
      process.on('SIGTERM', () => void stopAll(0));
      return main().catch((error: unknown) => {
        if (stopping) return;
        say(`start-up failed: ${error instanceof Error ? error.message : String(error)}`);
        void stopAll(1);
      });
    },
  };
}

/**
 * Servers a launcher starts in their own process groups (so Ctrl-C in the
 * terminal reaches the launcher first) outlive a launcher that was SIGKILLed,
 * holding their ports. Each start records their pids in the data folder; the
 * next start stops what is still running from the same binary.
 *
 * @example
 * const left = leftovers(dataDir, say);
 * await left.stop('temporal-dev', cliPath, 'Temporal dev server');
 * left.record('temporal-dev', started.pid);
 */
export function leftovers(dataDir: string, say: (line: string) => void) {
  const pidFile = (name: string) => {
    mkdirSync(dataDir, { recursive: true });
    return join(dataDir, `${name}.pid`);
  };
  return {
    /** `marker`: an argument only our server has (its data file), so another instance's server with a recycled pid is left alone. */
    async stop(name: string, binary: string, label: string, marker?: string): Promise<void> {
      let pid: number;
      try {
        pid = Number(readFileSync(pidFile(name), 'utf8'));
        // A recycled pid running something else is not ours to stop.
        const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
        if (!cmdline.startsWith(binary) || (marker !== undefined && !cmdline.split('\0').includes(marker))) return;
      } catch {
        return;
      }
      say(`stopping the ${label} left running by an earlier launcher (pid ${pid})`);
      process.kill(pid, 'SIGTERM');
      const deadline = Date.now() + 15_000;
      while (processRunning(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      if (processRunning(pid)) process.kill(pid, 'SIGKILL');
    },
    record(name: string, pid: number | undefined): void {
      if (pid) writeFileSync(pidFile(name), String(pid));
    },
  };
}

import { readFileSync } from 'node:fs';
import type { Logger } from './logger.js';

/**
 * Runs `close` once on SIGINT or SIGTERM, then exits. A second signal exits at once.
 */
export function onShutdown(logger: Logger, close: () => Promise<void>): void {
  let closing = false;
  const handler = (signal: NodeJS.Signals) => {
    if (closing) process.exit(1);
    closing = true;
    logger.info({ signal }, 'shutting down');
    close().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.once('SIGINT', handler);
  process.once('SIGTERM', handler);
}

/**
 * Calls `begin` once on SIGINT or SIGTERM and leaves the exit to the caller
 * (once its work has drained). A second signal exits at once.
 */
export function onSignal(logger: Logger, begin: () => void): void {
  let stopping = false;
  const handler = (signal: NodeJS.Signals) => {
    if (stopping) process.exit(1);
    stopping = true;
    logger.info({ signal }, 'shutting down: finishing work in flight');
    begin();
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
}

/**
 * When started by `npm start`, stdin is a pipe from the launcher: it closes when
 * the launcher dies, even by SIGKILL, and then this process stops too, leaving
 * no orphans.
 */
export function exitWithParent(): void {
  if (process.env.HOOKCAST_SUPERVISED !== '1') return;
  process.stdin.resume();
  process.stdin.on('end', () => process.kill(process.pid, 'SIGTERM'));
}

/** Running, i.e. neither gone nor a zombie (an orphan's reaper may be slow, or absent in a container). */
export function processRunning(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.[0] !== 'Z';
  } catch {
    return false;
  }
}

import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { serve, type ServerType } from '@hono/node-server';
import { chromium, type Browser, type Locator, type Page } from 'playwright-core';
import { build } from 'vite';
import { afterAll, beforeAll, expect } from 'vitest';
import { createApp } from '../api/app.js';
import { createCampaignService } from '../campaigns/store.js';
import { createLogger } from '../lib/logger.js';
import { TEST_API_KEY } from './credentials.js';
import type { TestDatabase } from './database.js';
import { jsonCaller } from './http.js';
import { startReceiver, type Receiver } from './receiver.js';
import type { TestTemporal } from './temporal.js';

/*
 * The browser tests' stack, for a test file (or `npm run screenshots`): the
 * console built by Vite and served by the real API on the file's database and
 * Temporal worker, a loopback receiver, and Debian's Chromium through
 * playwright-core. Plus the few moves every console walk makes.
 */

const root = fileURLToPath(new URL('..', import.meta.url));

export interface ConsoleStack {
  /** The API and console, e.g. http://127.0.0.1:41234. */
  base: string;
  browser: Browser;
  receiver: Receiver;
  /** The API in-process with the test admin key. */
  call: ReturnType<typeof jsonCaller>;
}

/** Builds and serves the console for this file (beforeAll) and stops it all afterwards (afterAll). */
export function useConsole(database: TestDatabase, temporal: TestTemporal): ConsoleStack {
  const stack = {} as ConsoleStack;
  let consoleDir: string | undefined;
  let server: ServerType | undefined;

  beforeAll(async () => {
    consoleDir = mkdtempSync(join(tmpdir(), 'hookcast-console-'));
    await build({ configFile: join(root, 'console/vite.config.ts'), logLevel: 'error', build: { outDir: consoleDir, emptyOutDir: true } });
    const service = createCampaignService({ db: database.db, temporal: temporal.client, taskQueue: temporal.taskQueue, fanOut: { batchSize: 5, window: 3, childrenPerExecution: 4 } });
    const app = createApp({ db: database.db, logger: createLogger('test', 'silent'), campaigns: { service, temporalUiUrl: 'http://localhost:8233', namespace: 'default' }, consoleDir });
    stack.call = jsonCaller(app);
    server = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 });
    await new Promise((resolve) => server!.once('listening', resolve));
    stack.base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    stack.receiver = await startReceiver();
    stack.browser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
  }, 180_000);

  afterAll(async () => {
    await stack.browser?.close();
    await stack.receiver?.close();
    if (server) await new Promise((resolve) => server!.close(resolve));
    if (consoleDir) rmSync(consoleDir, { recursive: true, force: true });
  });

  return stack;
}

/** A new page signed in with the test admin key, as an operator in Shanghai sees the console (zh-CN). */
export async function openConsole(stack: ConsoleStack, options: { timezoneId?: string; height?: number } = {}): Promise<Page> {
  const page = await stack.browser.newPage({ viewport: { width: 1400, height: options.height ?? 1000 }, timezoneId: options.timezoneId ?? 'Asia/Shanghai' });
  await page.goto(stack.base);
  await page.getByTestId('api-key').fill(TEST_API_KEY);
  await page.getByTestId('sign-in').click();
  return page;
}

/** The open drawer (forms open in one). */
export const drawer = '.ant-drawer-open';

/** An antd button by its Chinese words (antd spaces out two-character labels: 保 存). */
export const button = (page: Page, zh: string) => page.getByRole('button', { name: zh }).or(page.getByRole('button', { name: zh.split('').join(' ') }));

/** Picks `option` in the antd select `scope`. */
export async function pick(page: Page, scope: Locator, option: string) {
  // A dropdown still closing would offer the same option twice; on a loaded machine its animation outlasts a second.
  await expect.poll(() => page.locator('.ant-select-dropdown:visible').count(), { timeout: 10_000 }).toBe(0);
  await scope.click();
  await page.locator(`.ant-select-dropdown:visible .ant-select-item-option[title="${option}"]`).click();
}

/** Opens a campaign's detail from the list. */
export async function openCampaign(page: Page, name: string) {
  await page.getByRole('menuitem', { name: '活动' }).click();
  await page.locator('.ant-table-row', { has: page.getByRole('cell', { name, exact: true }) }).getByRole('button', { name: /详\s?情/ }).click();
}

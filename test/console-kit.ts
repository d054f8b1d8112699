import { mkdirSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { serve, type ServerType } from '@hono/node-server';
import { chromium, type Browser, type Locator, type Page } from 'playwright-core';
import { afterAll, beforeAll, expect, inject } from 'vitest';
import { createApp } from '../api/app.js';
import { createCampaignService, type CampaignServiceDeps } from '../campaigns/store.js';
import { createLogger } from '../lib/logger.js';
import { TEST_API_KEY } from './credentials.js';
import type { TestDatabase } from './database.js';
import { jsonCaller } from './http.js';
import { startReceiver, type Receiver } from './receiver.js';
import type { TestTemporal } from './temporal.js';

const root = fileURLToPath(new URL('..', import.meta.url));

/** Where the browser tests save what they saw (docs/screenshots/ is retaken by `npm run screenshots`). */
export const consoleShots = join(root, 'test/screenshots/console');

export interface ConsoleStack {
  /** The console's origin, e.g. http://127.0.0.1:41234. */
  base: string;
  browser: Browser;
  /** The same app called in-process, for setting up and checking through the API. */
  call: ReturnType<typeof jsonCaller>;
  /** A loopback receiver for the channels the test creates; only with `temporal`. */
  receiver: Receiver;
}

/**
 * The operator console against a real stack, for a browser-lane test file:
 * the console as the browser lane's setup built it once (test/global-setup.ts),
 * served by the API on a loopback port over the file's database (and, given
 * `temporal`, its campaign service and a receiver), and headless Chromium.
 * Filled in before the file's tests, closed after them. Also used by
 * `npm run screenshots` (scripts/screenshots.walk.ts). Below it, the few moves
 * every console walk makes.
 */
export function useConsole(
  database: TestDatabase,
  options: { temporal?: TestTemporal; fanOut?: CampaignServiceDeps['fanOut'] } = {},
): ConsoleStack {
  const stack = {} as ConsoleStack;
  let server: ServerType | undefined;

  beforeAll(async () => {
    const { temporal } = options;
    const campaigns = temporal
      ? {
          service: createCampaignService({ db: database.db, temporal: temporal.client, taskQueue: temporal.taskQueue, fanOut: options.fanOut ?? { batchSize: 5, window: 3, childrenPerExecution: 4 } }),
          temporalUiUrl: 'http://localhost:8233',
          namespace: 'default',
        }
      : undefined;
    const app = createApp({ db: database.db, logger: createLogger('test', 'silent'), consoleDir: inject('consoleDir'), ...(campaigns ? { campaigns } : {}) });
    stack.call = jsonCaller(app);
    server = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 });
    await new Promise((resolve) => server!.once('listening', resolve));
    stack.base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    if (temporal) stack.receiver = await startReceiver();
    mkdirSync(consoleShots, { recursive: true });
    stack.browser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
  }, 180_000);

  afterAll(async () => {
    await stack.browser?.close();
    await stack.receiver?.close();
    await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
  });

  return stack;
}

/** A new page signed in with the test admin key, as an operator in Shanghai sees the console (zh-CN); at `path` (e.g. /campaigns/…) when given. */
export async function openConsole(stack: ConsoleStack, options: { timezoneId?: string; height?: number; path?: string } = {}): Promise<Page> {
  const page = await stack.browser.newPage({ viewport: { width: 1400, height: options.height ?? 1000 }, timezoneId: options.timezoneId ?? 'Asia/Shanghai' });
  limitWaits(page);
  await page.goto(`${stack.base}${options.path ?? ''}`);
  await signIn(page);
  return page;
}

/**
 * A step that hangs (a click lost under load, so what it waits for never shows) fails within 20 s with
 * the locator it waited for, instead of the whole test running out of time without saying where.
 */
export function limitWaits(page: Page) {
  page.setDefaultTimeout(20_000);
}

/** Signs in as an operator would: the key goes into the sign-in screen (kept for the browser session). */
export async function signIn(page: Page, key = TEST_API_KEY) {
  await page.getByTestId('api-key').fill(key);
  await page.getByTestId('sign-in').click();
}

/** The open drawer (forms open in one). */
export const drawer = '.ant-drawer-open';

/** An antd button by its Chinese words (antd spaces out two-character labels: 保 存). */
export const button = (scope: Page | Locator, zh: string) => scope.getByRole('button', { name: zh }).or(scope.getByRole('button', { name: zh.split('').join(' ') }));

/**
 * Picks `option` in the antd select `select` (a locator, or a selector of the select itself), and confirms the select
 * shows it. On the lane's shared, often loaded machine a click on an option can land while the dropdown is still
 * moving and be lost (the dropdown closes, the value stays); the pick is then made again, up to three times.
 * A select that keeps no value (one that inserts its pick elsewhere) passes `took`: whether the pick shows where it went.
 */
export async function pick(page: Page, select: Locator | string, option: string, took?: () => Promise<boolean>) {
  const root = typeof select === 'string' ? page.locator(select) : select;
  // Pinned to the element, so a select appearing before it once the pick re-renders the form cannot be read instead.
  const element = await root.elementHandle();
  if (!element) throw new Error(`pick ${option}: no select`);
  const item = page.locator(`.ant-select-dropdown:visible .ant-select-item-option[title="${option}"]`);
  let words = '';
  // The option's own words shown as the value (antd 6: the label is the text of .ant-select-content) or as one of the
  // values (a multiple select's tags).
  const shows = took ?? (async () => {
    if (!(await element.evaluate((node) => node.isConnected))) return true; // the pick re-rendered the form
    return element.$$eval('.ant-select-content, .ant-select-selection-item-content', (shown, w) => shown.some((s) => (s.textContent ?? '').trim() === w), words);
  });
  for (let attempt = 1; ; attempt += 1) {
    // A dropdown still closing would offer the same option twice; its animation can outlast seconds here.
    await expect.poll(() => page.locator('.ant-select-dropdown:visible').count(), { timeout: 15_000 }).toBe(0);
    await element.click();
    // A click on the select lost under load opens no dropdown: try again rather than wait out the page's timeout.
    const shown = await item.textContent({ timeout: 5_000 }).catch(() => null);
    if (shown === null) {
      if (attempt === 3) throw new Error(`pick ${option}: no dropdown offered it after ${attempt} tries`);
      console.warn(`pick ${option}: no dropdown offered it (attempt ${attempt}); clicking again`);
      if ((await page.locator('.ant-select-dropdown:visible').count()) > 0) await page.keyboard.press('Escape');
      continue;
    }
    words = shown.trim();
    await item.click();
    const deadline = Date.now() + 3_000;
    while (!(await shows()) && Date.now() < deadline) await page.waitForTimeout(50);
    if (await shows()) return;
    if (attempt === 3) throw new Error(`pick ${option}: the select still does not show it after ${attempt} tries`);
    console.warn(`pick ${option}: the click was lost (attempt ${attempt}); picking again`);
    if ((await page.locator('.ant-select-dropdown:visible').count()) > 0) await page.keyboard.press('Escape');
  }
}

/**
 * Runs an operator control (pause, resume, cancel) from a campaign's detail page: its button, then the popover's
 * confirm. Like a pick, the confirm's click can be lost on a loaded machine while the popover still moves in; the
 * control is then given again (up to three times) until the page shows the campaign's status change. The caller
 * asserts which status it reaches.
 */
export async function runControl(page: Page, action: 'pause' | 'resume' | 'cancel') {
  const shown = () => page.getByTestId('campaign-status').getAttribute('data-status');
  const before = await shown();
  for (let attempt = 1; ; attempt += 1) {
    await page.getByTestId(`control-${action}`).click();
    await page.locator('.ant-popover:visible .ant-btn-primary').click();
    const deadline = Date.now() + 8_000;
    while ((await shown()) === before && Date.now() < deadline) await page.waitForTimeout(100);
    // Given, or the button went with the status it acts on (the control took, the page has yet to show it).
    if ((await shown()) !== before || (await page.getByTestId(`control-${action}`).count()) === 0) return;
    if (attempt === 3) throw new Error(`${action}: the campaign still shows ${before} after ${attempt} tries`);
    console.warn(`${action}: the confirm was lost (attempt ${attempt}); giving the control again`);
    if ((await page.locator('.ant-popover:visible').count()) > 0) await page.keyboard.press('Escape');
  }
}

/** Opens a campaign's detail from the list. */
export async function openCampaign(page: Page, name: string) {
  await page.getByRole('menuitem', { name: '活动' }).click();
  await page.locator('.ant-table-row', { has: page.getByRole('cell', { name, exact: true }) }).getByRole('button', { name: /详\s?情/ }).click();
}

import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_API_KEY } from './credentials.js';
import { useTestDatabase } from './database.js';
import { signIn, useConsole } from './console-kit.js';

/*
 * Issue 17: the console and /api/docs under a strict Content-Security-Policy
 * in a real browser (Debian's Chromium through playwright-core): nothing they
 * need is blocked (no CSP violation, no console error), another origin cannot
 * frame them, and API answers are not cached. Also the audit screen, in both
 * languages.
 */

const database = useTestDatabase();
const ui = useConsole(database);
let framer: Server;

beforeAll(async () => {
  // Another origin (another port) that tries to frame the console.
  framer = createServer((_, res) => res.end(`<!doctype html><iframe id="victim" src="${ui.base}/" width="800" height="600"></iframe>`));
  await new Promise<void>((resolve) => framer.listen(0, '127.0.0.1', resolve));
});

afterAll(async () => {
  await new Promise((resolve) => framer?.close(resolve));
});

/** A page that records every CSP violation (through a listener the page's own CSP does not govern) and console error. */
async function watchedPage(): Promise<{ page: Page; problems: string[] }> {
  const page = await ui.browser.newPage({ viewport: { width: 1400, height: 900 } });
  const problems: string[] = [];
  // As a string: this file is type-checked for Node, not the browser.
  await page.addInitScript(`document.addEventListener('securitypolicyviolation', (e) => console.error('CSP violation: ' + e.violatedDirective + ' ' + e.blockedURI + ' ' + e.sample));`);
  page.on('console', (message) => {
    // A refused key's 401 is logged by the browser as a failed resource, antd logs its deprecations as errors: neither is blocked content.
    if (message.type() === 'error' && !/Failed to load resource: the server responded with a status of 401|^Warning: \[antd/.test(message.text())) problems.push(message.text());
  });
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  return { page, problems };
}

describe('the console under its Content-Security-Policy', () => {
  it('signs in (after a refused key), shows every screen, its forms and the audit trail in both languages, with nothing blocked', async () => {
    await ui.call('POST', '/api/channels', { name: 'audited', url: 'https://hooks.example/x', auth: { type: 'none' } });
    const { page, problems } = await watchedPage();
    const answer = await page.goto(ui.base);
    const csp = answer!.headers()['content-security-policy']!;
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toMatch(/script-src[^;]*(unsafe-inline|unsafe-eval)/);
    expect(answer!.headers()['x-frame-options']).toBe('DENY');
    expect(answer!.headers()['x-content-type-options']).toBe('nosniff');

    // A wrong key: the error message (a notification rendered outside the app) needs its styles too.
    await signIn(page, 'hk_wrong-key-000000000000000000000000000000000');
    await page.getByTestId('unauthorized').waitFor();
    await signIn(page);
    await page.getByText('audited').waitFor();
    await page.getByRole('button', { name: /新建渠道/ }).click();
    await page.locator('.ant-drawer-open').waitFor();
    await page.keyboard.press('Escape');
    await page.getByRole('menuitem', { name: '用户分群' }).click();
    await page.getByRole('menuitem', { name: '操作审计' }).click();
    const created = page.locator('[data-testid=audit-table] tr[data-action=created]');
    await created.first().waitFor();
    expect(await created.first().textContent()).toContain('test admin');
    expect(await created.first().textContent()).toContain('创建');
    await page.getByTestId('language').click();
    await page.getByRole('heading', { name: 'Audit trail' }).waitFor();
    expect(await created.first().textContent()).toContain('created');
    // Styles really apply (antd writes them at run time): the table header is styled, not bare.
    const headerWeight = await page.locator('[data-testid=audit-table] th').first().evaluate((th) => th.ownerDocument.defaultView!.getComputedStyle(th).fontWeight);
    expect(Number(headerWeight)).toBeGreaterThanOrEqual(500);
    expect(problems).toEqual([]);
    await page.close();
  }, 120_000);

  it('serves /api/docs (Swagger UI from its own files) with nothing blocked', async () => {
    const { page, problems } = await watchedPage();
    await page.goto(`${ui.base}/api/docs`);
    await page.locator('.swagger-ui .info .title').waitFor({ timeout: 30_000 });
    expect(await page.locator('.swagger-ui .info .title').textContent()).toContain('hookcast');
    await page.locator('.opblock').first().waitFor();
    expect(await page.locator('.opblock').count()).toBeGreaterThan(20);
    expect(problems).toEqual([]);
    await page.close();
  }, 60_000);

  it('cannot be framed by another origin', async () => {
    const page = await ui.browser.newPage();
    await page.goto(`http://127.0.0.1:${(framer.address() as AddressInfo).port}/`);
    // The frame's load (or its refusal) is part of the page's load; then time for the console's script to render.
    await page.waitForLoadState('load');
    await page.waitForTimeout(1_500);
    const frame = page.frames().find((f) => f !== page.mainFrame());
    const shown = frame ? await frame.locator('[data-testid=api-key]').count().catch(() => 0) : 0;
    expect(shown).toBe(0);
    await page.close();
  }, 60_000);

  it('answers the API with no-store', async () => {
    for (const path of ['/api/channels', '/api/openapi.json', '/api/nothing-here']) {
      const res = await fetch(`${ui.base}${path}`, { headers: { authorization: `Bearer ${TEST_API_KEY}` } });
      expect(res.headers.get('cache-control'), path).toBe('no-store');
    }
  });
});

import { join } from 'node:path';
import type { Locator, Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { insertUsers } from '../audience/fixtures.js';
import { insertSegment } from './campaign-kit.js';
import { consoleShots, drawer, openConsole, pick, useConsole } from './console-kit.js';
import { useTestDatabase } from './database.js';
import { useTemporal } from './temporal.js';

/*
 * Issue 19, every screen at its own URL, in Chromium against the real stack
 * (built console, API, PostgreSQL, Temporal with a worker, a loopback
 * receiver): a campaign, a channel, a segment and one run open from a link,
 * also after a reload or a sign-in; back and forward step through screens;
 * the campaign list's search, filters and order live in the URL.
 */
const database = useTestDatabase();
const temporal = useTemporal(database);
const ui = useConsole(database, { temporal });
const shots = consoleShots;

/** A page load on a machine other tests share can take seconds: polls wait up to 15 s unless told. */
const poll = <T>(read: () => T | Promise<T>, timeout = 15_000) => expect.poll(read, { timeout });

/** The path and query the browser shows. */
const where = (page: Page) => {
  const url = new URL(page.url());
  return `${url.pathname}${decodeURIComponent(url.search)}`;
};

/** The campaign names the list shows, top to bottom. */
const listed = (page: Page) => page.locator('[data-testid=campaign-list] [data-testid=campaign-link]').allTextContents();

/** Picks `option` in the antd multiple select `scope`, then closes its dropdown. */
async function pickMany(page: Page, scope: Locator, option: string) {
  await pick(page, scope, option);
  await page.keyboard.press('Escape');
}

/** The attempts the run chart draws, summed over its bars. */
async function chartedAttempts(page: Page): Promise<number> {
  const totals = await page.locator('[data-testid=run-chart-bar]').evaluateAll((bars) => bars.map((b) => Number(b.getAttribute('data-total'))));
  return totals.reduce((a, b) => a + b, 0);
}

type Run = { id: string; status: string; deliveries: { total: number } | null };
const runsOf = async (id: string) => (await ui.call('GET', `/api/campaigns/${id}/runs`)).body.items as Run[];

describe('every screen at its own URL', () => {
  it('a campaign, a channel, a segment and one run open from their links, after a reload and after signing in; back and forward step through screens', async () => {
    await insertUsers(database.db, [{ loginId: 'url-1', attributes: { cohort: 'url' } }, { loginId: 'url-2', attributes: { cohort: 'url' } }]);
    const segment = await insertSegment(database, '链接分群', { attribute: 'cohort', op: 'equals', value: 'url' });
    const channel = (await ui.call('POST', '/api/channels', { name: '链接渠道', url: `${ui.receiver.url}/url`, auth: { type: 'none' }, userAttributeParams: [{ name: 'userid', attribute: '$id', identity: 'login' }] })).body;
    const daily = (await ui.call('POST', '/api/campaigns', {
      name: '每日链接', segmentId: segment.id, channelId: channel.id, templateValues: {},
      trigger: { type: 'recurring', schedule: { every: 'day', at: '09:00' }, timeZone: 'Asia/Shanghai' },
    })).body;
    const draft = (await ui.call('POST', '/api/campaigns', { name: '草稿链接', segmentId: segment.id, channelId: channel.id, trigger: { type: 'once', sendAt: 'now' } })).body;
    expect((await ui.call('POST', `/api/campaigns/${daily.id}/launch`)).status).toBe(200);
    // Two runs of different sizes: two members, then three.
    expect((await ui.call('POST', `/api/campaigns/${daily.id}/trigger`)).status).toBeLessThan(300);
    await poll(async () => (await runsOf(daily.id)).map((r) => r.status), 60_000).toEqual(['completed']);
    await insertUsers(database.db, [{ loginId: 'url-3', attributes: { cohort: 'url' } }]);
    await new Promise((resolve) => setTimeout(resolve, 1100));
    expect((await ui.call('POST', `/api/campaigns/${daily.id}/trigger`)).status).toBeLessThan(300);
    await poll(async () => (await runsOf(daily.id)).map((r) => r.status), 60_000).toEqual(['completed', 'completed']);
    const runs = await runsOf(daily.id);
    const small = runs.find((r) => r.deliveries?.total === 2)!;
    const large = runs.find((r) => r.deliveries?.total === 3)!;

    // A link to a campaign opened in a tab without a key: the sign-in, then the campaign itself.
    const page = await openConsole(ui, { path: `/campaigns/${daily.id}` });
    await poll(() => page.locator(`${drawer} .ant-drawer-title`).textContent()).toBe('每日链接');
    await poll(() => page.getByTestId('campaign-status').getAttribute('data-status')).not.toBeNull();
    expect(where(page)).toBe(`/campaigns/${daily.id}`);
    // A reload keeps the key (sessionStorage) and the campaign.
    await page.reload();
    await poll(() => page.locator(`${drawer} .ant-drawer-title`).textContent()).toBe('每日链接');
    expect(await page.getByTestId('sign-in-screen').count()).toBe(0);

    // One run by its link: the chart counts that run's attempts; the other run's link switches, back returns.
    await page.goto(`${ui.base}/campaigns/${daily.id}?run=${small.id}`);
    await poll(() => page.getByTestId('run-shown').getAttribute('data-run')).toBe(small.id);
    await poll(() => chartedAttempts(page)).toBe(2);
    expect(await page.locator(`[data-testid=runs] [data-run="${small.id}"]`).getAttribute('data-shown')).toBe('true');
    await page.screenshot({ path: join(shots, 'router-1-run-by-url.png') });
    await page.locator(`[data-testid=runs] [data-run="${large.id}"]`).getByTestId('run-link').click();
    await poll(() => where(page)).toBe(`/campaigns/${daily.id}?run=${large.id}`);
    await poll(() => chartedAttempts(page)).toBe(3);
    await page.goBack();
    await poll(() => page.getByTestId('run-shown').getAttribute('data-run')).toBe(small.id);
    await poll(() => chartedAttempts(page)).toBe(2);
    // Back to the current run: no run in the URL, nothing says a past one is shown.
    await page.getByTestId('run-current').click();
    await poll(() => where(page)).toBe(`/campaigns/${daily.id}`);
    await poll(() => page.getByTestId('run-shown').count()).toBe(0);

    // Closed, a campaign opened from a link goes to the plain list; then screens by the menu and the list, and back and forward through them.
    await page.locator(`${drawer} .ant-drawer-close`).click();
    await poll(() => where(page)).toBe('/campaigns');
    await page.getByRole('menuitem', { name: '渠道' }).click();
    await poll(() => where(page)).toBe('/channels');
    await page.getByRole('menuitem', { name: '活动' }).click();
    await poll(() => where(page)).toBe('/campaigns');
    await page.locator('[data-testid=campaign-link]', { hasText: '草稿链接' }).click();
    await poll(() => where(page)).toBe(`/campaigns/${draft.id}`);
    await page.getByTestId('edit-draft').click();
    await poll(() => where(page)).toBe(`/campaigns/${draft.id}/edit`);
    await poll(() => page.locator(`${drawer} input#name`).inputValue()).toBe('草稿链接');
    // The edit survives a reload too.
    await page.reload();
    await poll(() => page.locator(`${drawer} input#name`).inputValue()).toBe('草稿链接');
    await page.goBack();
    await poll(() => page.locator(`${drawer} .ant-drawer-title`).textContent()).toBe('草稿链接');
    expect(await page.getByTestId('edit-draft').count()).toBe(1);
    await page.goBack();
    await poll(() => where(page)).toBe('/campaigns');
    await poll(() => page.locator(drawer).count()).toBe(0);
    await page.goBack();
    await poll(() => where(page)).toBe('/channels');
    await poll(() => page.locator('.ant-menu-item-selected').textContent()).toBe('渠道');
    await page.goForward();
    await page.goForward();
    await poll(() => page.locator(`${drawer} .ant-drawer-title`).textContent()).toBe('草稿链接');
    // Closing goes back to the list it was opened from.
    await page.locator(`${drawer} .ant-drawer-close`).click();
    await poll(() => where(page)).toBe('/campaigns');

    // A channel and a segment by their links, also after a reload.
    await page.goto(`${ui.base}/channels/${channel.id}`);
    await poll(() => page.locator(`${drawer} input#name`).inputValue()).toBe('链接渠道');
    await page.reload();
    await poll(() => page.locator(`${drawer} input#url`).inputValue()).toBe(`${ui.receiver.url}/url`);
    await page.goto(`${ui.base}/segments/${segment.id}`);
    await poll(() => page.getByTestId('segment-detail').textContent()).toContain('链接分群');
    await poll(() => page.getByTestId('segment-sample-table').textContent()).toContain('url-3');
    // Its edit has an address too.
    await page.getByTestId('segment-edit').click();
    await poll(() => where(page)).toBe(`/segments/${segment.id}/edit`);
    await page.reload();
    await poll(() => page.locator(`${drawer} input#name`).inputValue()).toBe('链接分群');
    // From the list, by name; closing returns to the list.
    await page.locator(`${drawer} .ant-drawer-close`).click();
    await poll(() => where(page)).toBe('/segments');
    await page.locator('[data-testid=segment-link]', { hasText: '链接分群' }).click();
    await poll(() => where(page)).toBe(`/segments/${segment.id}`);
    await poll(() => page.getByTestId('segment-rule-words').textContent()).toBe('cohort 等于 url');
    // A link to nothing says so, in Chinese; one to a deleted campaign too.
    await page.goto(`${ui.base}/nowhere`);
    await poll(() => page.getByTestId('not-found').textContent()).toContain('没有这个页面');
    await page.goto(`${ui.base}/campaigns/00000000-0000-4000-8000-000000000000`);
    await poll(() => page.getByTestId('campaign-missing').textContent()).toContain('找不到');
    await page.close();
  }, 240_000);

  it('the campaign list: search, status and trigger filters and the order are in the URL, survive a reload, and back and forward step through them', async () => {
    const segment = await insertSegment(database, '筛选分群', { attribute: 'cohort', op: 'equals', value: 'filter' });
    const channel = (await ui.call('POST', '/api/channels', { name: '筛选渠道', url: `${ui.receiver.url}/filter`, auth: { type: 'none' }, userAttributeParams: [{ name: 'userid', attribute: '$id', identity: 'login' }] })).body;
    const create = async (name: string, trigger: unknown) => (await ui.call('POST', '/api/campaigns', { name, segmentId: segment.id, channelId: channel.id, trigger })).body as { id: string };
    const later = new Date(Date.now() + 30 * 86_400_000).toISOString();
    // Created in this order: the plain list shows them newest first.
    const sale = await create('春节大促', { type: 'once', sendAt: later });
    await create('春节预热', { type: 'once', sendAt: later });
    await create('春节签到', { type: 'recurring', schedule: { every: 'day', at: '09:00' }, timeZone: 'Asia/Shanghai' });
    const countdown = await create('春节倒计时', { type: 'once', sendAt: later });
    expect((await ui.call('POST', `/api/campaigns/${countdown.id}/launch`)).status).toBe(200);
    await create('会员日', { type: 'event', event: 'add_to_cart' });

    const page = await openConsole(ui, { path: '/campaigns' });
    await poll(() => listed(page)).toContain('会员日');
    await page.getByPlaceholder('按名称搜索').fill('春节');
    await poll(() => where(page)).toBe('/campaigns?q=春节');
    await poll(() => listed(page)).toEqual(['春节倒计时', '春节签到', '春节预热', '春节大促']);
    await pickMany(page, page.getByTestId('campaign-status-filter'), '草稿');
    await poll(() => where(page)).toBe('/campaigns?q=春节&status=draft');
    await poll(() => listed(page)).toEqual(['春节签到', '春节预热', '春节大促']);
    await pickMany(page, page.getByTestId('campaign-trigger-filter'), '单次');
    await poll(() => where(page)).toBe('/campaigns?q=春节&status=draft&trigger=once');
    await poll(() => listed(page)).toEqual(['春节预热', '春节大促']);
    // Sorted by name, A to Z (pinyin: 大 da before 预 yu).
    await pick(page, page.getByTestId('campaign-sort'), '按名称 A→Z');
    await poll(() => where(page)).toBe('/campaigns?q=春节&status=draft&trigger=once&sort=name&order=asc');
    await poll(() => listed(page)).toEqual(['春节大促', '春节预热']);
    const total = (await ui.call('GET', '/api/campaigns')).body.items.length as number;
    expect(await page.getByTestId('campaign-count').textContent()).toBe(`显示 2 / ${total} 个活动`);
    await page.screenshot({ path: join(shots, 'router-2-filtered-list.png') });

    // A reload shows the same list: the search box, the chosen filters, the order.
    await page.reload();
    await poll(() => listed(page)).toEqual(['春节大促', '春节预热']);
    expect(await page.getByPlaceholder('按名称搜索').inputValue()).toBe('春节');
    expect(await page.getByTestId('campaign-status-filter').locator('.ant-select-selection-item-content').allTextContents()).toEqual(['草稿']);
    expect(await page.getByTestId('campaign-trigger-filter').locator('.ant-select-selection-item-content').allTextContents()).toEqual(['单次']);
    expect(await page.getByTestId('campaign-sort').textContent()).toBe('按名称 A→Z');

    // A campaign opened from the filtered list closes back to it.
    await page.locator('[data-testid=campaign-link]', { hasText: '春节大促' }).click();
    await poll(() => where(page)).toBe(`/campaigns/${sale.id}`);
    await page.locator(`${drawer} .ant-drawer-close`).click();
    await poll(() => where(page)).toBe('/campaigns?q=春节&status=draft&trigger=once&sort=name&order=asc');
    await poll(() => listed(page)).toEqual(['春节大促', '春节预热']);

    // Back steps through the campaign opened, then undoes the order, then the trigger filter; forward redoes them.
    await page.goBack();
    await poll(() => page.locator(`${drawer} .ant-drawer-title`).textContent()).toBe('春节大促');
    await page.goBack();
    await poll(() => page.locator(drawer).count()).toBe(0);
    await poll(() => listed(page)).toEqual(['春节大促', '春节预热']);
    await page.goBack();
    await poll(() => where(page)).toBe('/campaigns?q=春节&status=draft&trigger=once');
    await poll(() => listed(page)).toEqual(['春节预热', '春节大促']);
    await page.goBack();
    await poll(() => listed(page)).toEqual(['春节签到', '春节预热', '春节大促']);
    expect(await page.getByTestId('campaign-trigger-filter').locator('.ant-select-selection-item-content').count()).toBe(0);
    await page.goForward();
    await page.goForward();
    await poll(() => listed(page)).toEqual(['春节大促', '春节预热']);

    // By status, ended and live ones before drafts; clearing the filters keeps the order.
    await page.getByTestId('campaign-filters-clear').click();
    await poll(() => where(page)).toBe('/campaigns?sort=name&order=asc');
    await pick(page, page.getByTestId('campaign-sort'), '按状态（已结束在前）');
    await poll(() => where(page)).toBe('/campaigns?sort=status&order=desc');
    await poll(async () => (await listed(page)).filter((name) => name.startsWith('春节'))).toEqual(['春节倒计时', '春节签到', '春节预热', '春节大促']);
    // In English the same URL reads in English.
    await page.getByTestId('language').click();
    await poll(() => page.getByPlaceholder('Search by name').count()).toBe(1);
    await page.getByTestId('language').click();
    await page.close();
  }, 180_000);
});

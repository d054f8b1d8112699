import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import type { Page } from 'playwright-core';
import { Webhook } from 'standardwebhooks';
import { describe, expect, it } from 'vitest';
import { insertEvents, insertUsers, recordAttributeTypes } from '../audience/fixtures.js';
import { workflowIds } from '../contracts/workflow-ids.js';
import { insertSegment } from './campaign-kit.js';
import { freePort } from './ports.js';
import { useTestDatabase } from './database.js';
import { useTemporal } from './temporal.js';
import { button, consoleShots, drawer, pick, limitWaits, runControl, signIn, useConsole } from './console-kit.js';

/*
 * The operator console in a real browser (Debian's Chromium through
 * playwright-core) against the real stack: the built console served by the
 * API, PostgreSQL, the Temporal dev server with a worker, a loopback receiver.
 */
const database = useTestDatabase();
const temporal = useTemporal(database);
const ui = useConsole(database, { temporal, fanOut: { batchSize: 5, window: 3, childrenPerExecution: 4 } });
const shots = consoleShots;

/** The operator works from Berlin; campaigns speak Asia/Shanghai, so every time shows in both. */
const OPERATOR_ZONE = 'Europe/Berlin';
const clockIn = (iso: string, zone: string) =>
  new Intl.DateTimeFormat('sv-SE', { timeZone: zone, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit' }).format(new Date(iso));

/** The attempts the run chart draws, summed over its bars. */
async function chartedAttempts(page: Page): Promise<number> {
  const totals = await page.locator('[data-testid=run-chart-bar]').evaluateAll((bars) => bars.map((b) => Number(b.getAttribute('data-total'))));
  return totals.reduce((a, b) => a + b, 0);
}

/** Content the console's CSP blocked on any page of these flows (there must be none: test/console-hardening.test.ts). */
const blocked: string[] = [];

/** The kit's signed-in page, but for the operator in Berlin, and recording what the CSP blocks (its listener must be in place before the first load). */
async function openConsole(): Promise<Page> {
  const page = await ui.browser.newPage({ viewport: { width: 1400, height: 1000 }, timezoneId: OPERATOR_ZONE });
  limitWaits(page);
  await page.addInitScript(`document.addEventListener('securitypolicyviolation', (e) => console.error('CSP violation: ' + e.violatedDirective + ' ' + e.blockedURI));`);
  page.on('console', (message) => {
    if (message.type() === 'error' && /CSP violation|Content Security Policy/.test(message.text())) blocked.push(message.text());
  });
  await page.goto(ui.base);
  await signIn(page);
  return page;
}

/** Whether a received Standard Webhooks request carries a signature made with `secret`. */
function signedWith(secret: string, request: { body: string; headers: Record<string, unknown> }) {
  const h = (name: string) => String(request.headers[name]);
  try {
    new Webhook(secret).verify(request.body, { 'webhook-id': h('webhook-id'), 'webhook-timestamp': h('webhook-timestamp'), 'webhook-signature': h('webhook-signature') });
    return true;
  } catch {
    return false;
  }
}

describe('operator console', () => {
  it('story 1 end to end: channel, test, segment with preview, campaign live to completion, one user looked up', async () => {
    // 12 gold VIPs who added to cart yesterday; one silver VIP who did too (not a member).
    await recordAttributeTypes(database.db, { vip_level: 'string' });
    const yesterday = new Date(Date.now() - 24 * 3600_000).toISOString();
    const ids = await insertUsers(database.db, Array.from({ length: 12 }, (_, i) => ({ loginId: `u-${i}`, attributes: { vip_level: 'gold' } })));
    const [silver] = await insertUsers(database.db, [{ loginId: 'silver', attributes: { vip_level: 'silver' } }]);
    for (const id of [...ids, silver!]) await insertEvents(database.db, id, [['add_to_cart', yesterday]]);

    const page = await openConsole();
    await page.getByRole('button', { name: '新建渠道' }).click();
    await page.getByLabel('名称').fill('白鸽卡券中心');
    await page.getByLabel('请求地址').fill(ui.receiver.url);
    await page.getByTestId('add-userAttributeParams').click();
    await page.locator(`${drawer} [data-testid=userAttributeParams] input`).nth(0).fill('user_id');
    // The user's id is picked (用户登录 ID is the default choice), not typed as $id.
    expect(await page.getByTestId('source-0').textContent()).toContain('用户登录 ID');
    await page.getByTestId('add-templateParams').click();
    await page.locator(`${drawer} [data-testid=templateParams] input`).nth(0).fill('amount');
    await page.locator(`${drawer} [data-testid=templateParams] input`).nth(1).fill('优惠券金额');
    await pick(page, page.locator(`${drawer} [data-testid=templateParams] .ant-select`).nth(0), '整数');
    await page.locator(`${drawer} [data-testid=templateParams] input`).nth(3).fill('50');
    await page.getByRole('button', { name: '测 试' }).or(page.getByRole('button', { name: '测试' })).click();
    await expect.poll(() => page.getByTestId('verdict').textContent()).toContain('端点返回 200');
    const tested = ui.receiver.requests.at(-1)!;
    expect(JSON.parse(tested.body)).toMatchObject({ amount: 50 });
    await page.screenshot({ path: join(shots, 'story1-1-channel-test.png') });
    await button(page, '保存').click();
    await expect.poll(() => page.getByTestId('revealed-secret').textContent()).toMatch(/^whsec_/);
    await page.getByRole('button', { name: '知道了' }).or(page.getByRole('button', { name: '知 道 了' })).click();
    await expect.poll(() => page.locator('.ant-table-row').count()).toBe(1);

    await page.getByRole('menuitem', { name: '用户分群' }).click();
    await page.getByRole('button', { name: '新建分群' }).click();
    await page.getByLabel('名称').fill('gold VIP, added to cart yesterday, no order');
    // The builder starts empty: each condition is added, none is pre-filled.
    await page.getByTestId('rule-add').click();
    await page.locator('[data-testid=rule-row-0] [data-testid=attribute-name]').fill('vip_level');
    await page.locator('[data-testid=rule-row-0] [data-testid=attribute-value]').fill('gold');
    await page.getByTestId('rule-add').click();
    await pick(page, page.locator('[data-testid=rule-row-1] .ant-select').nth(0), '行为事件');
    await page.locator('[data-testid=rule-row-1] [data-testid=event-name]').fill('add_to_cart');
    await page.locator('[data-testid=rule-row-1] [data-testid=event-name]').blur();
    await pick(page, '[data-testid=rule-row-1] [data-testid=event-window]', '昨天');
    await page.getByTestId('rule-add').click();
    await pick(page, page.locator('[data-testid=rule-row-2] .ant-select').nth(0), '行为事件');
    await pick(page, page.locator('[data-testid=rule-row-2] .ant-select').nth(1), '没有完成过');
    await page.locator('[data-testid=rule-row-2] [data-testid=event-name]').fill('pay_order');
    await page.locator('[data-testid=rule-row-2] [data-testid=event-name]').blur();
    await pick(page, '[data-testid=rule-row-2] [data-testid=event-window]', '自昨天起');
    await expect.poll(() => page.getByTestId('rule-sentence-2').textContent()).toBe('自昨天起没有完成过 pay_order');
    await expect.poll(() => page.getByTestId('segment-preview').locator('.ant-statistic-content-value').first().textContent(), { timeout: 15_000 }).toBe('12');
    await page.screenshot({ path: join(shots, 'story1-2-segment-preview.png') });
    await button(page, '保存').click();
    await expect.poll(() => page.locator('.ant-table-row').count()).toBe(1);

    await page.getByRole('menuitem', { name: '活动' }).click();
    await page.getByRole('button', { name: '新建活动' }).click();
    await page.getByLabel('名称').fill('购物车挽回 100 元券');
    await pick(page, page.locator(`${drawer} .ant-select`).nth(0), 'gold VIP, added to cart yesterday, no order');
    await pick(page, page.locator(`${drawer} .ant-select`).nth(1), '白鸽卡券中心');
    await page.getByTestId('value-amount').fill('100');
    // Preview before saving: rendered for a member of the segment, and nothing sent or saved.
    const requestsBefore = ui.receiver.requests.length;
    await page.getByTestId('render-preview-button').click();
    await expect.poll(() => page.getByTestId('render-preview-body').textContent()).toContain('"amount": 100');
    const previewed = JSON.parse((await page.getByTestId('render-preview-body').textContent())!);
    expect(previewed.user_id).toMatch(/^u-\d+$/);
    expect(await page.getByTestId('render-preview-user').textContent()).toContain(previewed.user_id);
    expect(ui.receiver.requests.length).toBe(requestsBefore);
    expect((await ui.call('GET', '/api/campaigns')).body.items).toEqual([]);
    await page.screenshot({ path: join(shots, 'story1-3-render-preview.png') });
    // Going live asks first (audience, channel, example); an impatient double click on the confirmation: one campaign, one request per user.
    await page.getByRole('button', { name: '上 线' }).or(page.getByRole('button', { name: '上线' })).dblclick();
    await expect.poll(() => page.getByTestId('confirm-audience').getAttribute('data-reach')).toBe('12');
    await expect.poll(() => page.getByTestId('confirm-send').isEnabled()).toBe(true);
    await page.getByTestId('confirm-send').dblclick();
    await expect.poll(() => page.getByTestId('campaign-status').getAttribute('data-status'), { timeout: 60_000 }).toBe('completed');
    expect(JSON.parse((await page.getByTestId('delivery-counts').getAttribute('data-counts'))!)).toMatchObject({ total: 12, succeeded: 12 });
    expect((await ui.call('GET', '/api/campaigns')).body.items.filter((c: { name: string }) => c.name === '购物车挽回 100 元券')).toHaveLength(1);
    // Everyone succeeded: the one bar that shows success.
    expect(await page.getByTestId('detail-bar').getAttribute('data-state')).toBe('success');
    // The chart shows the run's 12 attempts; no failure reasons.
    await expect.poll(() => chartedAttempts(page), { timeout: 10_000 }).toBe(12);
    // Each of the chart's two scales is named: the bars' on the left, the cumulative line's on its own right axis, topped by the run's total.
    expect(await page.getByTestId('run-chart-axis-bars').textContent()).toBe('每格尝试次数');
    expect(await page.getByTestId('run-chart-axis-cumulative').textContent()).toContain('累计尝试次数');
    expect(await page.getByTestId('run-chart-axis-cumulative-top').textContent()).toBe('12');
    expect(await page.getByTestId('rate').isVisible()).toBe(true);
    expect(await page.locator('[data-testid=failure-reasons] .ant-table-row').count()).toBe(0);
    // Launch time in the operator's zone with the campaign's alongside.
    const launchedAt = (await ui.call('GET', '/api/campaigns')).body.items[0].launchedAt as string;
    const launched = await page.getByTestId('launched-at').textContent();
    expect(launched).toContain(`${clockIn(launchedAt, OPERATOR_ZONE)} ${OPERATOR_ZONE}`);
    expect(launched).toContain(`Asia/Shanghai ${clockIn(launchedAt, 'Asia/Shanghai')}`);
    const sent = ui.receiver.requests.filter((r) => JSON.parse(r.body).amount === 100);
    expect(new Set(sent.map((r) => JSON.parse(r.body).user_id)).size).toBe(12);
    expect(sent).toHaveLength(12);
    await page.getByTestId('lookup-input').fill('u-3');
    await page.getByTestId('lookup-button').click();
    await expect.poll(() => page.getByTestId('lookup-status').getAttribute('data-status')).toBe('succeeded');
    // Every attempt: time (both zones), outcome, HTTP status, latency.
    const attempt = page.locator('[data-testid=attempts] .ant-table-row');
    expect(await attempt.count()).toBe(1);
    const attemptText = (await attempt.textContent())!;
    // The outcome in the operator's language (the console opens in Chinese), the raw value kept beside it.
    expect(attemptText).toContain('成功');
    expect(await attempt.locator('[data-status]').getAttribute('data-status')).toBe('succeeded');
    expect(attemptText).toContain('200');
    expect(attemptText).toContain(OPERATOR_ZONE);
    expect(attemptText).toMatch(/\d+ ms/);
    await page.screenshot({ path: join(shots, 'story1-4-campaign-completed.png'), fullPage: true });
    await page.close();
  }, 150_000);

  it('flow 2 (story 3): a daily birthday campaign with a picked {{ user.name }} placeholder, a preview, one run sent now, the runs list', async () => {
    await insertUsers(database.db, Array.from({ length: 3 }, (_, i) => ({ loginId: `bday-${i}`, attributes: { cohort: 'birthday', name: `小雪${i}` } })));
    await insertSegment(database, '今天生日', { attribute: 'cohort', op: 'equals', value: 'birthday' });
    const channel = await ui.call('POST', '/api/channels', {
      name: '生日祝福渠道', url: `${ui.receiver.url}/birthday`, auth: { type: 'none' },
      userAttributeParams: [{ name: 'userid', attribute: '$id', identity: 'login' }, { name: 'username', attribute: 'name', identity: 'login' }],
      templateParams: [{ name: 'message', displayName: '祝福语', type: 'text' }],
    });
    expect(channel.status).toBe(201);

    const page = await openConsole();
    await page.getByRole('menuitem', { name: '活动' }).click();
    await page.getByRole('button', { name: '新建活动' }).click();
    await page.getByLabel('名称').fill('生日快乐');
    await pick(page, page.locator(`${drawer} .ant-select`).nth(0), '今天生日');
    await pick(page, page.locator(`${drawer} .ant-select`).nth(1), '生日祝福渠道');
    await page.getByLabel('周期').check();
    const message = page.getByTestId('value-message');
    await message.fill('亲爱的');
    // The third select is the schedule's time zone picker; the fourth inserts a placeholder.
    await pick(page, page.locator(`${drawer} .ant-select`).nth(3), '{{ user.name }}', async () => (await message.inputValue()).includes('{{ user.name }}'));
    await expect.poll(() => message.inputValue()).toBe('亲爱的{{ user.name }}');
    await message.press('End');
    await page.keyboard.type('，生日快乐！');
    // Render-only preview for a member of the segment: the placeholder filled in, no request sent, nothing saved.
    const birthdayRequests = () => ui.receiver.requests.filter((r) => r.url.startsWith('/birthday')).length;
    await page.getByTestId('render-preview-button').click();
    await expect.poll(() => page.getByTestId('render-preview-body').textContent()).toMatch(/亲爱的小雪\d，生日快乐！/);
    const rendered = JSON.parse((await page.getByTestId('render-preview-body').textContent())!);
    expect(rendered.message).toBe(`亲爱的小雪${rendered.userid.slice(5)}，生日快乐！`);
    // Or for a user the operator names.
    const other = rendered.userid === 'bday-2' ? 'bday-0' : 'bday-2';
    await page.getByTestId('render-preview-as').fill(other);
    await page.getByTestId('render-preview-button').click();
    await expect.poll(() => page.getByTestId('render-preview-user').textContent()).toContain(other);
    expect(JSON.parse((await page.getByTestId('render-preview-body').textContent())!).message).toBe(`亲爱的小雪${other.slice(5)}，生日快乐！`);
    expect(birthdayRequests()).toBe(0);
    expect((await ui.call('GET', '/api/campaigns')).body.items.filter((c: { name: string }) => c.name === '生日快乐')).toEqual([]);
    await page.screenshot({ path: join(shots, 'flow2-1-birthday-form.png') });
    await page.getByRole('button', { name: '上 线' }).or(page.getByRole('button', { name: '上线' })).click();
    await expect.poll(() => page.getByTestId('confirm-send').isEnabled()).toBe(true);
    await page.getByTestId('confirm-send').click();
    await expect.poll(() => page.getByTestId('campaign-status').getAttribute('data-status'), { timeout: 15_000 }).toBe('scheduled');
    // Daily at 09:00 in Shanghai, shown at the operator's Berlin time with Shanghai's alongside.
    await expect.poll(() => page.getByTestId('next-firings').textContent(), { timeout: 15_000 }).toContain('Asia/Shanghai');
    const firing = (await page.getByTestId('next-firings').locator('[data-testid=when]').first().textContent())!;
    expect(firing).toMatch(new RegExp(`^\\d{4}-\\d\\d-\\d\\d \\d\\d:00:00 ${OPERATOR_ZONE} · Asia/Shanghai \\d{4}-\\d\\d-\\d\\d 09:00:00$`));

    await page.getByTestId('preview-user').fill('bday-1');
    await page.getByTestId('preview-button').click();
    await expect.poll(() => page.getByTestId('preview-body').textContent()).toContain('亲爱的小雪1，生日快乐！');
    await page.screenshot({ path: join(shots, 'flow2-2-preview.png') });

    await page.getByTestId('send-once').click();
    await expect.poll(() => page.getByTestId('confirm-send').isEnabled()).toBe(true);
    await page.getByTestId('confirm-send').click();
    const runRow = page.locator('[data-testid=runs] .ant-table-row');
    await expect.poll(() => runRow.count(), { timeout: 15_000 }).toBe(1);
    await expect.poll(() => runRow.first().locator('[data-status]').getAttribute('data-status'), { timeout: 60_000 }).toBe('completed');
    expect(await runRow.first().textContent()).toContain('已完成');
    expect(await runRow.first().textContent()).toContain('手动触发');
    const id = (await ui.call('GET', '/api/campaigns')).body.items.find((c: { name: string }) => c.name === '生日快乐').id as string;
    const runs = await ui.call('GET', `/api/campaigns/${id}/runs`);
    expect(runs.body.items).toHaveLength(1);
    expect(runs.body.items[0]).toMatchObject({ status: 'completed', trigger: 'manual' });
    const sent = ui.receiver.requests.filter((r) => r.url.startsWith('/birthday')).map((r) => JSON.parse(r.body));
    // One preview request to bday-1 plus the run's three.
    expect(sent.filter((b) => b.message === '亲爱的小雪0，生日快乐！')).toHaveLength(1);
    expect(sent.filter((b) => b.message === '亲爱的小雪1，生日快乐！')).toHaveLength(2);
    expect(sent.filter((b) => b.message === '亲爱的小雪2，生日快乐！')).toHaveLength(1);
    await page.screenshot({ path: join(shots, 'flow2-3-runs.png') });
    await page.close();
  }, 120_000);

  it('the create screen\'s weekly, cron and event trigger forms save what they show; a bad cron is shown at its field', async () => {
    await insertSegment(database, 'trigger forms', { attribute: 'cohort', op: 'equals', value: 'nobody' });
    const channel = await ui.call('POST', '/api/channels', { name: 'trigger forms channel', url: `${ui.receiver.url}/forms`, auth: { type: 'none' } });
    expect(channel.status).toBe(201);
    const page = await openConsole();
    const saveDraft = () => page.getByRole('button', { name: '保存草稿' }).click();
    const start = async (name: string, type: string) => {
      await page.getByRole('button', { name: '新建活动' }).click();
      await page.getByLabel('名称').fill(name);
      await pick(page, page.locator(`${drawer} .ant-select`).nth(0), 'trigger forms');
      await pick(page, page.locator(`${drawer} .ant-select`).nth(1), 'trigger forms channel');
      await page.getByLabel(type).check();
    };
    const triggerOf = async (name: string) => (await ui.call('GET', '/api/campaigns')).body.items.find((c: { name: string }) => c.name === name)?.trigger;
    await page.getByRole('menuitem', { name: '活动' }).click();

    await start('每周一五', '周期');
    await page.getByLabel('每周').check();
    await pick(page, page.locator(`${drawer} .ant-select`).nth(2), '周一');
    await page.locator('.ant-select-dropdown:visible .ant-select-item-option[title="周五"]').click();
    // On a loaded machine the second pick can be lost while the list re-renders: pick it again until the select shows it.
    for (let attempt = 0; attempt < 3 && !(await page.getByTestId('week-days').textContent())!.includes('周五'); attempt++) {
      if ((await page.locator('.ant-select-dropdown:visible').count()) > 0) await page.locator('.ant-select-dropdown:visible .ant-select-item-option[title="周五"]').click();
      else await pick(page, page.locator(`${drawer} .ant-select`).nth(2), '周五');
    }
    await expect.poll(() => page.getByTestId('week-days').textContent()).toContain('周五');
    await page.keyboard.press('Escape');
    await page.screenshot({ path: join(shots, 'triggers-1-weekly.png') });
    // Double-clicked: saved once.
    await page.getByRole('button', { name: '保存草稿' }).dblclick();
    await expect.poll(() => triggerOf('每周一五')).toMatchObject({ type: 'recurring', schedule: { every: 'week', on: ['mon', 'fri'], at: '09:00' }, timeZone: 'Asia/Shanghai' });
    await expect.poll(() => page.getByTestId('campaign-status').getAttribute('data-status')).toBe('draft');
    expect((await ui.call('GET', '/api/campaigns')).body.items.filter((c: { name: string }) => c.name === '每周一五')).toHaveLength(1);
    await page.locator(`${drawer} .ant-drawer-close`).click();

    await start('坏 cron', '周期');
    await page.getByLabel('cron 表达式').check();
    await page.getByTestId('cron').fill('every tuesday');
    await saveDraft();
    const cronItem = page.locator(`${drawer} .ant-form-item`, { has: page.getByTestId('cron') });
    await expect.poll(() => cronItem.locator('.ant-form-item-explain-error').count()).toBe(1);
    await page.screenshot({ path: join(shots, 'triggers-2-bad-cron.png') });
    expect(await triggerOf('坏 cron')).toBeUndefined();
    await page.getByTestId('cron').fill('0 9 * * 1-5');
    await saveDraft();
    await expect.poll(() => triggerOf('坏 cron')).toMatchObject({ type: 'recurring', schedule: { cron: '0 9 * * 1-5' } });
    await page.locator(`${drawer} .ant-drawer-close`).click();

    await start('加购两次', '事件触发');
    await page.getByTestId('trigger-event').fill('add_to_cart');
    await page.getByTestId('trigger-times').fill('2');
    // Number + unit: 24 小时 (the window's default unit), 30 分钟 (the delay's).
    await page.getByTestId('trigger-within-n').fill('24');
    await page.getByTestId('trigger-delay-n').fill('30');
    // Only carts worth at least 100 in a listed currency; at most one send a week per user.
    await page.getByTestId('add-where').click();
    await page.getByTestId('where-property-0').fill('price');
    await pick(page, page.locator(`${drawer} [data-testid=trigger-where] .ant-select`).nth(0), 'gte');
    await page.getByTestId('where-value-0').fill('100');
    await page.getByTestId('add-where').click();
    await page.getByTestId('where-property-1').fill('currency');
    await pick(page, page.locator(`${drawer} [data-testid=trigger-where] .ant-select`).nth(1), 'in');
    await page.getByTestId('where-value-1').fill('CNY, USD');
    await page.getByLabel('间隔至少').check();
    await page.getByTestId('trigger-at-most-every-n').fill('7');
    await page.screenshot({ path: join(shots, 'triggers-3-event.png') });
    await saveDraft();
    await expect.poll(() => triggerOf('加购两次')).toEqual({
      type: 'event', event: 'add_to_cart', times: 2, within: 'PT24H', delay: 'PT30M',
      where: [{ property: 'price', op: 'gte', value: 100 }, { property: 'currency', op: 'in', value: ['CNY', 'USD'] }],
      frequency: { atMostEvery: 'P7D' },
    });
    await page.locator(`${drawer} .ant-drawer-close`).click();

    // A bad interval is shown at its field and nothing is saved.
    await start('坏间隔', '事件触发');
    await page.getByTestId('trigger-event').fill('add_to_cart');
    await page.getByLabel('间隔至少').check();
    await page.getByTestId('trigger-at-most-every-n').fill('9999');
    await pick(page, page.locator(`${drawer} [data-testid=trigger-at-most-every] .ant-select`).nth(0), '周');
    await saveDraft();
    const everyItem = page.locator(`${drawer} .ant-form-item`, { has: page.getByTestId('trigger-at-most-every') }).last();
    await expect.poll(() => everyItem.locator('.ant-form-item-explain-error').textContent()).toMatch(/^时长必须在 .+ 到 .+ 之间$|^最多/);
    expect(await triggerOf('坏间隔')).toBeUndefined();
    await page.locator(`${drawer} .ant-drawer-close`).click();

    // A one-time send picked in the operator's zone (Berlin), shown with the campaign's (Shanghai) alongside.
    await start('圣诞节发送', '单次');
    const day = new Date(Date.now() + 30 * 24 * 3600_000).toISOString().slice(0, 10);
    await page.getByTestId('send-at-picker').click();
    await page.getByTestId('send-at-picker').fill(`${day} 20:00:00`);
    await page.keyboard.press('Enter');
    // A click elsewhere closes the picker's panel (Escape would close the drawer too).
    await page.locator(`${drawer} .ant-drawer-title`).click();
    await expect.poll(() => page.getByTestId('send-at-zones').textContent()).toContain(`${day} 20:00:00 ${OPERATOR_ZONE}`);
    await saveDraft();
    await expect.poll(() => triggerOf('圣诞节发送')).toMatchObject({ type: 'once' });
    const sendAt = (await triggerOf('圣诞节发送')).sendAt as string;
    expect(clockIn(sendAt, OPERATOR_ZONE)).toBe(`${day} 20:00:00`);
    expect(await page.getByTestId('send-at').textContent()).toContain(`Asia/Shanghai ${clockIn(sendAt, 'Asia/Shanghai')}`);

    await page.close();
  }, 120_000);

  it('flow 3: pauses and resumes a running campaign from its detail page, and the API agrees', async () => {
    // A receiver that answers /slow after 2.5 s keeps the campaign running while the operator acts: the worker's
    // 32 lanes take five rounds (over 12 s) for 160 users, so a loaded machine's slow clicks still land mid-run.
    const USERS = 160;
    ui.receiver.behave((r) => (r.url.startsWith('/slow') ? { status: 200, delayMs: 2500 } : { status: 200 }));
    await insertUsers(database.db, Array.from({ length: USERS }, (_, i) => ({ loginId: `slow-${i}`, attributes: { cohort: 'slow' } })));
    const segment = await insertSegment(database, 'slow cohort', { attribute: 'cohort', op: 'equals', value: 'slow' });
    const channel = await ui.call('POST', '/api/channels', { name: 'slow receiver', url: `${ui.receiver.url}/slow`, auth: { type: 'none' }, userAttributeParams: [{ name: 'userid', attribute: '$id', identity: 'login' }] });
    const draft = await ui.call('POST', '/api/campaigns', { name: '慢速活动', segmentId: segment.id, channelId: channel.body.id });
    const status = async () => (await ui.call('GET', `/api/campaigns/${draft.body.id}`)).body.status as string;

    // The detail page is open before the launch, so a loaded machine's page load does not eat into the run.
    const page = await openConsole();
    await page.getByRole('menuitem', { name: '活动' }).click();
    await page.locator('.ant-table-row', { hasText: '慢速活动' }).getByRole('button').click();
    await expect.poll(() => page.getByTestId('campaign-status').getAttribute('data-status'), { timeout: 15_000 }).toBe('draft');
    expect((await ui.call('POST', `/api/campaigns/${draft.body.id}/launch`)).status).toBe(200);
    await expect.poll(() => page.getByTestId('campaign-status').getAttribute('data-status'), { timeout: 15_000 }).toBe('running');
    await runControl(page, 'pause');
    await expect.poll(() => page.getByTestId('campaign-status').getAttribute('data-status'), { timeout: 15_000 }).toBe('paused');
    expect(await status()).toBe('paused');
    // Paused means no new requests (a second after the pause, to let batches already dispatched drain).
    const slowRequests = () => ui.receiver.requests.filter((r) => r.url.startsWith('/slow')).length;
    await new Promise((r) => setTimeout(r, 1_000));
    const sentWhilePaused = slowRequests();
    expect(sentWhilePaused).toBeLessThan(USERS);
    await new Promise((r) => setTimeout(r, 2_000));
    expect(slowRequests()).toBe(sentWhilePaused);
    expect(await status()).toBe('paused');
    await page.screenshot({ path: join(shots, 'flow3-1-paused.png') });

    await runControl(page, 'resume');
    await expect.poll(() => page.getByTestId('campaign-status').getAttribute('data-status'), { timeout: 15_000 }).not.toBe('paused');
    expect(['running', 'completed']).toContain(await status());
    await expect.poll(() => page.getByTestId('campaign-status').getAttribute('data-status'), { timeout: 60_000 }).toBe('completed');
    expect(JSON.parse((await page.getByTestId('delivery-counts').getAttribute('data-counts'))!)).toMatchObject({ total: USERS, succeeded: USERS });
    expect(await status()).toBe('completed');
    await page.screenshot({ path: join(shots, 'flow3-2-resumed-completed.png') });
    await page.close();
  }, 180_000);

  it('an event campaign\'s detail shows its queue: events counted, sends waiting and due, and how far behind it is', async () => {
    const [u1, u2, u3] = await insertUsers(database.db, [{ loginId: 'queue-1' }, { loginId: 'queue-2' }, { loginId: 'queue-3' }]);
    const segment = await insertSegment(database, 'queue cohort', { attribute: 'cohort', op: 'notExists' });
    const channel = await ui.call('POST', '/api/channels', { name: 'queue receiver', url: `${ui.receiver.url}/queue`, auth: { type: 'none' }, userAttributeParams: [{ name: 'userid', attribute: '$id', identity: 'login' }] });
    const draft = await ui.call('POST', '/api/campaigns', { name: '加购提醒', segmentId: segment.id, channelId: channel.body.id, trigger: { type: 'event', event: 'add_to_cart', delay: 'PT1H' } });
    const launched = await ui.call('POST', `/api/campaigns/${draft.body.id}/launch`);
    expect(launched.status).toBe(200);
    // Paused, so the queue holds still: five events counted, two sends due for 90 s, one inside its delay.
    expect((await ui.call('POST', `/api/campaigns/${draft.body.id}/pause`)).body.status).toBe('paused');
    // A sending activity still looking for firings when the pause came may claim once more within the worker's
    // cached view of the flag (RUN_CONTROL_CACHE_MS), as documented: the queue holds still once the run has none left.
    const run = temporal.client.workflow.getHandle(workflowIds.eventsRun(draft.body.id));
    await expect.poll(async () => (await run.describe()).raw.pendingActivities?.length ?? 0, { timeout: 15_000 }).toBe(0);
    const runId = launched.body.run.id as string;
    await database.db.execute(sql`UPDATE campaign_runs SET events_counted = 5 WHERE id = ${runId}`);
    await database.db.execute(sql`
      INSERT INTO trigger_firings (run_id, user_id, event_id, due_at) VALUES
        (${runId}, ${u1}, 1, now() - interval '90 seconds'), (${runId}, ${u2}, 2, now() - interval '80 seconds'), (${runId}, ${u3}, 3, now() + interval '1 hour')`);

    const page = await openConsole();
    await page.getByRole('menuitem', { name: '活动' }).click();
    await page.locator('.ant-table-row', { hasText: '加购提醒' }).getByRole('button').click();
    const queue = page.getByTestId('event-queue');
    await expect.poll(() => queue.textContent(), { timeout: 15_000 }).toContain('已计数事件 5');
    expect(await queue.textContent()).toContain('待发送 3');
    expect(await queue.textContent()).toContain('已到期未发 2');
    // The oldest due send has waited at least its 90 s (more on a slow page load).
    expect(Number(/落后 (\d+) 秒/.exec((await page.getByTestId('event-lag').textContent()) ?? '')?.[1])).toBeGreaterThanOrEqual(89);
    await page.screenshot({ path: join(shots, 'event-queue.png') });
    await page.close();
  }, 120_000);

  it('flow 4: bad input is shown at its field and nothing is saved (invalid URL, default of the wrong type, an 11th parameter)', async () => {
    const channelsBefore = (await ui.call('GET', '/api/channels')).body.items.length as number;
    const page = await openConsole();
    await page.getByRole('button', { name: '新建渠道' }).click();
    await page.getByLabel('名称').fill('坏输入渠道');
    await page.getByLabel('请求地址').fill('not a url');
    await page.getByTestId('add-templateParams').click();
    await page.locator(`${drawer} [data-testid=templateParams] input`).nth(0).fill('amount');
    await page.locator(`${drawer} [data-testid=templateParams] input`).nth(1).fill('优惠券金额');
    await pick(page, page.locator(`${drawer} [data-testid=templateParams] .ant-select`).nth(0), '整数');
    await page.locator(`${drawer} [data-testid=templateParams] input`).nth(3).fill('lots');
    await button(page, '保存').click();
    const urlItem = page.locator(`${drawer} .ant-form-item`, { has: page.getByLabel('请求地址') });
    await expect.poll(() => urlItem.locator('.ant-form-item-explain-error').textContent()).toBe('必须是 http:// 或 https:// 开头的地址');
    const defaultItem = page.locator(`${drawer} [data-testid=templateParams] .ant-form-item`, { has: page.getByText('默认值') }).first();
    await expect.poll(() => defaultItem.locator('.ant-form-item-explain-error').textContent()).toBe('默认值必须是整数类型的值');
    await page.screenshot({ path: join(shots, 'flow4-1-field-errors.png') });

    // The add button stops at 10 template parameters; a forced click adds nothing.
    const add = page.getByTestId('add-templateParams');
    for (let i = 1; i < 10; i++) await add.click();
    await expect.poll(() => add.isDisabled()).toBe(true);
    await add.click({ force: true });
    expect(await page.locator(`${drawer} [data-testid=templateParams] > .ant-card-body > .ant-space`).count()).toBe(10);
    await page.screenshot({ path: join(shots, 'flow4-2-limit-10.png') });
    await page.close();

    // Nothing was saved, and the API refuses an 11th parameter for a client that skips the form.
    expect((await ui.call('GET', '/api/channels')).body.items.length).toBe(channelsBefore);
    const templateParams = Array.from({ length: 11 }, (_, i) => ({ name: `p${i}`, displayName: `p${i}`, type: 'text' }));
    const eleventh = await ui.call('POST', '/api/channels', { name: 'eleven', url: ui.receiver.url, auth: { type: 'none' }, templateParams });
    expect(eleventh.status).toBe(400);
    expect(JSON.stringify(eleventh.body.issues)).toContain('templateParams');
    expect((await ui.call('GET', '/api/channels')).body.items.length).toBe(channelsBefore);
  });

  it('edits a secret channel and a basic-auth one: Test sends what the form shows, a name-only save keeps the credentials, text defaults stay as typed', async () => {
    const created = await ui.call('POST', '/api/channels', {
      name: 'edit me', url: `${ui.receiver.url}/edit-a`, auth: { type: 'secret' },
      userAttributeParams: [{ name: 'userid', attribute: '$id', identity: 'login' }],
      templateParams: [{ name: 'code', displayName: '券码', type: 'text' }, { name: 'amount', displayName: '金额', type: 'integer' }],
    });
    const secret = created.body.auth.secret as string;
    const basic = await ui.call('POST', '/api/channels', { name: 'basic edit', url: `${ui.receiver.url}/basic`, auth: { type: 'basic', username: 'gio', password: 's3cret' } });
    const page = await openConsole();
    await page.locator('.ant-table-row', { hasText: 'edit me' }).getByRole('button', { name: /^编\s?辑$/ }).click();
    // The secret input starts empty (the API only shows it masked), its hint names the masked one.
    const secretInput = page.locator(`${drawer} [data-testid=secret-input] input`).or(page.locator(`${drawer} input[data-testid=secret-input]`));
    expect(await secretInput.inputValue()).toBe('');
    expect(await secretInput.getAttribute('placeholder')).toContain(`whsec_********${secret.slice(-4)}`);

    // Unsaved changes: another path, a user attribute with default 00123, text default 007, integer default 50.
    await page.getByLabel('请求地址').fill(`${ui.receiver.url}/edit-b`);
    await page.getByTestId('add-userAttributeParams').click();
    const attributeRow = page.locator(`${drawer} [data-testid=userAttributeParams] > .ant-card-body > .ant-space`).nth(1).locator('input');
    await attributeRow.nth(0).fill('zip');
    await page.getByTestId('source-1').click();
    await page.locator('.ant-select-dropdown:visible .ant-select-item-option[title="用户属性"]').click();
    await page.getByTestId('attribute-1').fill('zip');
    await attributeRow.nth(3).fill('00123');
    const templateRows = page.locator(`${drawer} [data-testid=templateParams] > .ant-card-body > .ant-space`);
    await templateRows.nth(0).locator('input').nth(3).fill('007');
    await templateRows.nth(1).locator('input').nth(3).fill('50');
    const before = ui.receiver.requests.length;
    await button(page, '测试').click();
    await expect.poll(() => page.getByTestId('verdict').textContent()).toContain('端点返回 200');
    expect(ui.receiver.requests.length).toBe(before + 1);
    const tested = ui.receiver.requests.at(-1)!;
    expect(tested.url).toBe('/edit-b');
    expect(JSON.parse(tested.body)).toEqual({ userid: 'sample-login-id', zip: '00123', code: '007', amount: 50 });
    expect(signedWith(secret, tested)).toBe(true);
    // Testing saved nothing.
    expect((await ui.call('GET', `/api/channels/${created.body.id}`)).body.url).toBe(`${ui.receiver.url}/edit-a`);

    await page.getByLabel('名称', { exact: true }).fill('edited');
    await button(page, '保存').click();
    await expect.poll(() => page.locator(drawer).count()).toBe(0);
    const saved = (await ui.call('GET', `/api/channels/${created.body.id}`)).body;
    expect(saved).toMatchObject({ name: 'edited', url: `${ui.receiver.url}/edit-b`, auth: { type: 'secret', secret: `whsec_********${secret.slice(-4)}` } });
    expect(saved.userAttributeParams[1]).toMatchObject({ name: 'zip', default: '00123' });
    expect(saved.templateParams.map((p: { default?: unknown }) => p.default)).toEqual(['007', 50]);
    const sent = await ui.call('POST', `/api/channels/${created.body.id}/test`, {});
    expect(sent.body.verdict).toBe('ok');
    expect(signedWith(secret, ui.receiver.requests.at(-1)!)).toBe(true);

    // Another host needs the credentials again: refused at the secret field, then saved with a fresh secret, shown once.
    await page.locator('.ant-table-row', { hasText: 'edited' }).getByRole('button', { name: /^编\s?辑$/ }).click();
    await page.getByLabel('请求地址').fill('https://hooks.example.invalid/x');
    await button(page, '保存').click();
    const secretItem = page.locator(`${drawer} .ant-form-item`, { has: page.getByLabel('密钥', { exact: true }) });
    await expect.poll(() => secretItem.locator('.ant-form-item-explain-error').textContent()).toContain('请重新填写密钥或密码');
    expect((await ui.call('GET', `/api/channels/${created.body.id}`)).body.url).toBe(`${ui.receiver.url}/edit-b`);
    await page.locator(drawer).getByRole('checkbox').check();
    await button(page, '保存').click();
    await expect.poll(() => page.getByTestId('revealed-secret').textContent()).toMatch(/^whsec_/);
    const fresh = (await page.getByTestId('revealed-secret').textContent())!;
    expect(fresh).not.toBe(secret);
    expect((await ui.call('GET', `/api/channels/${created.body.id}`)).body).toMatchObject({ url: 'https://hooks.example.invalid/x', auth: { secret: `whsec_********${fresh.slice(-4)}` } });
    await page.getByTestId('secret-ok').click();
    await expect.poll(() => page.locator(drawer).count()).toBe(0);

    // Basic auth: a name-only edit keeps the stored password.
    await page.locator('.ant-table-row', { hasText: 'basic edit' }).getByRole('button', { name: /^编\s?辑$/ }).click();
    expect(await page.getByLabel('密码').inputValue()).toBe('');
    await page.getByLabel('名称', { exact: true }).fill('basic edited');
    await button(page, '保存').click();
    await expect.poll(() => page.locator(drawer).count()).toBe(0);
    expect((await ui.call('GET', `/api/channels/${basic.body.id}`)).body.name).toBe('basic edited');
    await ui.call('POST', `/api/channels/${basic.body.id}/test`, {});
    expect(ui.receiver.requests.at(-1)!.headers.authorization).toBe(`Basic ${Buffer.from('gio:s3cret').toString('base64')}`);
    await page.close();
  }, 60_000);

  it('a wrong or revoked API key sends the operator to sign in with a message; signing out forgets the fetched data', async () => {
    await ui.call('POST', '/api/channels', { name: 'key test channel', url: `${ui.receiver.url}/keys`, auth: { type: 'none' } });
    const page = await ui.browser.newPage({ viewport: { width: 1400, height: 1000 }, timezoneId: OPERATOR_ZONE });
    limitWaits(page);
    await page.goto(ui.base);
    await signIn(page, 'hk_not-a-key-0123456789abcdefghijklmnopqrstuvwxyz');
    await expect.poll(() => page.getByTestId('unauthorized').isVisible()).toBe(true);
    expect(await page.getByTestId('sign-in-screen').isVisible()).toBe(true);

    // A key revoked while the operator works: the next save is refused and said so.
    const issued = await ui.call('POST', '/api/keys', { name: 'console operator', scope: 'write' });
    await signIn(page, issued.body.key);
    const row = page.locator('.ant-table-row', { hasText: 'key test channel' });
    await expect.poll(() => row.count()).toBe(1);
    await row.getByRole('button', { name: /^编\s?辑$/ }).click();
    await page.getByLabel('名称', { exact: true }).fill('renamed with a revoked key');
    expect((await ui.call('DELETE', `/api/keys/${issued.body.id}`)).status).toBeLessThan(300);
    await button(page, '保存').click();
    await expect.poll(() => page.getByTestId('unauthorized').isVisible()).toBe(true);
    await page.screenshot({ path: join(shots, 'sign-in-401.png') });
    expect((await ui.call('GET', '/api/channels')).body.items.some((c: { name: string }) => c.name === 'renamed with a revoked key')).toBe(false);

    // Signed in again, the operator is back on the screen the key was refused on: the channel, at its address.
    await signIn(page);
    await expect.poll(() => page.locator('.ant-drawer-open .ant-drawer-title').textContent()).toBe('key test channel');
    await page.locator('.ant-drawer-open .ant-drawer-close').click();
    // Signing out forgets the list: signed in again, it is not shown before the API answers.
    await expect.poll(() => row.count()).toBe(1);
    await page.getByTestId('sign-out').click();
    let release!: () => void;
    const held = new Promise<void>((resolve) => { release = resolve; });
    await page.route('**/api/channels', async (route) => { await held; await route.continue(); });
    await signIn(page);
    await expect.poll(() => page.locator('.ant-table').count()).toBe(1);
    expect(await row.count()).toBe(0);
    release();
    await expect.poll(() => row.count()).toBe(1);
    await page.close();
  });

  it('segment builder: "did E at most N times" in a window of N days, then at any time, with the preview count following', async () => {
    const day = 24 * 3600_000;
    const ago = (days: number) => new Date(Date.now() - days * day).toISOString();
    const ids = await insertUsers(database.db, Array.from({ length: 4 }, (_, i) => ({ loginId: `builder-${i}`, attributes: { cohort: 'builder' } })));
    // builder-0 paid 3 times this week, builder-1 once, builder-2 never, builder-3 twice 20 days ago.
    await insertEvents(database.db, ids[0]!, [['pay_order', ago(1)], ['pay_order', ago(2)], ['pay_order', ago(3)]]);
    await insertEvents(database.db, ids[1]!, [['pay_order', ago(1)]]);
    await insertEvents(database.db, ids[3]!, [['pay_order', ago(20)], ['pay_order', ago(21)]]);

    const page = await openConsole();
    await page.getByRole('menuitem', { name: '用户分群' }).click();
    await page.getByRole('button', { name: '新建分群' }).click();
    await page.getByLabel('名称').fill('paid fewer than twice');
    const row0 = '[data-testid=rule-row-0]';
    await page.getByTestId('rule-add').click();
    await page.locator(`${row0} [data-testid=attribute-name]`).fill('cohort');
    await page.locator(`${row0} [data-testid=attribute-value]`).fill('builder');
    await page.getByTestId('rule-add').click();
    const row = '[data-testid=rule-row-1]';
    await pick(page, page.locator(`${row} .ant-select`).nth(0), '行为事件');
    await page.locator(`${row} [data-testid=event-name]`).fill('pay_order');
    await page.locator(`${row} [data-testid=event-name]`).blur();
    await pick(page, `${row} [data-testid=event-count-op]`, '至多');
    await page.locator(`${row} [data-testid=event-times]`).fill('1');
    await pick(page, `${row} [data-testid=event-window]`, '最近 N 天');
    await page.locator(`${row} [data-testid=event-days]`).fill('14');
    await expect.poll(() => page.getByTestId('rule-sentence-1').textContent()).toBe('最近 14 天内完成过 pay_order 至多 1 次');
    const count = () => page.getByTestId('segment-preview').locator('.ant-statistic-content-value').first().textContent();
    // Fewer than 2 payments in the last 14 days: builder-1, -2 and -3.
    await expect.poll(count, { timeout: 15_000 }).toBe('3');
    await page.screenshot({ path: join(shots, 'segment-1-did-not-twice-14-days.png') });
    await pick(page, `${row} [data-testid=event-window]`, '不限时间');
    // At any time: builder-3's two old payments count too.
    await expect.poll(count, { timeout: 15_000 }).toBe('2');
    await button(page, '保存').click();
    await expect.poll(async () => (await ui.call('GET', '/api/segments')).body.items.find((x: { name: string }) => x.name === 'paid fewer than twice')?.rule).toEqual({
      all: [{ attribute: 'cohort', op: 'equals', value: 'builder' }, { event: 'pay_order', count: { op: 'atMost', value: 1 } }],
    });
    await page.close();
  }, 90_000);

  it('a run where the receiver refuses some users: the detail shows its chart and failure reasons grouped with counts, the list row its progress and counts', async () => {
    // mix-0..2 are refused with 400, mix-3 with 404; two members have no login id and are skipped.
    ui.receiver.behave((r) => {
      if (!r.url.startsWith('/mixed')) return { status: 200 };
      const n = Number((JSON.parse(r.body) as { userid: string }).userid.slice(4));
      return { status: n < 3 ? 400 : n < 4 ? 404 : 200 };
    });
    await insertUsers(database.db, [
      ...Array.from({ length: 10 }, (_, i) => ({ loginId: `mix-${i}`, attributes: { cohort: 'mixed' } })),
      ...Array.from({ length: 2 }, (_, i) => ({ visitorId: `mix-v-${i}`, attributes: { cohort: 'mixed' } })),
    ]);
    const segment = await insertSegment(database, 'mixed cohort', { attribute: 'cohort', op: 'equals', value: 'mixed' });
    const channel = await ui.call('POST', '/api/channels', { name: 'mixed receiver', url: `${ui.receiver.url}/mixed`, auth: { type: 'none' }, userAttributeParams: [{ name: 'userid', attribute: '$id', identity: 'login' }] });
    const draft = await ui.call('POST', '/api/campaigns', { name: '部分失败', segmentId: segment.id, channelId: channel.body.id });
    expect((await ui.call('POST', `/api/campaigns/${draft.body.id}/launch`)).status).toBe(200);

    const page = await openConsole();
    await page.getByRole('menuitem', { name: '活动' }).click();
    await page.locator('.ant-table-row', { hasText: '部分失败' }).getByRole('button').click();
    await expect.poll(() => page.getByTestId('campaign-status').getAttribute('data-status'), { timeout: 60_000 }).toBe('completed');
    expect(JSON.parse((await page.getByTestId('delivery-counts').getAttribute('data-counts'))!)).toMatchObject({ total: 12, succeeded: 6, failed: 4, skipped: 2 });
    // 10 attempts charted (the skipped made none), and the reasons with their counts, largest first.
    await expect.poll(() => chartedAttempts(page), { timeout: 10_000 }).toBe(10);
    const reasons = page.locator('[data-testid=failure-reasons] .ant-table-row');
    await expect.poll(() => reasons.count(), { timeout: 10_000 }).toBe(3);
    const groups = await reasons.evaluateAll((rows) =>
      rows.map((r) => [r.querySelector('[data-testid=failure-reason]')?.textContent, Number(r.querySelector('[data-testid=failure-count]')?.textContent)]),
    );
    expect(groups).toEqual([['端点返回 400', 3], ['成员没有登录 ID', 2], ['端点返回 404', 1]]);
    // Over, but 4 failed: a full bar that does not read as a success.
    expect(await page.getByTestId('detail-bar').getAttribute('data-state')).toBe('exception');
    expect(await page.locator('[data-testid=detail-bar] .ant-progress-status-success, [data-testid=detail-bar] [class*=anticon-check]').count()).toBe(0);
    await page.screenshot({ path: join(shots, 'flow5-failure-reasons.png'), fullPage: true });

    // The same screen in English (the header's switch sits under the open drawer's mask, so the click is dispatched).
    await page.getByTestId('language').dispatchEvent('click');
    await expect.poll(() => page.locator('[data-testid=failure-reason]').first().textContent()).toBe('endpoint answered 400');

    // Back on the list, the finished run's row: a full bar (nobody pending) and the counts, in English, then in Chinese.
    await page.locator('.ant-drawer-open .ant-drawer-close').click();
    const row = page.locator(`.ant-table-row[data-row-key="${draft.body.id}"]`);
    await expect.poll(() => row.getByTestId('list-progress').getAttribute('data-percent')).toBe('100');
    expect(await row.getByTestId('list-progress').getAttribute('title')).toBe('12 of 12 users done');
    expect(await row.locator('[data-testid=list-progress] [role=progressbar]').getAttribute('aria-valuenow')).toBe('100');
    expect(await row.getByTestId('list-bar').getAttribute('data-state')).toBe('exception');
    expect(await row.locator('[data-testid=list-progress] [class*=anticon-check]').count()).toBe(0);
    // Half of it green: the 6 of 12 who succeeded.
    const green = row.locator('[data-testid=list-bar] .ant-progress-track-success');
    expect(await green.evaluate((el) => [el.style.width, el.ownerDocument.defaultView!.getComputedStyle(el).backgroundColor])).toEqual(['50%', 'rgb(82, 196, 26)']);
    expect(JSON.parse((await row.getByTestId('list-counts').getAttribute('data-counts'))!)).toEqual({ total: 12, pending: 0, succeeded: 6, failed: 4, skipped: 2, cancelled: 0, held_out: 0 });
    const tags = () => row.locator('[data-testid=list-counts] .ant-tag').allTextContents();
    await expect.poll(tags).toEqual(['Succeeded 6', 'Failed 4', 'Skipped 2', 'Pending 0']);
    await page.getByTestId('language').click();
    await expect.poll(tags).toEqual(['成功 6', '失败 4', '跳过 2', '待发送 0']);
    expect(await row.getByTestId('list-progress').getAttribute('title')).toBe('12 / 12 人已结束');
    await row.screenshot({ path: join(shots, 'flow5-list-row.png') });
    await page.screenshot({ path: join(shots, 'flow5-list.png') });
    await page.close();
  }, 120_000);

  it('a draft: the channel switched before saving drops the other channel\'s values, a double click saves it once, it goes live from its detail page; a refused launch lists its reasons', async () => {
    await insertUsers(database.db, Array.from({ length: 3 }, (_, i) => ({ loginId: `draft-${i}`, attributes: { cohort: 'draft' } })));
    const segment = await insertSegment(database, '草稿分群', { attribute: 'cohort', op: 'equals', value: 'draft' });
    const userid = [{ name: 'userid', attribute: '$id', identity: 'login' }];
    for (const [name, param] of [['券渠道', { name: 'amount', displayName: '金额', type: 'integer' }], ['留言渠道', { name: 'note', displayName: '留言', type: 'text' }]] as const) {
      expect((await ui.call('POST', '/api/channels', { name, url: `${ui.receiver.url}/drafts`, auth: { type: 'none' }, userAttributeParams: userid, templateParams: [param] })).status).toBe(201);
    }
    const page = await openConsole();
    await page.getByRole('menuitem', { name: '活动' }).click();
    await page.getByRole('button', { name: '新建活动' }).click();
    await page.getByLabel('名称').fill('草稿后上线');
    await pick(page, page.locator(`${drawer} .ant-select`).nth(0), '草稿分群');
    await pick(page, page.locator(`${drawer} .ant-select`).nth(1), '券渠道');
    await page.getByTestId('value-amount').fill('100');
    // Another channel after all: the amount typed for the first one is gone, not sent unseen.
    // On a loaded machine a click can land while the dropdown still opens and be lost (CI saw it): choose again then.
    for (let attempt = 1; !(await page.getByTestId('value-note').isVisible()); attempt++) {
      await pick(page, page.locator(`${drawer} .ant-select`).nth(1), '留言渠道');
      if (attempt < 3) await page.getByTestId('value-note').waitFor({ timeout: 5_000 }).catch(() => {});
      else await page.getByTestId('value-note').waitFor({ timeout: 30_000 });
    }
    await page.getByTestId('value-note').fill('你好');
    await page.getByTestId('render-preview-button').click();
    await expect.poll(() => page.getByTestId('render-preview-body').textContent()).toContain('"note": "你好"');
    expect(await page.getByTestId('render-preview-body').textContent()).not.toContain('amount');
    await page.getByRole('button', { name: '保存草稿' }).dblclick();
    const named = async (name: string) => (await ui.call('GET', '/api/campaigns')).body.items.filter((c: { name: string }) => c.name === name);
    await expect.poll(async () => (await named('草稿后上线')).length).toBe(1);
    await expect.poll(() => page.getByTestId('campaign-status').getAttribute('data-status')).toBe('draft');
    expect((await named('草稿后上线'))[0].templateValues).toEqual({ note: '你好' });

    // A draft offers going live, and nothing that needs a run.
    expect(await page.locator('[data-testid=control-pause], [data-testid=control-resume], [data-testid=control-cancel]').count()).toBe(0);
    await page.getByTestId('control-launch').click();
    await expect.poll(() => page.getByTestId('confirm-audience').getAttribute('data-reach')).toBe('3');
    await expect.poll(() => page.getByTestId('confirm-send').isEnabled()).toBe(true);
    await page.getByTestId('confirm-send').click();
    await expect.poll(() => page.getByTestId('campaign-status').getAttribute('data-status'), { timeout: 60_000 }).toBe('completed');
    expect(JSON.parse((await page.getByTestId('delivery-counts').getAttribute('data-counts'))!)).toMatchObject({ total: 3, succeeded: 3 });
    const bodies = ui.receiver.requests.filter((r) => r.url.startsWith('/drafts')).map((r) => JSON.parse(r.body));
    expect(bodies.map((b) => b.userid).sort()).toEqual(['draft-0', 'draft-1', 'draft-2']);
    expect(bodies.every((b) => b.note === '你好' && !('amount' in b))).toBe(true);
    // Ended: nothing left to control.
    expect(await page.locator('[data-testid^=control-]').count()).toBe(0);
    await page.screenshot({ path: join(shots, 'draft-1-launched-completed.png') });

    // A draft without a channel: going live is refused, and the refusal names the field.
    const bare = await ui.call('POST', '/api/campaigns', { name: '缺渠道的草稿', segmentId: segment.id });
    await page.locator(`${drawer} .ant-drawer-close`).click();
    await page.locator(`.ant-table-row[data-row-key="${bare.body.id}"]`).getByRole('button').click();
    await expect.poll(() => page.getByTestId('campaign-status').getAttribute('data-status'), { timeout: 15_000 }).toBe('draft');
    // Nothing to estimate without a channel: the launch is asked for at once and refused with its reasons, in Chinese.
    await page.getByTestId('control-launch').click();
    await expect.poll(() => page.getByTestId('launch-refusal').textContent()).toContain('channelId');
    expect(await page.getByTestId('launch-refusal').textContent()).toContain('上线前必须填写');
    expect(await page.getByTestId('launch-refusal').textContent()).toContain('无法上线');
    expect((await ui.call('GET', `/api/campaigns/${bare.body.id}`)).body.status).toBe('draft');
    await page.screenshot({ path: join(shots, 'draft-2-launch-refused.png') });
    await page.close();
  }, 120_000);

  it('a campaign the circuit breaker paused shows why; cancelled, its bars do not read as a success', async () => {
    // Nothing listens on this port: every attempt is refused.
    const down = await freePort();
    await insertUsers(database.db, Array.from({ length: 30 }, (_, i) => ({ loginId: `trip-${i}`, attributes: { cohort: 'trip' } })));
    const segment = await insertSegment(database, 'trip cohort', { attribute: 'cohort', op: 'equals', value: 'trip' });
    const channel = await ui.call('POST', '/api/channels', { name: 'down endpoint', url: `http://127.0.0.1:${down}/down`, auth: { type: 'none' }, userAttributeParams: [{ name: 'userid', attribute: '$id', identity: 'login' }] });
    const draft = await ui.call('POST', '/api/campaigns', { name: '熔断活动', segmentId: segment.id, channelId: channel.body.id });
    expect((await ui.call('POST', `/api/campaigns/${draft.body.id}/launch`)).status).toBe(200);

    const page = await openConsole();
    await page.getByRole('menuitem', { name: '活动' }).click();
    await page.locator(`.ant-table-row[data-row-key="${draft.body.id}"]`).getByRole('button').click();
    await expect.poll(() => page.getByTestId('campaign-status').getAttribute('data-status'), { timeout: 60_000 }).toBe('paused');
    // In the operator's language; the API's English on hover.
    await expect.poll(() => page.getByTestId('pause-reason').textContent()).toMatch(/^熔断：最近 \d+ 次尝试中 \d+ 次失败（连接被拒绝 ×\d+）$/);
    expect(await page.getByTestId('pause-reason').getAttribute('title')).toMatch(/^circuit breaker: endpoint failed \d+ of the last \d+ attempts \(refused ×\d+\)$/);
    const reasonLabel = page.locator('.ant-descriptions-item-label', { hasText: /^暂停原因$/ });
    expect(await reasonLabel.count()).toBe(1);
    expect(await page.locator('[data-testid=control-pause]').count()).toBe(0);
    await page.screenshot({ path: join(shots, 'breaker-1-paused-reason.png') });
    await page.getByTestId('language').dispatchEvent('click');
    await expect.poll(() => page.locator('.ant-descriptions-item-label', { hasText: /^Paused because$/ }).count()).toBe(1);

    await runControl(page, 'cancel');
    // The run closes its users once the deliveries in flight (refused, waiting to retry) have stopped.
    await expect.poll(() => page.getByTestId('campaign-status').getAttribute('data-status'), { timeout: 60_000 }).toBe('cancelled');
    await expect.poll(async () => JSON.parse((await page.getByTestId('delivery-counts').getAttribute('data-counts'))!).pending, { timeout: 15_000 }).toBe(0);
    const counts = JSON.parse((await page.getByTestId('delivery-counts').getAttribute('data-counts'))!);
    expect(counts.succeeded).toBe(0);
    expect(counts.cancelled).toBeGreaterThan(0);
    // Everyone is done, nobody succeeded: a full bar, but no success state and no ✓.
    await expect.poll(() => page.getByTestId('detail-bar').getAttribute('data-state')).toBe('exception');
    expect(await page.locator('[data-testid=detail-bar] .ant-progress-status-success, [data-testid=detail-bar] [class*=anticon-check]').count()).toBe(0);
    expect(await page.locator('[data-testid^=control-]').count()).toBe(0);
    expect(await page.getByTestId('pause-reason').count()).toBe(0);
    await page.screenshot({ path: join(shots, 'breaker-2-cancelled.png') });
    await page.locator('.ant-drawer-open .ant-drawer-close').click();
    const row = page.locator(`.ant-table-row[data-row-key="${draft.body.id}"]`);
    await expect.poll(() => row.getByTestId('list-bar').getAttribute('data-state'), { timeout: 10_000 }).toBe('exception');
    expect(await row.getByTestId('list-progress').getAttribute('data-percent')).toBe('100');
    expect(await row.locator('[data-testid=list-progress] .ant-progress-status-success, [data-testid=list-progress] [class*=anticon-check]').count()).toBe(0);
    await row.screenshot({ path: join(shots, 'breaker-3-list-row.png') });
    await page.close();
  }, 120_000);

  it('erases a user from the lookup after a confirmation naming what goes; the campaign keeps its counts', async () => {
    ui.receiver.behave(() => ({ status: 200 }));
    await insertUsers(database.db, Array.from({ length: 3 }, (_, i) => ({ loginId: `erase-ui-${i}`, attributes: { cohort: 'erase-ui', phone: `1380000000${i}` } })));
    const segment = await insertSegment(database, 'erase ui', { attribute: 'cohort', op: 'equals', value: 'erase-ui' });
    const channel = await ui.call('POST', '/api/channels', { name: 'erase ui', url: `${ui.receiver.url}/erase-ui`, auth: { type: 'none' }, userAttributeParams: [{ name: 'userid', attribute: '$id', identity: 'login' }] });
    const draft = await ui.call('POST', '/api/campaigns', { name: '删除用户活动', segmentId: segment.id, channelId: channel.body.id });
    expect((await ui.call('POST', `/api/campaigns/${draft.body.id}/launch`)).status).toBe(200);
    await expect.poll(async () => (await ui.call('GET', `/api/campaigns/${draft.body.id}`)).body.status, { timeout: 60_000 }).toBe('completed');
    const before = (await ui.call('GET', `/api/campaigns/${draft.body.id}`)).body.deliveries;

    const page = await openConsole();
    await page.getByRole('menuitem', { name: '活动' }).click();
    await page.locator('.ant-table-row', { hasText: '删除用户活动' }).getByRole('button').click();
    // Nothing to erase until a user is named.
    expect(await page.getByTestId('erase-button').isDisabled()).toBe(true);
    await page.getByTestId('lookup-input').fill('erase-ui-1');
    await page.getByTestId('lookup-button').click();
    await expect.poll(() => page.getByTestId('lookup-status').getAttribute('data-status')).toBe('succeeded');
    await page.getByTestId('erase-button').click();
    const confirmation = (await page.getByTestId('erase-confirm-text').textContent())!;
    for (const part of ['erase-ui-1', '资料与属性', '行为事件', '身份关联', '事件触发计数', '只保留计数', '不可撤销']) expect(confirmation).toContain(part);
    await page.screenshot({ path: join(shots, 'erase-1-confirm.png') });
    await page.getByTestId('erase-confirm').click();
    await expect.poll(() => page.locator('.ant-message').textContent(), { timeout: 15_000 }).toContain('已删除');
    // The lookup no longer shows the erased user's deliveries.
    expect(await page.getByTestId('lookup-result').count()).toBe(0);
    expect((await database.db.execute(sql`SELECT 1 FROM users WHERE login_id = 'erase-ui-1'`)).length).toBe(0);
    expect((await ui.call('GET', `/api/campaigns/${draft.body.id}`)).body.deliveries).toEqual(before);
    expect((await ui.call('GET', `/api/campaigns/${draft.body.id}/deliveries/erase-ui-1`)).status).toBe(404);
    await page.close();
  }, 150_000);

  it('switches between Chinese (default) and English and remembers the choice', async () => {
    const page = await openConsole();
    await expect.poll(() => page.getByRole('menuitem').first().textContent()).toBe('渠道');
    await page.getByTestId('language').click();
    await expect.poll(() => page.getByRole('menuitem').first().textContent()).toBe('Channels');
    await page.reload();
    await expect.poll(() => page.getByRole('menuitem').first().textContent()).toBe('Channels');
    await page.close();
  });
});

describe('the console under its Content-Security-Policy', () => {
  it('had nothing blocked in any of the flows above', () => {
    expect(blocked).toEqual([]);
  });
});

import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { insertEvents, insertUsers, recordAttributeTypes } from '../audience/fixtures.js';
import { button, drawer, openConsole, pick, useConsole } from '../test/console-kit.js';
import { useTestDatabase } from '../test/database.js';
import { insertGenerated, recipientsOf, type GeneratedEvent } from '../test/effect-kit.js';
import { useTemporal } from '../test/temporal.js';

/*
 * `npm run screenshots` (scripts/screenshots.config.ts runs this file): the
 * one way the pictures in docs/screenshots/ are made. On a throwaway stack, as
 * the browser tests have it (test/console-kit.ts), an operator in Shanghai
 * walks the seed's story 1 in the console (channel with a test, segment,
 * campaign with a goal and a control group, the question before going live,
 * the finished run and its effect) beside story 3's daily birthday campaign,
 * and each main screen is saved as it looks, in Chinese.
 */
const database = useTestDatabase();
const temporal = useTemporal(database);
const stack = useConsole(database, { temporal });
const out = join(fileURLToPath(new URL('..', import.meta.url)), 'docs/screenshots');

const GOLD = 40;
const shoot = (page: Page, name: string, fullPage = false) => page.screenshot({ path: join(out, `${name}.png`), fullPage });

describe('docs/screenshots', () => {
  it('story 1 and story 3 through the console, each main screen saved', async () => {
    mkdirSync(out, { recursive: true });
    // Story 1's audience: gold VIPs who added to cart yesterday; one silver VIP who did too, and one gold VIP who has paid since.
    await recordAttributeTypes(database.db, { vip_level: 'string', birthday: 'string' });
    const yesterday = new Date(Date.now() - 24 * 3600_000).toISOString();
    const gold = await insertUsers(database.db, Array.from({ length: GOLD }, (_, i) => ({ loginId: `u-${1001 + i}`, attributes: { vip_level: 'gold', birthday: '03-14' } })));
    const [silver, paid] = await insertUsers(database.db, [
      { loginId: 'u-2001', attributes: { vip_level: 'silver' } },
      { loginId: 'u-2002', attributes: { vip_level: 'gold' } },
    ]);
    for (const id of [...gold, silver!, paid!]) await insertEvents(database.db, id, [['add_to_cart', yesterday]]);
    await insertEvents(database.db, paid!, [['pay_order', yesterday]]);

    // Tall enough for a form and its test result in one picture.
    const page = await openConsole(stack, { height: 1300 });

    // The channel form, tested against the coupon system before saving.
    await page.getByRole('button', { name: '新建渠道' }).click();
    await page.getByLabel('名称').fill('白鸽卡券中心');
    await page.getByLabel('请求地址').fill(`${stack.receiver.url}/coupons`);
    await page.getByTestId('add-userAttributeParams').click();
    await page.locator(`${drawer} [data-testid=userAttributeParams] input`).nth(0).fill('userid');
    await page.getByTestId('add-templateParams').click();
    await page.locator(`${drawer} [data-testid=templateParams] input`).nth(0).fill('amount');
    await page.locator(`${drawer} [data-testid=templateParams] input`).nth(1).fill('券面值');
    await pick(page, page.locator(`${drawer} [data-testid=templateParams] .ant-select`).first(), '整数');
    await page.locator(`${drawer} [data-testid=templateParams] input`).nth(3).fill('50');
    await button(page, '测试').click();
    await expect.poll(() => page.getByTestId('verdict').textContent()).toContain('端点返回 200');
    await page.getByTestId('verdict').scrollIntoViewIfNeeded();
    await shoot(page, 'channel-form');
    await button(page, '保存').click();
    await expect.poll(() => page.getByTestId('revealed-secret').textContent()).toMatch(/^whsec_/);
    await button(page, '知道了').click();

    // The segment builder with its preview: gold VIPs, added to cart yesterday, not ordered since.
    await page.getByRole('menuitem', { name: '用户分群' }).click();
    await page.getByRole('button', { name: '新建分群' }).click();
    await page.getByLabel('名称').fill('黄金会员昨日加购未下单');
    // The builder starts empty: each condition is added.
    await page.getByTestId('rule-add').click();
    await page.locator('[data-testid=rule-row-0] [data-testid=attribute-name]').fill('vip_level');
    await page.locator('[data-testid=rule-row-0] [data-testid=attribute-value]').fill('gold');
    await page.getByTestId('rule-add').click();
    await pick(page, page.locator('[data-testid=rule-row-1] .ant-select').first(), '行为事件');
    await page.locator('[data-testid=rule-row-1] [data-testid=event-name]').fill('add_to_cart');
    await page.locator('[data-testid=rule-row-1] [data-testid=event-name]').blur();
    await pick(page, page.locator('[data-testid=rule-row-1] [data-testid=event-window]'), '昨天');
    await page.getByTestId('rule-add').click();
    await pick(page, page.locator('[data-testid=rule-row-2] .ant-select').first(), '行为事件');
    await pick(page, page.locator('[data-testid=rule-row-2] .ant-select').nth(1), '没有完成过');
    await page.locator('[data-testid=rule-row-2] [data-testid=event-name]').fill('pay_order');
    await page.locator('[data-testid=rule-row-2] [data-testid=event-name]').blur();
    await pick(page, page.locator('[data-testid=rule-row-2] [data-testid=event-window]'), '自昨天起');
    await expect.poll(() => page.getByTestId('segment-preview').locator('.ant-statistic-content-value').first().textContent(), { timeout: 15_000 }).toBe(String(GOLD));
    await shoot(page, 'segment-builder');
    await button(page, '保存').click();
    await expect.poll(() => page.locator('.ant-table-row').count()).toBe(1);

    // Story 3 beside it: the daily birthday SMS, live (through the API: its screens are not among the main ones).
    const segmentId = (await stack.call('GET', '/api/segments')).body.items[0].id as string;
    const sms = await stack.call('POST', '/api/channels', {
      name: '短信平台', url: `${stack.receiver.url}/sms`, auth: { type: 'none' },
      userAttributeParams: [{ name: 'userid', attribute: '$id', identity: 'login' }],
      templateParams: [{ name: 'content', displayName: '短信内容', type: 'text' }],
    });
    expect(sms.status, JSON.stringify(sms.body)).toBe(201);
    const birthday = await stack.call('POST', '/api/campaigns', {
      name: '生日祝福短信', segmentId, channelId: sms.body.id, templateValues: { content: '生日快乐！送您一张生日券' },
      trigger: { type: 'recurring', schedule: { every: 'day', at: '09:00' }, timeZone: 'Asia/Shanghai' },
    });
    const launched = await stack.call('POST', `/api/campaigns/${birthday.body.id}/launch`);
    expect(launched.status, JSON.stringify(launched.body)).toBe(200);

    // The campaign form with a goal and a control group, then the question before going live.
    await page.getByRole('menuitem', { name: '活动' }).click();
    await page.getByRole('button', { name: '新建活动' }).click();
    await page.getByLabel('名称').fill('购物车挽回 100 元券');
    await pick(page, page.locator(`${drawer} .ant-select`).nth(0), '黄金会员昨日加购未下单');
    await pick(page, page.locator(`${drawer} .ant-select`).nth(1), '白鸽卡券中心');
    await page.getByTestId('value-amount').fill('100');
    await page.getByTestId('goal-event').fill('pay_order');
    await page.getByTestId('goal-within-n').fill('3');
    await page.getByTestId('holdout-percent').fill('20');
    await button(page, '上线').click();
    await expect.poll(() => page.getByTestId('confirm-audience').getAttribute('data-reach')).not.toBeNull();
    await expect.poll(() => page.getByTestId('confirm-send').isEnabled()).toBe(true);
    // The button fades in from disabled; a picture taken at once shows it half grey.
    await page.waitForTimeout(600);
    await shoot(page, 'confirm-launch');
    await page.getByTestId('confirm-send').click();
    await expect.poll(() => page.getByTestId('campaign-status').getAttribute('data-status'), { timeout: 90_000 }).toBe('completed');

    // Half the sent users order within the window, a fifth of the control group: the effect card has both curves.
    const coupon = ((await stack.call('GET', '/api/campaigns')).body.items as { id: string; name: string }[]).find((c) => c.name === '购物车挽回 100 元券')!;
    const run = (await stack.call('GET', `/api/campaigns/${coupon.id}`)).body.run as { id: string };
    const ordered: GeneratedEvent[] = [];
    let sent = 0;
    let held = 0;
    for (const r of await recipientsOf(database, run.id)) {
      const converts = r.status === 'succeeded' ? sent++ % 2 === 0 : r.status === 'held_out' && held++ % 5 === 0;
      if (converts) ordered.push({ userId: r.userId, name: 'pay_order', at: new Date(r.start!.getTime() + 3_600_000), properties: { amount: 120 } });
    }
    await insertGenerated(database, ordered);
    // The card refreshes by itself: wait for the figures with the orders in them.
    await expect.poll(async () => Number(await page.getByTestId('effect-summary').getAttribute('data-sent-rate')), { timeout: 60_000 }).toBeGreaterThan(0);
    await expect.poll(() => page.getByTestId('run-chart-bar').count(), { timeout: 30_000 }).toBeGreaterThan(0);
    await shoot(page, 'campaign-detail', true);
    await page.getByTestId('effect-card').screenshot({ path: join(out, 'effect.png') });

    // The campaign list with both stories, once it shows the coupon campaign finished.
    await page.locator(`${drawer} .ant-drawer-close`).first().click();
    await page.getByRole('menuitem', { name: '活动' }).click();
    await expect.poll(() => page.locator('.ant-table-row').count()).toBe(2);
    await expect.poll(() => page.locator('.ant-table-row', { hasText: '购物车挽回 100 元券' }).textContent(), { timeout: 30_000 }).toContain('已完成');
    await shoot(page, 'campaign-list');
    await page.close();
  }, 300_000);
});

import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { useTestDatabase } from './database.js';
import { button, consoleShots, openConsole, pick, useConsole } from './console-kit.js';

/*
 * Issue 19, the segment builder in Chromium against the real API and
 * PostgreSQL: it starts empty, names come from the catalog of what was
 * ingested (with type, examples and last seen; free text still allowed), it
 * offers the API's operators (in, numeric comparisons, exists, "since
 * yesterday", a window of N days), each condition reads back as a sentence,
 * and what is saved is the rule the sentences say, with the preview's count.
 */
const database = useTestDatabase();
const ui = useConsole(database);
const shots = consoleShots;

const daysAgo = (n: number) => new Date(Date.now() - n * 24 * 3600_000).toISOString();

describe('segment builder', () => {
  it('builds a rule from catalog pickers with in, ≥, exists, a window of N days and "since yesterday"; saves what the sentences say, with the preview count', async () => {
    // b-0 and b-3 are members; every other user misses exactly one condition.
    const users = [
      { loginId: 'b-0', attributes: { vip_level: 'gold', points: 500, city: 'Hangzhou' } },
      { loginId: 'b-1', attributes: { vip_level: 'gold', points: 800, city: 'Hangzhou' } }, // paid today
      { loginId: 'b-2', attributes: { vip_level: 'gold', points: 50, city: 'Hangzhou' } }, // too few points
      { loginId: 'b-3', attributes: { vip_level: 'platinum', points: 300, city: 'Ningbo' } },
      { loginId: 'b-4', attributes: { vip_level: 'gold', points: 300 } }, // no city
      { loginId: 'b-5', attributes: { vip_level: 'silver', points: 300, city: 'Hangzhou' } }, // silver
      { loginId: 'b-6', attributes: { vip_level: 'gold', points: 300, city: 'Hangzhou' } }, // added to cart too long ago
    ];
    expect((await ui.call('POST', '/api/users', { users })).status).toBe(200);
    const cart = (loginId: string, days: number) => ({ name: 'add_to_cart', loginId, time: daysAgo(days), properties: { sku: 'A-1' } });
    const ingested = await ui.call('POST', '/api/events', {
      events: [cart('b-0', 1), cart('b-1', 1), cart('b-2', 1), cart('b-3', 3), cart('b-4', 1), cart('b-5', 1), cart('b-6', 20), { name: 'pay_order', loginId: 'b-1', properties: { amount: 100 } }],
    });
    expect(ingested.body).toMatchObject({ accepted: 8, rejected: [] });

    const page = await openConsole(ui);
    await page.getByRole('menuitem', { name: '用户分群' }).click();
    await page.getByRole('button', { name: '新建分群' }).click();
    await page.getByLabel('名称').fill('会员加购未下单');
    // Nothing pre-filled: no condition until one is added.
    expect(await page.locator('[data-testid^=rule-row-]').count()).toBe(0);
    expect(await page.getByTestId('rule-empty').isVisible()).toBe(true);

    // 1. vip_level picked from the catalog (its type, examples and last seen shown), "is one of" gold, platinum.
    await page.getByTestId('rule-add').click();
    const row0 = '[data-testid=rule-row-0]';
    await page.locator(`${row0} [data-testid=attribute-name]`).fill('vip');
    const option = page.getByTestId('catalog-option-vip_level');
    await expect.poll(() => option.textContent()).toContain('文本');
    const described = (await option.textContent())!;
    expect(described).toContain('例：');
    expect(described).toContain('gold');
    expect(described).toMatch(/最近出现：(刚刚|\d+ 分钟前)/);
    await page.screenshot({ path: join(shots, 'segment-builder-1-catalog-picker.png') });
    await option.click();
    expect(await page.locator(`${row0} [data-testid=attribute-name]`).inputValue()).toBe('vip_level');
    expect(await page.locator(`${row0} [data-testid=attribute-type]`).textContent()).toBe('文本');
    await pick(page, `${row0} [data-testid=attribute-op]`, '是其中之一');
    await page.locator(`${row0} [data-testid=attribute-values]`).click();
    // The catalog's examples are offered as values.
    await page.locator('.ant-select-dropdown:visible .ant-select-item-option[title="gold"]').click();
    // The select is controlled: the next pick adds to what it shows, so wait for gold to show (a loaded machine renders late).
    await expect.poll(() => page.locator(`${row0} [data-testid=attribute-values] .ant-select-selection-item`).allTextContents()).toEqual(['gold']);
    await page.locator('.ant-select-dropdown:visible .ant-select-item-option[title="platinum"]').click();
    await page.locator(`${row0} [data-testid=attribute-values] input`).blur();
    await expect.poll(() => page.getByTestId('rule-sentence-0').textContent()).toBe('vip_level 是 gold、platinum 之一');

    // 2. points ≥ 100: a number attribute offers numeric comparisons.
    await page.getByTestId('rule-add').click();
    const row1 = '[data-testid=rule-row-1]';
    await page.locator(`${row1} [data-testid=attribute-name]`).fill('points');
    await page.getByTestId('catalog-option-points').click();
    expect(await page.locator(`${row1} [data-testid=attribute-type]`).textContent()).toBe('数字');
    await pick(page, `${row1} [data-testid=attribute-op]`, '大于等于');
    await page.locator(`${row1} [data-testid=attribute-number]`).fill('100');
    await expect.poll(() => page.getByTestId('rule-sentence-1').textContent()).toBe('points 大于等于 100');

    // 3. city has a value (no value to fill in).
    await page.getByTestId('rule-add').click();
    const row2 = '[data-testid=rule-row-2]';
    await page.locator(`${row2} [data-testid=attribute-name]`).fill('city');
    await page.getByTestId('catalog-option-city').click();
    await pick(page, `${row2} [data-testid=attribute-op]`, '有值');
    expect(await page.locator(`${row2} [data-testid=attribute-value]`).count()).toBe(0);
    await expect.poll(() => page.getByTestId('rule-sentence-2').textContent()).toBe('city 有值');

    // 4. add_to_cart, picked from the catalog (with its properties), at least once in the last 7 days.
    await page.getByTestId('rule-add').click();
    const row3 = '[data-testid=rule-row-3]';
    await pick(page, `${row3} [data-testid=row-kind]`, '行为事件');
    await page.locator(`${row3} [data-testid=event-name]`).fill('add');
    await expect.poll(() => page.getByTestId('catalog-option-add_to_cart').textContent()).toContain('属性：sku');
    await page.getByTestId('catalog-option-add_to_cart').click();
    await pick(page, `${row3} [data-testid=event-window]`, '最近 N 天');
    await page.locator(`${row3} [data-testid=event-days]`).fill('7');
    await expect.poll(() => page.getByTestId('rule-sentence-3').textContent()).toBe('最近 7 天内完成过 add_to_cart 至少 1 次');
    // Days are counted in the segment's zone, and the builder says which.
    expect(await page.getByTestId('rule-zone').textContent()).toContain('北京时间');
    // A property of the event, picked from the catalog too.
    await page.locator(`${row3} [data-testid=event-add-filter]`).click();
    await page.locator(`${row3} [data-testid=filter-property]`).fill('s');
    await page.getByTestId('catalog-option-sku').click();
    await page.locator(`${row3} [data-testid=filter-value]`).fill('A-1');
    await page.locator(`${row3} [data-testid=filter-value]`).blur();
    await expect.poll(() => page.getByTestId('rule-sentence-3').textContent()).toBe('最近 7 天内完成过 add_to_cart 至少 1 次（其中 sku 等于 A-1）');

    // 5. pay_order not done since yesterday, typed freely.
    await page.getByTestId('rule-add').click();
    const row4 = '[data-testid=rule-row-4]';
    await pick(page, `${row4} [data-testid=row-kind]`, '行为事件');
    await pick(page, `${row4} [data-testid=event-did]`, '没有完成过');
    await page.locator(`${row4} [data-testid=event-name]`).fill('pay_order');
    await page.locator(`${row4} [data-testid=event-name]`).blur();
    await pick(page, `${row4} [data-testid=event-window]`, '自昨天起');
    await expect.poll(() => page.getByTestId('rule-sentence-4').textContent()).toBe('自昨天起没有完成过 pay_order');

    const count = () => page.getByTestId('segment-preview').locator('.ant-statistic-content-value').first().textContent();
    await expect.poll(count, { timeout: 15_000 }).toBe('2');
    await expect.poll(() => page.getByTestId('segment-sample').textContent()).toMatch(/b-0.*b-3|b-3.*b-0/);
    await page.screenshot({ path: join(shots, 'segment-builder-2-rule.png'), fullPage: true });

    // The same conditions read in English.
    await page.getByTestId('language').dispatchEvent('click');
    await expect.poll(() => page.getByTestId('rule-sentence-4').textContent()).toBe('did not do pay_order since yesterday');
    await expect.poll(() => page.getByTestId('rule-sentence-0').textContent()).toBe('vip_level is one of gold, platinum');
    await page.getByTestId('language').dispatchEvent('click');

    await button(page, '保存').click();
    await expect.poll(async () => (await ui.call('GET', '/api/segments')).body.items.find((s: { name: string }) => s.name === '会员加购未下单')?.rule).toEqual({
      all: [
        { attribute: 'vip_level', op: 'in', value: ['gold', 'platinum'] },
        { attribute: 'points', op: 'gte', value: 100 },
        { attribute: 'city', op: 'exists' },
        { event: 'add_to_cart', count: { op: 'atLeast', value: 1 }, window: { type: 'lastDays', days: 7 }, where: [{ property: 'sku', op: 'equals', value: 'A-1' }] },
        { noEvent: 'pay_order', window: { type: 'since', daysAgo: 1 } },
      ],
    });
    const saved = (await ui.call('GET', '/api/segments')).body.items.find((s: { name: string }) => s.name === '会员加购未下单');
    const preview = await ui.call('GET', `/api/segments/${saved.id}/preview`);
    expect(preview.body.count).toBe(2);
    await page.close();
  }, 120_000);
});

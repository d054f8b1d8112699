import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { insertUsers } from '../audience/fixtures.js';
import { insertSegment } from './campaign-kit.js';
import { useTestDatabase } from './database.js';
import { insertGenerated, recipientsOf, type GeneratedEvent } from './effect-kit.js';
import { useTemporal } from './temporal.js';
import { consoleShots, drawer, openConsole, pick, useConsole } from './console-kit.js';

/*
 * The effect in the console, in a real browser (Debian's Chromium through
 * playwright-core) against the real stack: an operator creates a campaign
 * with a goal and a control group, it runs, its users order, and the detail
 * page says in words how much more the sent group converted, with the two
 * curves on one chart.
 */
const database = useTestDatabase();
const temporal = useTemporal(database);
const ui = useConsole(database, { temporal, fanOut: { batchSize: 20, window: 3, childrenPerExecution: 10 } });
const shots = consoleShots;

const USERS = 200;

describe('the effect in the console', () => {
  it('creates a campaign with a goal and a control group, and reads the uplift in words beside the two curves', async () => {
    await insertUsers(database.db, Array.from({ length: USERS }, (_, i) => ({ loginId: `c-${i}`, attributes: { cohort: 'coupon' } })));
    await insertSegment(database, '加购未下单的金卡会员', { attribute: 'cohort', op: 'equals', value: 'coupon' });
    const channel = await ui.call('POST', '/api/channels', {
      name: '卡券中心', url: `${ui.receiver.url}/coupon`, auth: { type: 'none' },
      userAttributeParams: [{ name: 'userid', attribute: '$id', identity: 'login' }],
    });
    expect(channel.status).toBe(201);

    const page = await openConsole(ui);
    await page.getByRole('menuitem', { name: '活动' }).click();
    await page.getByRole('button', { name: '新建活动' }).click();
    await page.getByLabel('名称').fill('100 元券');
    await pick(page, page.locator(`${drawer} .ant-select`).nth(0), '加购未下单的金卡会员');
    await pick(page, page.locator(`${drawer} .ant-select`).nth(1), '卡券中心');
    await page.getByTestId('goal-event').fill('pay_order');
    // 3 天 as number + unit (the goal window's unit is 天 by default).
    await page.getByTestId('goal-within-n').fill('3');
    await page.getByTestId('goal-value').fill('amount');
    await page.getByTestId('add-goal-where').click();
    await page.getByTestId('goal-where-property-0').fill('amount');
    // The first select in the card is the window's unit.
    await pick(page, page.locator(`${drawer} [data-testid=goal-fields] .ant-select`).nth(1), 'gte');
    await page.getByTestId('goal-where-value-0').fill('100');
    await page.getByTestId('holdout-percent').fill('20');
    await page.screenshot({ path: join(shots, 'effect-1-form.png') });
    await page.getByRole('button', { name: '上 线' }).or(page.getByRole('button', { name: '上线' })).click();
    await expect.poll(() => page.getByTestId('confirm-send').isEnabled()).toBe(true);
    await page.getByTestId('confirm-send').click();
    await expect.poll(() => page.getByTestId('campaign-status').getAttribute('data-status'), { timeout: 60_000 }).toBe('completed');

    // What the form saved: the goal and the control group as typed.
    const campaign = (await ui.call('GET', '/api/campaigns')).body.items.find((c: { name: string }) => c.name === '100 元券');
    expect(campaign).toMatchObject({ goal: { event: 'pay_order', within: 'P3D', value: 'amount', where: [{ property: 'amount', op: 'gte', value: 100 }] }, holdout: { percent: 20, draw: 1 } });
    const counts = JSON.parse((await page.getByTestId('delivery-counts').getAttribute('data-counts'))!);
    expect(counts.held_out).toBeGreaterThan(10);
    expect(counts.succeeded + counts.held_out).toBe(USERS);
    expect(await page.getByTestId('detail-bar').getAttribute('data-state')).toBe('success');

    // Half the sent users order 100 or more within the window, a fifth of the control group does.
    const detail = (await ui.call('GET', `/api/campaigns/${campaign.id}`)).body;
    const recipients = await recipientsOf(database, detail.run.id);
    const ordered: GeneratedEvent[] = [];
    let sentIndex = 0;
    let controlIndex = 0;
    for (const r of recipients) {
      const converts = r.status === 'succeeded' ? sentIndex++ % 2 === 0 : controlIndex++ % 5 === 0;
      if (converts) ordered.push({ userId: r.userId, name: 'pay_order', at: new Date(r.start!.getTime() + 3_600_000), properties: { amount: 120 } });
    }
    await insertGenerated(database, ordered);

    // The card refreshes by itself: the sentence appears with the API's figures.
    const effect = (await ui.call('GET', `/api/campaigns/${campaign.id}/effect`)).body;
    const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
    const pp = (x: number) => (x * 100).toFixed(1);
    const summary = page.getByTestId('effect-summary');
    await expect.poll(() => summary.getAttribute('data-difference'), { timeout: 30_000 }).toBe(String(effect.difference.rate));
    const words = (await summary.textContent())!;
    expect(words).toBe(
      `发送组转化率 ${pct(effect.sent.rate)}（±${pct((effect.sent.interval.high - effect.sent.interval.low) / 2)}），` +
        `对照组 ${pct(effect.control.rate)}（±${pct((effect.control.interval.high - effect.control.interval.low) / 2)}），` +
        `提升 +${pp(effect.difference.rate)} 个百分点（95% 置信区间 ${pp(effect.difference.interval.low)}–${pp(effect.difference.interval.high)}）`,
    );
    expect(effect.sent.rate).toBeCloseTo(0.5, 1);
    expect(effect.control.rate).toBeCloseTo(0.2, 1);
    expect(await page.getByTestId('effect-significance').textContent()).toContain('差异显著');
    expect(await page.getByTestId('effect-status').getAttribute('data-status')).toBe('provisional');
    // Both curves on one chart, the sent one above.
    const curveTop = (testId: string) => page.getByTestId(testId).evaluate((line) => Math.min(...(line.getAttribute('points') ?? '').split(' ').map((p: string) => Number(p.split(',')[1]))));
    expect(await curveTop('effect-curve-sent')).toBeLessThan(await curveTop('effect-curve-control'));
    // Both axes are named: the rate the curves climb to, and the time since sending along the bottom.
    expect(await page.getByTestId('effect-chart-axis-rate').textContent()).toBe('累计转化率');
    expect(await page.getByTestId('effect-chart-axis-time').textContent()).toBe('发送后经过的时间');
    await page.getByTestId('effect-card').screenshot({ path: join(shots, 'effect-2-detail.png') });

    // A held-out user's lookup says so.
    const heldOut = recipients.find((r) => r.status === 'held_out')!;
    await page.getByTestId('lookup-input').fill(heldOut.loginId!);
    await page.getByTestId('lookup-button').click();
    await expect.poll(() => page.getByTestId('lookup-status').getAttribute('data-status')).toBe('held_out');
    expect(await page.getByTestId('lookup-status').textContent()).toBe('对照组（未发送）');
    expect(await page.getByTestId('lookup-held-out-at').isVisible()).toBe(true);

    // In English too.
    await page.locator('.ant-drawer-open .ant-drawer-close').click();
    await page.getByTestId('language').click();
    await page.getByRole('button', { name: 'Detail' }).first().click();
    await expect.poll(() => page.getByTestId('effect-summary').textContent()).toMatch(/^Sent group converted \d+\.\d% \(±\d+\.\d%\), control group \d+\.\d%/);
    await page.close();
  }, 150_000);
});

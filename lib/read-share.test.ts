import { describe, expect, it } from 'vitest';
import { createReadShare } from './read-share.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('createReadShare', () => {
  it('shares a read while it is on its way and for the hold after it, then reads again', async () => {
    let reads = 0;
    const share = createReadShare(() => 50);
    const read = async () => {
      reads += 1;
      await sleep(20);
      return reads;
    };
    expect(await Promise.all([share.get('k', read), share.get('k', read)])).toEqual([1, 1]);
    expect(await share.get('k', read)).toBe(1);
    await sleep(70);
    expect(await share.get('k', read)).toBe(2);
  });

  it('holds as long as the policy says from how long the read took', async () => {
    const took: number[] = [];
    const share = createReadShare(({ tookMs }) => (took.push(tookMs), 0));
    await share.get('k', async () => sleep(30));
    expect(took[0]).toBeGreaterThanOrEqual(25);
  });

  it('forgets on request, and does not keep a failed read', async () => {
    let reads = 0;
    const share = createReadShare(() => 60_000);
    await share.get('k', async () => ++reads);
    share.forget('k');
    expect(await share.get('k', async () => ++reads)).toBe(2);
    await expect(share.get('bad', async () => Promise.reject(new Error('down')))).rejects.toThrow('down');
    await sleep(0);
    expect(await share.get('bad', async () => 'up')).toBe('up');
  });
});

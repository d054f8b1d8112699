import { describe, expect, it } from 'vitest';
import { applyListQuery, readListQuery, writeListQuery } from './campaign-list.js';

const campaign = (name: string, status: string, type: string, createdAt: string) => ({ id: name, name, status, trigger: { type }, createdAt });
const items = [
  campaign('周末促销', 'running', 'once', '2026-12-01T08:00:00.000Z'),
  campaign('Birthday coupon', 'draft', 'recurring', '2026-12-02T08:00:00.000Z'),
  campaign('加购提醒', 'paused', 'event', '2026-12-03T08:00:00.000Z'),
  campaign('birthday SMS', 'completed', 'once', '2026-12-04T08:00:00.000Z'),
];
const names = (query: string, language = 'zh-CN') => applyListQuery(items, readListQuery(new URLSearchParams(query)), language).map((c) => c.name);

describe('the campaign list query in the URL', () => {
  it('a plain list is newest first and writes no query', () => {
    expect(names('')).toEqual(['birthday SMS', '加购提醒', 'Birthday coupon', '周末促销']);
    expect(writeListQuery(readListQuery(new URLSearchParams(''))).toString()).toBe('');
  });

  it('searches names in any case, filters by statuses and trigger types', () => {
    expect(names('q=BIRTHDAY')).toEqual(['birthday SMS', 'Birthday coupon']);
    expect(names('status=running,paused')).toEqual(['加购提醒', '周末促销']);
    expect(names('trigger=once')).toEqual(['birthday SMS', '周末促销']);
    expect(names('q=birthday&trigger=once')).toEqual(['birthday SMS']);
  });

  it('sorts by name as the language does (Chinese in pinyin order), status in lifecycle order, creation time either way', () => {
    expect(names('sort=name&order=asc')).toEqual(['加购提醒', '周末促销', 'Birthday coupon', 'birthday SMS']);
    expect(names('sort=name&order=asc', 'en')).toEqual(['Birthday coupon', 'birthday SMS', '加购提醒', '周末促销']);
    expect(names('sort=status&order=asc')).toEqual(['Birthday coupon', '周末促销', '加购提醒', 'birthday SMS']);
    expect(names('sort=status&order=desc')).toEqual(['birthday SMS', '加购提醒', '周末促销', 'Birthday coupon']);
    expect(names('sort=createdAt&order=asc')).toEqual(['周末促销', 'Birthday coupon', '加购提醒', 'birthday SMS']);
  });

  it('reads back what it writes; unknown values from an old or mistyped link are dropped', () => {
    const query = { q: '券', status: ['running', 'paused'], trigger: ['event'], sort: 'name' as const, order: 'desc' as const };
    expect(readListQuery(writeListQuery(query))).toEqual(query);
    expect(readListQuery(new URLSearchParams('status=running,bogus&trigger=weekly&sort=size'))).toEqual({ q: '', status: ['running'], trigger: [], sort: 'createdAt', order: 'desc' });
  });
});

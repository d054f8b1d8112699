import { z } from 'zod';
import { describe, expect, it } from 'vitest';
import { ApiError, fieldError, notFound, validationError } from './errors.js';
import { issueCode, ISSUE_CODES } from '../contracts/errors.js';
import { channelInputSchema } from '../contracts/channel.js';

describe('API error codes', () => {
  it('codes the English messages the schemas write, with params', () => {
    expect(issueCode('must be at most 200 characters')).toEqual({ code: 'too_long', params: { maximum: 200 } });
    expect(issueCode('is required')).toEqual({ code: 'required', params: {} });
    expect(issueCode('is required to launch')).toEqual({ code: 'required_to_launch', params: {} });
    expect(issueCode('must be $id or a plain attribute identifier')).toEqual({ code: 'invalid_identifier', params: {} });
    expect(issueCode('must be an ISO 8601 duration in weeks, days, hours, minutes or seconds, such as P1D or PT12H')).toEqual({ code: 'invalid_duration', params: {} });
    expect(issueCode('must be between 1 minute and 31 days')).toEqual({ code: 'duration_out_of_range', params: { minimum: '1 minute', maximum: '31 days' } });
    expect(issueCode('no channel has this id')).toEqual({ code: 'unknown_reference', params: { kind: 'channel' } });
    expect(issueCode('is paused')).toEqual({ code: 'status_is', params: { status: 'paused' } });
    expect(issueCode('something nobody planned for')).toEqual({ code: 'invalid', params: { detail: 'something nobody planned for' } });
  });

  it('maps zod\'s own issue codes when the message is zod\'s default', () => {
    const result = z.strictObject({ name: z.string(), n: z.number().max(5), tags: z.array(z.string()).max(1) }).safeParse({ n: 9, tags: ['a', 'b'], extra: 1 });
    const issues = validationError(result.error).issues;
    expect(issues).toEqual(expect.arrayContaining([
      { path: 'name', message: 'is required', code: 'required', params: {} },
      expect.objectContaining({ path: 'n', code: 'too_large', params: { maximum: 5 } }),
      expect.objectContaining({ path: 'tags', code: 'too_many', params: { maximum: 1 } }),
      { path: 'extra', message: 'is not a known field', code: 'unknown_field', params: {} },
    ]));
  });

  it('every issue of an answer carries a registered code, and the English stays', () => {
    const result = channelInputSchema.safeParse({ name: '', url: 'ftp://x', userAttributeParams: [{ name: '1x', attribute: 'a b', identity: 'login' }], timeoutMs: 10 });
    const body = validationError(result.error).toJSON();
    expect(body.issues!.length).toBeGreaterThan(3);
    for (const issue of body.issues!) {
      expect(Object.keys(ISSUE_CODES)).toContain(issue.code);
      expect(issue.message).not.toBe('');
    }
    expect(body.issues!.find((i) => i.path === 'userAttributeParams.0.attribute')).toMatchObject({ code: 'invalid_identifier' });
    expect(body.issues!.find((i) => i.path === 'url')).toMatchObject({ code: 'invalid_url' });
  });

  it('a channel header is refused with a code per rule: its name (even as a record key), its value, a reserved or connection-level name', () => {
    const codes = (headers: Record<string, string>) => validationError(channelInputSchema.safeParse({ name: 'c', url: 'http://x.test', auth: { type: 'none' }, headers }).error).issues.map((i) => [i.path, i.code]);
    expect(codes({ 'Bad Name': 'x', 'X-A': 'a\nb' })).toEqual([['headers.Bad Name', 'invalid_header_name'], ['headers.X-A', 'invalid_header_value']]);
    expect(codes({ Authorization: 'x', 'Keep-Alive': 'y', 'X-Tenant': 'ok' })).toEqual([['headers.Authorization', 'reserved_header'], ['headers.Keep-Alive', 'connection_header']]);
  });

  it('answers carry params: not_found names what, hand-made issues are coded from their text', () => {
    expect(notFound('user').toJSON()).toEqual({ error: 'not_found', message: 'user not found', params: { what: 'user' } });
    expect(fieldError('user', 'no user has this id').toJSON().issues).toEqual([{ path: 'user', message: 'no user has this id', code: 'unknown_reference', params: { kind: 'user' } }]);
    expect(new ApiError(409, 'conflict', 'x').toJSON()).toEqual({ error: 'conflict', message: 'x' });
  });
});

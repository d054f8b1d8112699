import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { Database } from '../db/client.js';
import { createLogger } from '../lib/logger.js';
import { createApp } from './app.js';
import { requestLogLevel } from './request-log.js';

/** The API's log lines at `level`, as JSON. */
function capture(level: string) {
  const lines: { msg: string; level: number; route?: string; status?: number }[] = [];
  const sink = new Writable({ write(chunk, _encoding, done) { for (const line of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(line)); done(); } });
  return { lines, logger: createLogger('api', level, sink) };
}

describe('the request log', () => {
  it('keeps successful reads at debug, changes and refusals at info', () => {
    expect(requestLogLevel('GET', 200)).toBe('debug');
    expect(requestLogLevel('HEAD', 304)).toBe('debug');
    expect(requestLogLevel('GET', 401)).toBe('info');
    expect(requestLogLevel('POST', 201)).toBe('info');
    expect(requestLogLevel('DELETE', 204)).toBe('info');
  });

  it('at info, a console polling a screen every few seconds writes nothing; a refused call still shows', async () => {
    const info = capture('info');
    const app = createApp({ db: {} as Database, logger: info.logger });
    for (let i = 0; i < 5; i++) expect((await app.request('/healthz')).status).toBe(200);
    expect(info.lines.filter((l) => l.msg === 'request')).toEqual([]);
    expect((await app.request('/api/channels')).status).toBe(401);
    expect(info.lines.filter((l) => l.msg === 'request')).toEqual([expect.objectContaining({ status: 401 })]);

    const debug = capture('debug');
    const verbose = createApp({ db: {} as Database, logger: debug.logger });
    await verbose.request('/healthz');
    expect(debug.lines.filter((l) => l.msg === 'request')).toEqual([expect.objectContaining({ route: '/healthz', status: 200 })]);
  });
});

import { Writable } from 'node:stream';
import { sql } from 'drizzle-orm';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../api/app.js';
import { useTestDatabase } from '../test/database.js';
import { jsonCaller } from '../test/http.js';
import { isDatabaseError, safeErrorDescription, safePgMessage } from './db-errors.js';

const database = useTestDatabase();
const SECRET = 'planted-S3cret-7f1d';

async function failure(run: () => Promise<unknown>): Promise<unknown> {
  try {
    await run();
  } catch (error) {
    return error;
  }
  throw new Error('expected the query to fail');
}

describe('safeErrorDescription', () => {
  it('keeps the statement shape and SQLSTATE, never the parameters or the values PostgreSQL echoes', async () => {
    const error = await failure(() => database.db.execute(sql`SELECT ${SECRET}::uuid AS id`));
    expect(isDatabaseError(error)).toBe(true);
    // The raw error does carry the value, twice: in Drizzle's params and in PostgreSQL's message.
    expect(String((error as Error).message)).toContain(SECRET);
    const described = safeErrorDescription(error);
    expect(JSON.stringify(described)).not.toContain(SECRET);
    expect(described).toMatchObject({ code: '22P02' });
    expect(described.message).toBe('database error: 22P02 invalid input syntax for type uuid, in query: SELECT $1::uuid AS id');
    expect(described.stack).toMatch(/^\s+at /);
  });

  it('names the constraint from the error fields, without the failing row', async () => {
    await database.db.execute(sql`CREATE TABLE planted (v text CONSTRAINT planted_short CHECK (length(v) < 5))`);
    const error = await failure(() => database.db.execute(sql`INSERT INTO planted (v) VALUES (${SECRET})`));
    const described = safeErrorDescription(error);
    expect(JSON.stringify(described)).not.toContain(SECRET);
    expect(described.message).toContain('23514');
    expect(described.message).toContain('constraint planted_short');
  });

  it('cuts quoted and trailing values out of PostgreSQL messages', () => {
    expect(safePgMessage(`value "${SECRET}" is out of range for type integer`)).toBe('value "…" is out of range for type integer');
    expect(safePgMessage(`invalid input value for enum status: "${SECRET}"`)).toBe('invalid input value for enum status');
  });

  it('leaves other errors as they are', () => {
    expect(safeErrorDescription(new TypeError('x is not a function'))).toMatchObject({ type: 'TypeError', message: 'x is not a function' });
    expect(isDatabaseError(new Error('boom'))).toBe(false);
  });
});

describe('the API log of a database error', () => {
  const lines: string[] = [];
  let call: ReturnType<typeof jsonCaller>;

  beforeAll(async () => {
    const logger = pino({ level: 'info' }, new Writable({ write(chunk, _encoding, done) { lines.push(String(chunk)); done(); } }));
    call = jsonCaller(createApp({ db: database.db, logger }));
    // A constraint the API does not know about, so the insert reaches PostgreSQL and fails there.
    await database.db.execute(sql`ALTER TABLE channels ADD CONSTRAINT planted_name CHECK (name NOT LIKE 'planted%')`);
  });
  afterAll(() => database.db.execute(sql`ALTER TABLE channels DROP CONSTRAINT planted_name`));

  it('records the query shape and code, not the credentials and values it carried', async () => {
    const res = await call('POST', '/api/channels', {
      name: `planted ${SECRET}-name`,
      url: 'http://127.0.0.1:9/hook',
      auth: { type: 'basic', username: 'shop', password: `pw-${SECRET}` },
    });
    expect(res.status).toBe(500);
    expect(JSON.stringify(res.body)).not.toContain(SECRET);
    const logged = lines.join('');
    expect(logged).toContain('unhandled error');
    expect(logged).toContain('23514');
    expect(logged).toContain('insert into \\"channels\\"');
    expect(logged).not.toContain(SECRET);
  });
});

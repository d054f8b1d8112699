import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { useTestDatabase } from '../test/database.js';
import { eraseUser } from './erase.js';
import { insertUsers } from './fixtures.js';
import { insertAudience } from '../runs/recipients.js';

/*
 * An erasure racing an audience freeze on real PostgreSQL: the freeze's
 * INSERT … SELECT has read the user and not committed yet when the erasure
 * starts. Without the erasure lock the erasure commits first, cannot see the
 * freeze's row, and the row stays pending with the user's id and address.
 */

const database = useTestDatabase();
const actor = { keyId: null, name: 'test' };

async function run(): Promise<string> {
  const [campaign] = await database.db.execute<{ id: string }>(sql`
    INSERT INTO campaigns (name, status, trigger) VALUES ('erasure race', 'running', '{"type":"once","sendAt":"now"}') RETURNING id`);
  const [row] = await database.db.execute<{ id: string }>(sql`
    INSERT INTO campaign_runs (campaign_id, workflow_id, status, definition, send_at)
    VALUES (${campaign!.id}, ${`wf-${campaign!.id}`}, 'running', '{}', now()) RETURNING id`);
  return row!.id;
}

describe('an erasure and an audience freeze in flight', () => {
  it('the erasure waits for the freeze to commit, then reaches the row it wrote', async () => {
    await insertUsers(database.db, [{ loginId: 'race-erased', attributes: { phone: '13800138000', vip_level: 'gold' } }, { loginId: 'race-kept', attributes: { vip_level: 'gold' } }]);
    const runId = await run();
    let erasure: Promise<unknown> | undefined;
    let erasedBeforeCommit = false;
    await database.db.transaction(async (tx) => {
      const frozen = await insertAudience(tx, { runId, rule: { attribute: 'vip_level', op: 'equals', value: 'gold' }, timeZone: 'Asia/Shanghai', identity: 'login', at: new Date() });
      expect(frozen.total).toBe(2);
      erasure = eraseUser(database.db, 'race-erased', actor).then((result) => {
        erasedBeforeCommit = true;
        return result;
      });
      // Give the erasure every chance to run ahead of the freeze's commit.
      await new Promise((resolve) => setTimeout(resolve, 500));
    });
    expect(erasedBeforeCommit).toBe(false);
    expect(await erasure).toMatchObject({ erased: true, counts: { deliveries: 1, unsent: 1 } });
    const rows = await database.db.execute<{ address: string | null; status: string; last_error_class: string | null; user_id: string }>(sql`
      SELECT address, status, last_error_class, user_id FROM run_recipients WHERE run_id = ${runId} ORDER BY address NULLS FIRST`);
    expect(rows.map((r) => [r.address, r.status, r.last_error_class])).toEqual([
      [null, 'skipped', 'erased'],
      ['race-kept', 'pending', null],
    ]);
    const [users] = await database.db.execute<{ n: number }>(sql`SELECT count(*)::int AS n FROM users WHERE login_id = 'race-erased'`);
    expect(users!.n).toBe(0);
  });
});

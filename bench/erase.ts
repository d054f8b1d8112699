/**
 * `npm run bench:erase [-- --users 100000 --erase 200]`
 *
 * Erasing users while a campaign sends to them: seeds `--users` users, launches
 * a one-time campaign to all of them (worker and API as their own processes, a
 * loopback receiver in this process that records every request), and once a
 * tenth has been sent, erases `--erase` users not reached yet (ten
 * `DELETE /api/users/:id` at a time). Prints the erase latency, how many
 * requests for an erased user arrived after their DELETE was answered (the
 * guarantee: none starts later than RUN_CONTROL_CACHE_MS, 200 ms, after the
 * erasure committed), and whether every other user got exactly one request.
 * Prints figures; asserts nothing.
 */
import { parseArgs } from 'node:util';
import { request } from 'undici';
import { DEFAULT_FAN_OUT } from '../runs/lifecycle.js';
import { authHeader } from '../test/credentials.js';
import { startReceiver } from '../test/receiver.js';
import { benchCampaigns, createBenchChannel, freshDatabase, launchCampaign, logger, markdownTable, positive, runBench, seedAudience, sleep, spawnApi, spawnWorker, startTemporal, waitForEnd } from './harness.js';
import { summarizeLatencies } from './stats.js';

const say = logger('bench:erase');

runBench(async function main() {
  const { values } = parseArgs({ options: { users: { type: 'string' }, erase: { type: 'string' }, database: { type: 'string', default: 'hookcast_bench_erase' } } });
  const users = positive('users', values.users, 100_000);
  const toErase = positive('erase', values.erase, 200);
  say(`${users.toLocaleString('en')} users, ${toErase} erased while the campaign sends`);
  const temporal = await startTemporal(say);
  const bench = await freshDatabase(values.database);
  const receiver = await startReceiver();
  const segmentId = await seedAudience(bench, 'erase', users);
  const channelId = await createBenchChannel(bench, `${receiver.url}/erase`, 'erase bench');
  const worker = await spawnWorker({ bench, temporal, concurrency: 32, log: say });
  const api = await spawnApi({ bench, temporal, env: { LOG_LEVEL: 'warn' } });
  for (let i = 0; i < 50 && (await request(`${api.url}/api/channels`, { headers: authHeader }).then(async (r) => (await r.body.dump(), r.statusCode))) !== 200; i++) await sleep(200);

  const campaigns = benchCampaigns(bench, temporal, DEFAULT_FAN_OUT);
  const started = performance.now();
  const launched = await launchCampaign(campaigns, { name: 'bench erase', segmentId, channelId });
  while (receiver.requests.length < users / 10) await sleep(50);

  // Users not reached yet, spread over the audience (positions follow user ids, so pick by id order).
  const reached = new Set(receiver.requests.map((r) => (JSON.parse(r.body) as { userid: string }).userid));
  const candidates = await bench.database.client<{ login_id: string }[]>`
    SELECT u.login_id FROM run_recipients r JOIN users u ON u.id = r.user_id
    WHERE r.run_id = ${launched.runId} AND r.status = 'pending' AND r.attempts = 0 ORDER BY r.seq`;
  const pool = candidates.map((c) => c.login_id).filter((id) => !reached.has(id));
  // Spread over the second half of what is still pending, so most are erased before the sends reach them.
  const later = pool.slice(Math.floor(pool.length / 2));
  const step = Math.max(1, Math.floor(later.length / toErase));
  const chosen = later.filter((_, i) => i % step === 0).slice(0, toErase);
  const answeredAt = new Map<string, number>();
  const latencies: number[] = [];
  let errors = 0;
  let next = 0;
  // Ten operators at once: each answer waits out the workers' cached flag (200 ms), the erasures themselves are short.
  await Promise.all(
    Array.from({ length: 10 }, async () => {
      while (next < chosen.length) {
        const login = chosen[next++]!;
        const t0 = performance.now();
        const res = await request(`${api.url}/api/users/${encodeURIComponent(login)}`, { method: 'DELETE', headers: authHeader });
        const body = (await res.body.json()) as { erased: boolean };
        if (res.statusCode === 200 && body.erased) latencies.push(performance.now() - t0);
        else errors += 1;
        answeredAt.set(login, Date.now());
      }
    }),
  );
  const erasing = summarizeLatencies(latencies, errors, latencies.reduce((a, b) => a + b, 0) / 1000);
  say(`erased ${chosen.length} users while ${receiver.requests.length.toLocaleString('en')} requests had arrived`);

  const ended = await waitForEnd(campaigns, launched.id, 30 * 60_000);
  const seconds = (performance.now() - started) / 1000;
  const perUser = new Map<string, number[]>();
  for (const r of receiver.requests) {
    const id = (JSON.parse(r.body) as { userid: string }).userid;
    (perUser.get(id) ?? perUser.set(id, []).get(id)!).push(r.receivedAt);
  }
  let afterAnswer = 0;
  let beforeAnswer = 0;
  for (const login of chosen) {
    for (const at of perUser.get(login) ?? []) {
      if (at > answeredAt.get(login)!) afterAnswer += 1;
      else beforeAnswer += 1;
    }
  }
  const erasedSet = new Set(chosen);
  let notOnce = 0;
  for (let i = 1; i <= users; i++) {
    const login = `erase-${i}`;
    if (!erasedSet.has(login) && (perUser.get(login)?.length ?? 0) !== 1) notOnce += 1;
  }
  const counts = await bench.database.client<{ status: string; n: number }[]>`SELECT status, n::int AS n FROM run_status_counts WHERE run_id = ${launched.runId} ORDER BY status`;
  await worker.stop();
  await api.stop();
  await receiver.close();

  say(`campaign ${ended.status} in ${seconds.toFixed(0)} s; counts ${counts.map((c) => `${c.status} ${c.n}`).join(', ')}`);
  console.log(
    markdownTable(
      ['users', 'erased', 'erase p50 ms', 'erase p99 ms', 'erase errors', 'requests for erased users after their DELETE answered', 'requests for erased users before it', 'other users not sent exactly once', 'campaign s', 'sends/s'],
      [[users, chosen.length, erasing.p50Ms, erasing.p99Ms, errors, afterAnswer, beforeAnswer, notOnce, seconds.toFixed(0), Math.round(receiver.requests.length / seconds)]],
    ),
  );
});

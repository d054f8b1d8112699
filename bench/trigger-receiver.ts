/**
 * The receiver of `npm run bench:trigger`, in its own process so that taking
 * thousands of requests a second does not share the load generator's event
 * loop. Per user (the `userid` of the JSON body) it keeps the first arrival
 * (epoch ms, when the request's headers arrived), how many requests came and
 * how many distinct `webhook-id`s they carried, so the benchmark can time
 * each event and tell duplicates (another id: a second send) from resends
 * (the same id again: at-least-once after an outcome could not be written).
 *
 * IPC: the parent sends `{ id, type: 'arrivals', prefix }` and gets
 * `{ id, arrivals: [userid, firstArrival, requests, ids][] }` back, once at
 * the end of a phase; while waiting for the sends it asks
 * `{ id, type: 'count', prefix }` and gets `{ id, count }`: users of the
 * prefix that arrived, kept as they come, so polling costs neither side a copy
 * of 100,000 arrivals (it did, four times a second, and took CPU and event-loop
 * time from the run it measured).
 */
import { createServer } from 'node:http';

const users = new Map<string, { first: number; requests: number; ids: Set<string> }>();
/** Users arrived per prefix the parent has counted, from its first count on. */
const counts = new Map<string, number>();

const server = createServer((req, res) => {
  const arrivedAt = Date.now();
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    try {
      const { userid } = JSON.parse(Buffer.concat(chunks).toString()) as { userid: string };
      const id = String(req.headers['webhook-id'] ?? '');
      const seen = users.get(userid);
      if (seen) {
        seen.requests += 1;
        seen.ids.add(id);
      } else {
        users.set(userid, { first: arrivedAt, requests: 1, ids: new Set([id]) });
        for (const [prefix, count] of counts) if (userid.startsWith(prefix)) counts.set(prefix, count + 1);
      }
    } catch {
      // not a benchmark request
    }
    res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
  });
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => {
  const { port } = server.address() as { port: number };
  process.send?.({ port });
});

process.on('message', (m: { id: number; type: 'arrivals' | 'count'; prefix: string }) => {
  if (m.type === 'count') {
    let count = counts.get(m.prefix);
    if (count === undefined) {
      count = 0;
      for (const user of users.keys()) if (user.startsWith(m.prefix)) count += 1;
      counts.set(m.prefix, count);
    }
    process.send?.({ id: m.id, count });
    return;
  }
  const arrivals: [string, number, number, number][] = [];
  for (const [user, seen] of users) if (user.startsWith(m.prefix)) arrivals.push([user, seen.first, seen.requests, seen.ids.size]);
  process.send?.({ id: m.id, arrivals });
});
// Exits with its parent.
process.on('disconnect', () => process.exit(0));

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
 * `{ id, arrivals: [userid, firstArrival, requests, ids][] }` back.
 */
import { createServer } from 'node:http';

const users = new Map<string, { first: number; requests: number; ids: Set<string> }>();

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
      } else users.set(userid, { first: arrivedAt, requests: 1, ids: new Set([id]) });
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

process.on('message', (m: { id: number; type: 'arrivals'; prefix: string }) => {
  const arrivals: [string, number, number, number][] = [];
  for (const [user, seen] of users) if (user.startsWith(m.prefix)) arrivals.push([user, seen.first, seen.requests, seen.ids.size]);
  process.send?.({ id: m.id, arrivals });
});
// Exits with its parent.
process.on('disconnect', () => process.exit(0));

/**
 * The receiver of `npm run bench:trigger`, in its own process so that taking
 * thousands of requests a second does not share the load generator's event
 * loop. Per user (the `userid` of the JSON body) it keeps the first arrival
 * (epoch ms, when the request's headers arrived) and how many requests came,
 * so the benchmark can time each event and count duplicates.
 *
 * IPC: the parent sends `{ id, type: 'arrivals', prefix }` and gets
 * `{ id, arrivals: [userid, firstArrival, requests][] }` back.
 */
import { createServer } from 'node:http';

const users = new Map<string, { first: number; requests: number }>();

const server = createServer((req, res) => {
  const arrivedAt = Date.now();
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    try {
      const { userid } = JSON.parse(Buffer.concat(chunks).toString()) as { userid: string };
      const seen = users.get(userid);
      if (seen) seen.requests += 1;
      else users.set(userid, { first: arrivedAt, requests: 1 });
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
  const arrivals: [string, number, number][] = [];
  for (const [user, seen] of users) if (user.startsWith(m.prefix)) arrivals.push([user, seen.first, seen.requests]);
  process.send?.({ id: m.id, arrivals });
});
// Exits with its parent.
process.on('disconnect', () => process.exit(0));

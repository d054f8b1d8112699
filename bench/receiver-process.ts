/** A fast loopback receiver for benchmarks, in its own process so it does not share the worker's event loop. */
import { createServer } from 'node:http';

let count = 0;
const server = createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    count += 1;
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end('ok');
  });
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => {
  const { port } = server.address() as { port: number };
  process.send?.({ port });
});
process.on('message', (message: { type: string }) => {
  if (message.type === 'count') process.send?.({ count });
  if (message.type === 'reset') count = 0;
});
process.on('disconnect', () => process.exit(0));

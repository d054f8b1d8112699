/**
 * `npm run receiver`: a tiny webhook receiver on loopback for the README's
 * quickstart, standing in for a customer's coupon system. It prints every
 * request it gets (method, path, the webhook headers, the body) and answers
 * 200. Port: RECEIVER_PORT (default 4000); 127.0.0.1 only.
 */
import { createServer } from 'node:http';

const port = Number(process.env.RECEIVER_PORT ?? 4000);
if (!Number.isInteger(port) || port < 1 || port > 65535) {
  console.error(`RECEIVER_PORT must be a port number, got "${process.env.RECEIVER_PORT}"`);
  process.exit(1);
}

/** The headers worth seeing; the rest (host, content-length, connection) are transport. */
const shown = ['content-type', 'user-agent', 'webhook-id', 'webhook-timestamp', 'webhook-signature', 'authorization', 'x-gio-signature'];

const server = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (chunk: Buffer) => chunks.push(chunk));
  req.on('end', () => {
    const lines = [`${req.method} ${req.url}`];
    for (const name of shown) {
      const value = req.headers[name];
      if (value !== undefined) lines.push(`  ${name}: ${Array.isArray(value) ? value.join(', ') : value}`);
    }
    const body = Buffer.concat(chunks).toString('utf8');
    if (body) lines.push(`  ${body}`);
    // One write per request, so requests arriving together do not interleave.
    process.stdout.write(`${lines.join('\n')}\n`);
    res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
  });
});

server.listen(port, '127.0.0.1', () => console.log(`receiver listening on http://127.0.0.1:${port}/ (Ctrl-C stops it)`));
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => server.close(() => process.exit(0)));

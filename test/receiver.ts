import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';

export interface ReceivedRequest {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
  receivedAt: number;
}

/** How the receiver answers one request. */
export interface Reply {
  status?: number;
  headers?: Record<string, string>;
  body?: string;
  /** Wait this long before answering. */
  delayMs?: number;
  /** Destroy the socket instead of answering. */
  reset?: boolean;
}

export type Behaviour = (request: ReceivedRequest, log: readonly ReceivedRequest[]) => Reply;

export interface Receiver {
  url: string;
  requests: ReceivedRequest[];
  /** Requests received and not answered yet (a delayed reply still pending). */
  unanswered: Set<ReceivedRequest>;
  /** Answers from now on as `behaviour` does; returns the behaviour it replaces. */
  behave(behaviour: Behaviour): Behaviour;
  close(): Promise<void>;
}

/**
 * A real HTTP endpoint on loopback that records every request and can
 * misbehave (5xx, 429 with Retry-After, slow replies, connection resets).
 *
 * @example
 * const receiver = await startReceiver(() => ({ status: 500 }));
 * // … send to receiver.url …
 * receiver.requests.length;
 */
export async function startReceiver(initial: Behaviour = () => ({ status: 200 })): Promise<Receiver> {
  let behaviour = initial;
  const requests: ReceivedRequest[] = [];
  const unanswered = new Set<ReceivedRequest>();
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const received: ReceivedRequest = {
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
        receivedAt: Date.now(),
      };
      requests.push(received);
      unanswered.add(received);
      const reply = behaviour(received, requests);
      const answer = () => {
        unanswered.delete(received);
        if (reply.reset) {
          req.socket.destroy();
          return;
        }
        res.writeHead(reply.status ?? 200, { 'content-type': 'text/plain', ...reply.headers });
        res.end(reply.body ?? 'ok');
      };
      if (reply.delayMs) setTimeout(answer, reply.delayMs);
      else answer();
    });
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    unanswered,
    behave(next) {
      const previous = behaviour;
      behaviour = next;
      return previous;
    },
    close() {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

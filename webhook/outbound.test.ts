import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startReceiver, type Receiver } from '../test/receiver.js';
import { addressProblem, literalAddressProblem, outboundPolicy, type Lookup } from './outbound.js';
import { guardedDispatcher, sendWebhook } from './send.js';

const closed = outboundPolicy([]);

describe('which addresses a channel may reach', () => {
  it.each([
    ['127.0.0.1', 'loopback'],
    ['127.255.0.9', 'loopback'],
    ['10.0.0.1', 'private'],
    ['172.16.5.4', 'private'],
    ['192.168.1.1', 'private'],
    ['169.254.169.254', 'link-local'],
    ['100.64.0.1', 'carrier-grade NAT'],
    ['224.0.0.1', 'multicast'],
    ['255.255.255.255', 'broadcast'],
    ['0.0.0.0', 'unspecified'],
    ['240.0.0.1', 'reserved'],
    ['192.0.2.1', 'reserved'],
    ['::1', 'loopback'],
    ['::', 'unspecified'],
    ['fd00::1', 'unique local'],
    ['fe80::1', 'link-local'],
    ['ff02::1', 'multicast'],
    ['::ffff:127.0.0.1', 'loopback'],
    ['::ffff:169.254.169.254', 'link-local'],
    ['::127.0.0.1', 'loopback'],
    ['::10.0.0.1', 'private'],
    ['64:ff9b::7f00:1', 'loopback'],
    ['64:ff9b::a00:1', 'private'],
    ['2002:7f00:1::', 'loopback'],
    ['2002:a9fe:a9fe::', 'link-local'],
    ['2001::1', 'Teredo'],
  ])('refuses %s (%s)', (address, range) => {
    expect(addressProblem(address, closed)).toContain(range);
  });

  it.each(['8.8.8.8', '1.1.1.1', '2606:4700:4700::1111', '::ffff:8.8.8.8', '64:ff9b::808:808', '2002:808:808::'])('allows the public address %s', (address) => {
    expect(addressProblem(address, closed)).toBeNull();
  });

  it('opens exactly the ranges of OUTBOUND_ALLOW_CIDRS, in both IPv4 and mapped forms', () => {
    const open = outboundPolicy(['127.0.0.1/32', '10.1.0.0/16']);
    expect(addressProblem('127.0.0.1', open)).toBeNull();
    expect(addressProblem('::ffff:127.0.0.1', open)).toBeNull();
    expect(addressProblem('127.0.0.2', open)).toContain('loopback');
    expect(addressProblem('10.1.200.3', open)).toBeNull();
    expect(addressProblem('10.2.0.1', open)).toContain('private');
  });

  it('reads IP literals in URLs as the URL parser does: decimal, hex, short and bracketed forms', () => {
    for (const url of ['http://127.0.0.1/', 'http://2130706433/', 'http://0x7f.1/', 'http://127.1:9/', 'http://[::1]/', 'http://[::ffff:127.0.0.1]/', 'http://0.0.0.0/', 'http://169.254.169.254/latest/meta-data/', 'https://10.0.0.1/', 'http://[fd00::1]/']) {
      expect(literalAddressProblem(url, closed), url).not.toBeNull();
    }
    expect(literalAddressProblem('https://example.com/hook', closed)).toBeNull();
    expect(literalAddressProblem('https://93.184.215.14/hook', closed)).toBeNull();
  });
});

describe('the guarded dispatcher', () => {
  let receiver: Receiver;
  /** A second listener on another loopback address, which no test allows: it must never be reached. */
  let forbidden: Server;
  let forbiddenHits = 0;
  let forbiddenPort = 0;
  beforeAll(async () => {
    receiver = await startReceiver(() => ({ status: 200, body: 'private body' }));
    forbidden = createServer((_req, res) => {
      forbiddenHits += 1;
      res.end('secret internal answer');
    });
    await new Promise<void>((resolve) => forbidden.listen(0, '127.0.0.2', resolve));
    forbiddenPort = (forbidden.address() as AddressInfo).port;
  });
  afterAll(async () => {
    await receiver.close();
    await new Promise((r) => forbidden.close(r));
  });
  const port = () => new URL(receiver.url).port;
  const send = (url: string, policy = outboundPolicy([])) =>
    sendWebhook({ method: 'POST', url, headers: {}, body: '{}' }, { timeoutMs: 2_000, dispatcher: guardedDispatcher(policy) });

  it('refuses loopback in every spelling before connecting, and says why', async () => {
    const before = receiver.requests.length;
    for (const host of ['127.0.0.1', 'localhost', '[::ffff:127.0.0.1]', '0.0.0.0', '2130706433', '0x7f.1']) {
      const outcome = await send(`http://${host}:${port()}/probe`);
      expect(outcome.verdict, host).toBe('forbidden_address');
      expect(outcome.response).toBeNull();
      expect(outcome.error).toMatch(/not allowed: .*(loopback|unspecified)/);
    }
    expect(receiver.requests.length).toBe(before);
  });

  it('gives the same verdict for an open and a closed port, so it cannot scan ports', async () => {
    const open = await send(`http://127.0.0.1:${port()}/`);
    const shut = await send('http://127.0.0.1:9/');
    expect([open.verdict, open.error]).toEqual([shut.verdict, shut.error]);
  });

  it('reaches an allowed range', async () => {
    const outcome = await send(`http://127.0.0.1:${port()}/ok`, outboundPolicy(['127.0.0.1/32']));
    expect(outcome.verdict).toBe('ok');
  });

  it('checks every address a host name resolves to', async () => {
    const lookup: Lookup = async () => ['127.0.0.1', '127.0.0.2'];
    const outcome = await send(`http://mixed.example:${forbiddenPort}/`, outboundPolicy(['127.0.0.1/32'], lookup));
    expect(outcome.verdict).toBe('forbidden_address');
    expect(outcome.error).toContain('mixed.example resolves to 127.0.0.2');
    expect(forbiddenHits).toBe(0);
  });

  it('connects to the address it checked, so a DNS answer that changes after the check (rebinding) reaches nothing else', async () => {
    // First answer allowed, every later answer forbidden: a check-then-resolve-again client would connect to 127.0.0.2.
    let lookups = 0;
    const rebinding: Lookup = async () => (lookups++ === 0 ? ['127.0.0.1'] : ['127.0.0.2']);
    const policy = outboundPolicy(['127.0.0.1/32'], rebinding);
    const dispatcher = guardedDispatcher(policy);
    const before = receiver.requests.length;
    const outcome = await sendWebhook({ method: 'POST', url: `http://rebind.example:${port()}/`, headers: {}, body: '{}' }, { timeoutMs: 2_000, dispatcher });
    expect(outcome.verdict).toBe('ok');
    expect(lookups).toBe(1);
    expect(receiver.requests.length).toBe(before + 1);
    // A new connection resolves again and is checked again: now refused.
    await dispatcher.close();
    const again = await sendWebhook({ method: 'POST', url: `http://rebind.example:${port()}/`, headers: {}, body: '{}' }, { timeoutMs: 2_000, dispatcher: guardedDispatcher(policy) });
    expect(again.verdict).toBe('forbidden_address');
    expect(forbiddenHits).toBe(0);
  });
});

import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { type AddressInfo, connect, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createConnectionDrain } from '../http/connection-drain.js';

// The drain a load balancer never sees fail: a connection it keeps alive is never closed under
// it, new connections are still answered until no kept one is left, then none is taken.

let server: Server | undefined;
const clients: Socket[] = [];
afterEach(async () => {
  for (const client of clients.splice(0)) client.destroy();
  server?.closeAllConnections();
  server = undefined;
});

async function serve(handler: (request: IncomingMessage, response: ServerResponse) => void = (_, response) => response.end('ok')) {
  server = createServer({ keepAliveTimeout: 60_000 });
  const drain = createConnectionDrain(server);
  server.on('request', handler);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { drain, port: (server.address() as AddressInfo).port };
}

/** A raw HTTP/1.1 client on one connection: every answer it reads, and whether the server closed it. */
async function rawClient(port: number) {
  const socket = connect(port, '127.0.0.1');
  clients.push(socket);
  await once(socket, 'connect');
  let received = '';
  let ended = false;
  socket.on('data', (chunk) => (received += chunk));
  socket.on('end', () => (ended = true));
  socket.on('error', () => (ended = true));
  return {
    socket,
    ended: () => ended,
    /** Sends one GET and resolves with its answer's head once the whole answer (body `ok`) is in. */
    async get(): Promise<string> {
      const from = received.length;
      socket.write('GET / HTTP/1.1\r\nHost: drain.test\r\n\r\n');
      await expect.poll(() => received.slice(from).includes('\r\n\r\nok') || ended, { timeout: 20_000 }).toBe(true);
      return received.slice(from);
    },
  };
}

/** Waits until the server has accepted this many connections (not merely the kernel's queue). */
async function accepted(count: number) {
  await expect.poll(() => new Promise((resolve) => server!.getConnections((_, open) => resolve(open))), { timeout: 20_000 }).toBe(count);
}

/** Connects and resolves `refused` or `accepted`. */
function tryConnect(port: number): Promise<'refused' | 'accepted'> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve('accepted');
    });
    socket.once('error', () => resolve('refused'));
  });
}

describe('connection drain', () => {
  it('leaves a kept-alive connection to its client, answers new ones meanwhile, and stops listening once the kept one has had its last answer', async () => {
    const { drain, port } = await serve();
    const kept = await rawClient(port);
    expect(await kept.get()).toMatch(/^HTTP\/1.1 200 .*connection: keep-alive/is);

    let stoppedListening = false;
    const drained = drain.drain({ keptAliveMs: 60_000, stoppedListening: () => (stoppedListening = true) });
    // Still listening: a new connection gets its one answer, and is closed after it.
    const newcomer = await rawClient(port);
    expect(await newcomer.get()).toMatch(/^HTTP\/1.1 200 .*connection: close/is);
    await expect.poll(newcomer.ended, { timeout: 20_000 }).toBe(true);
    // The kept connection is still open, and its next request is answered, closing it.
    expect(kept.ended()).toBe(false);
    expect(stoppedListening).toBe(false);
    expect(await kept.get()).toMatch(/^HTTP\/1.1 200 .*connection: close/is);
    await drained;
    expect(stoppedListening).toBe(true);
    expect(await tryConnect(port)).toBe('refused');
  });

  it('closes a kept-alive connection nobody used once keptAliveMs has passed, then resolves', async () => {
    const { drain, port } = await serve();
    const kept = await rawClient(port);
    await kept.get();
    await drain.drain({ keptAliveMs: 0 });
    await expect.poll(kept.ended, { timeout: 20_000 }).toBe(true);
    expect(await tryConnect(port)).toBe('refused');
  });

  it('makes an answer in flight at the drain close its connection, and waits for it', async () => {
    let release: () => void = () => {};
    const held = new Promise<void>((resolve) => (release = resolve));
    let arrived = false;
    const { drain, port } = await serve((_, response) => {
      arrived = true;
      void held.then(() => response.end('ok'));
    });
    const client = await rawClient(port);
    const answer = client.get();
    await expect.poll(() => arrived, { timeout: 20_000 }).toBe(true);
    let drained = false;
    const draining = drain.drain({ keptAliveMs: 60_000 }).then(() => (drained = true));
    // Not before the answer: its connection must not be cut.
    await expect.poll(() => tryConnect(port), { timeout: 20_000 }).toBe('refused');
    expect(drained).toBe(false);
    release();
    expect(await answer).toMatch(/^HTTP\/1.1 200 .*connection: close/is);
    await draining;
  });

  it('answers a new connection whose first request comes after the server stopped listening', async () => {
    const { drain, port } = await serve();
    const newcomer = await rawClient(port);
    await accepted(1);
    const drained = drain.drain({ keptAliveMs: 0, silentMs: 60_000 });
    expect(await tryConnect(port)).toBe('refused');
    expect(await newcomer.get()).toMatch(/^HTTP\/1.1 200 .*connection: close/is);
    await drained;
  });

  it('closes a new connection that sends nothing, so that it cannot hold the drain up', async () => {
    const { drain, port } = await serve();
    const silent = await rawClient(port);
    await accepted(1);
    await drain.drain({ keptAliveMs: 60_000, silentMs: 0 });
    await expect.poll(silent.ended, { timeout: 20_000 }).toBe(true);
  });
});

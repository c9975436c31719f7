import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import { connect } from 'node:net';
import { type ExecutionResult, GraphQLError } from 'graphql';
import { createClient } from 'graphql-ws';
import { createSchema, createYoga, type Plugin } from 'graphql-yoga';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { createWebSocketTransport, maskedStream, type WebSocketTransport } from '../http/graphql-ws.js';

// The graphql-ws transport on its own, with a small Yoga and real WebSocket clients: what it
// refuses, what it masks, and how it drains. test/live-*.test.ts run it inside the gateway.

/** How many `ticks` streams have been ended (by their client leaving, through the transport). */
let tickStreamsEnded = 0;

/** Ticks until the client leaves; `broken` yields one and then fails with a secret. */
const schema = createSchema({
  typeDefs: /* GraphQL */ `
    type Query { hello(name: String): String! }
    type Subscription { ticks: Int! broken: Int! }
  `,
  resolvers: {
    Query: { hello: (_root: unknown, { name }: { name?: string | null }) => name ?? 'world' },
    Subscription: {
      ticks: {
        subscribe: async function* () {
          try {
            for (let n = 0; ; n += 1) {
              yield { ticks: n };
              await new Promise((resolve) => setTimeout(resolve, 20));
            }
          } finally {
            tickStreamsEnded += 1;
          }
        },
      },
      broken: {
        subscribe: async function* () {
          yield { broken: 1 };
          throw new Error('secret: the stream broke');
        },
      },
    },
  },
});

/**
 * What wraps the executor and throws, as a plugin could: the operation named ExecuteThrows
 * fails as it starts, SubscribeThrows before its stream exists.
 */
const throwing: Plugin = {
  onExecute({ args, setExecuteFn }) {
    if (args.operationName === 'ExecuteThrows')
      setExecuteFn(() => {
        throw new Error('secret: execute threw');
      });
  },
  onSubscribe({ args, setSubscribeFn }) {
    if (args.operationName === 'SubscribeThrows')
      setSubscribeFn(() => {
        throw new Error('secret: subscribe threw');
      });
  },
};

let server: Server;
let transport: WebSocketTransport;
let url: string;
const masked: unknown[] = [];

beforeEach(async () => {
  masked.length = 0;
  tickStreamsEnded = 0;
  const yoga = createYoga({ schema, logging: false, plugins: [throwing] });
  transport = createWebSocketTransport({
    yoga,
    verifyAuthorization: async (authorization) => {
      if (authorization !== 'Bearer good') throw new Error('bad token');
    },
    maskError: (error) => {
      masked.push(error);
      return new GraphQLError('Unexpected error.', { extensions: { code: 'INTERNAL_SERVER_ERROR' } });
    },
    maxPayloadBytes: 10_000,
  });
  server = createServer((_request, response) => response.end());
  server.on('upgrade', (request, socket, head) => transport.handleUpgrade(request, socket, head));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  url = `ws://127.0.0.1:${(server.address() as { port: number }).port}/graphql`;
});
afterEach(async () => {
  await transport.close();
  server.closeAllConnections();
  server.close();
});

/** A client that records how its connection closed. */
function client(connectionParams: Record<string, unknown> | null = {}) {
  const closed: { code: number | null } = { code: null };
  const made = createClient({
    url,
    webSocketImpl: WebSocket,
    retryAttempts: 0,
    lazy: false,
    onNonLazyError: () => {},
    // null: a connection_init with no payload at all.
    connectionParams: connectionParams ?? undefined,
    on: { closed: (event) => (closed.code = (event as { code?: number }).code ?? null) },
  });
  return { client: made, closed };
}

/** Runs an operation to its end: what it yielded, and how it ended. */
async function collect(query: string, made = client().client, operationName?: string) {
  const results: unknown[] = [];
  let failure: unknown = null;
  await new Promise<void>((resolve) =>
    made.subscribe(
      { query, ...(operationName && { operationName }) },
      {
        next: (value) => void results.push(value),
        error: (error) => {
          failure = error;
          resolve();
        },
        complete: resolve,
      },
    ),
  );
  return { results, failure };
}

/** The status line an upgrade request to `path` is answered with. */
async function upgradeStatus(path: string): Promise<string> {
  const socket = connect(Number(new URL(url).port), '127.0.0.1');
  socket.write(
    `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Protocol: graphql-transport-ws\r\n\r\n`,
  );
  let answer = '';
  for await (const chunk of socket) {
    answer += chunk;
    if (answer.includes('\r\n')) break;
  }
  socket.destroy();
  return answer.split('\r\n')[0]!;
}

/**
 * A peer that opens a graphql-ws connection over a raw socket, is acknowledged, and then
 * answers nothing, not even the server's close: `cut` resolves with the time its socket closed.
 */
async function silentPeer(): Promise<{ cut: Promise<number> }> {
  const socket = connect(Number(new URL(url).port), '127.0.0.1');
  const cut = new Promise<number>((resolve) => socket.once('close', () => resolve(performance.now())));
  let seen = '';
  let initialised = false;
  await new Promise<void>((resolve) => {
    socket.on('data', (chunk: Buffer) => {
      seen += chunk.toString('latin1');
      if (!initialised && seen.includes('\r\n\r\n')) {
        initialised = true;
        // A client's frame is masked: a mask of zeros leaves the text as it is.
        const init = Buffer.from(JSON.stringify({ type: 'connection_init' }));
        socket.write(Buffer.concat([Buffer.from([0x81, 0x80 | init.length, 0, 0, 0, 0]), init]));
      }
      if (seen.includes('connection_ack')) resolve();
    });
    socket.write(
      `GET /graphql HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Protocol: graphql-transport-ws\r\n\r\n`,
    );
  });
  return { cut };
}

describe('the graphql-ws transport', () => {
  it('takes upgrades on its path only (404 elsewhere), and none once draining (503)', async () => {
    expect(await upgradeStatus('/graphql')).toBe('HTTP/1.1 101 Switching Protocols');
    expect(await upgradeStatus('/other')).toBe('HTTP/1.1 404 Not Found');
    expect(await upgradeStatus('/graphql/more')).toBe('HTTP/1.1 404 Not Found');
    // Targets no URL can be made of are refused, not thrown in the server's upgrade listener (which ends the process).
    expect(await upgradeStatus('//x:99999/graphql')).toBe('HTTP/1.1 400 Bad Request');
    expect(await upgradeStatus('http://x:99999/graphql')).toBe('HTTP/1.1 400 Bad Request');
    expect(await upgradeStatus('/graphql')).toBe('HTTP/1.1 101 Switching Protocols');
    await transport.drain(1_000);
    expect(await upgradeStatus('/graphql')).toBe('HTTP/1.1 503 Service Unavailable');
  });

  it('refuses an operation it cannot identify, and counts it as nothing under way: a drain then closes at once', async () => {
    const made = client();
    for (const operationName of ['C', undefined]) {
      const { results, failure } = await collect('query A { hello } query B { hello }', made.client, operationName);
      expect(results).toEqual([]);
      expect(failure).toEqual([expect.objectContaining({ message: 'Unable to identify operation' })]);
    }
    // A grace far longer than any test: the drain waits for operations in flight, and none is.
    await transport.drain(3_600_000);
    await expect.poll(() => made.closed.code, { timeout: 10_000 }).toBe(1001);
    await made.client.dispose();
  });

  it('answers a query, and streams a subscription', async () => {
    expect(await collect('{ hello }')).toEqual({ results: [{ data: { hello: 'world' } }], failure: null });
    const made = client();
    const ticks: unknown[] = [];
    const stop = made.client.subscribe({ query: 'subscription { ticks }' }, { next: (value) => void ticks.push(value), error: () => {}, complete: () => {} });
    await expect.poll(() => ticks.length, { timeout: 10_000 }).toBeGreaterThanOrEqual(2);
    expect(ticks.slice(0, 2)).toEqual([{ data: { ticks: 0 } }, { data: { ticks: 1 } }]);
    stop();
    await made.client.dispose();
  });

  it('runs the operation the client names, with its variables, and answers a document that does not validate with its errors', async () => {
    const made = client();
    const results: unknown[] = [];
    await new Promise<void>((resolve, reject) =>
      made.client.subscribe(
        { query: 'query First($name: String) { hello(name: $name) } query Second { hello }', operationName: 'First', variables: { name: 'ada' } },
        { next: (value) => void results.push(value), error: reject, complete: resolve },
      ),
    );
    expect(results).toEqual([{ data: { hello: 'ada' } }]);
    const invalid = await collect('{ nope }', made.client);
    expect(invalid.results).toEqual([]);
    expect(invalid.failure).toEqual([expect.objectContaining({ message: 'Cannot query field "nope" on type "Query".' })]);
    const unparsable = await collect('{ hello', made.client);
    expect(unparsable.results).toEqual([]);
    expect(unparsable.failure).toEqual([expect.objectContaining({ message: 'Syntax Error: Expected Name, found <EOF>.' })]);
    await made.client.dispose();
  });

  it('ends a stream that breaks with one last result, its error masked, and keeps the connection', async () => {
    // (Yoga's executor hands the stream's failure over as a result, which Yoga's masking masks;
    // the transport's own masking of a stream that throws is for what wraps the executor's.)
    const made = client();
    const broken = await collect('subscription { broken }', made.client);
    expect(broken.failure).toBeNull();
    expect(broken.results).toHaveLength(2);
    expect(broken.results[1]).toMatchObject({ errors: [{ message: 'Unexpected error.' }] });
    expect(JSON.stringify(broken.results)).not.toContain('secret');
    // The same connection still serves.
    expect(await collect('{ hello }', made.client)).toEqual({ results: [{ data: { hello: 'world' } }], failure: null });
    expect(made.closed.code).toBeNull();
    await made.client.dispose();
  });

  it('refuses a connection whose authorization is not a string, or a token that does not verify (4403); takes a good one', async () => {
    for (const params of [{ authorization: 42 }, { authorization: 'Bearer forged' }]) {
      const refused = client(params);
      await expect.poll(() => refused.closed.code, { timeout: 10_000 }).toBe(4403);
      await refused.client.dispose();
    }
    const taken = client({ authorization: 'Bearer good' });
    expect(await collect('{ hello }', taken.client)).toEqual({ results: [{ data: { hello: 'world' } }], failure: null });
    await taken.client.dispose();
  });

  it('drains once every operation in flight has ended, then closes every connection with 1001', async () => {
    expect(transport.connections).toBe(0);
    const made = client();
    const ticks = [[], []] as unknown[][];
    const stops = ticks.map((seen) =>
      made.client.subscribe({ query: 'subscription { ticks }' }, { next: (value) => void seen.push(value), error: () => {}, complete: () => {} }),
    );
    await expect.poll(() => Math.min(...ticks.map((seen) => seen.length)), { timeout: 10_000 }).toBeGreaterThan(0);
    expect(transport.connections).toBe(1);
    let drained = false;
    // A grace far longer than any test: the drain ends because the subscriptions did.
    const draining = transport.drain(600_000).then(() => (drained = true));
    // One ends; the other still streams, so the drain goes on: a tick more arrives first.
    stops[0]!();
    const seen = ticks[1]!.length;
    await expect.poll(() => ticks[1]!.length, { timeout: 10_000 }).toBeGreaterThan(seen + 1);
    expect(drained).toBe(false);
    stops[1]!();
    await draining;
    await expect.poll(() => made.closed.code, { timeout: 10_000 }).toBe(1001);
    await expect.poll(() => transport.connections, { timeout: 10_000 }).toBe(0);
    await made.client.dispose();
  });

  it('drains at once a connection with nothing in flight', async () => {
    const made = client();
    expect(await collect('{ hello }', made.client)).toEqual({ results: [{ data: { hello: 'world' } }], failure: null });
    // Far longer than the test may take: the drain must not wait for it.
    await transport.drain(600_000);
    await expect.poll(() => made.closed.code, { timeout: 10_000 }).toBe(1001);
    await made.client.dispose();
  });

  it('drains at once when nothing is in flight, and before any connection was made', async () => {
    await transport.drain(600_000);
    const made = client();
    await expect.poll(() => made.closed.code, { timeout: 10_000 }).not.toBeNull();
    await made.client.dispose();
  });

  it('takes a connection opened with no payload at all', async () => {
    const made = client(null);
    expect(await collect('{ hello }', made.client)).toEqual({ results: [{ data: { hello: 'world' } }], failure: null });
    expect(made.closed.code).toBeNull();
    await made.client.dispose();
  });

  it('masks what throws around execution (an executor, a subscribe), and keeps the connection', async () => {
    const made = client();
    const unexpected = { message: 'Unexpected error.', extensions: { code: 'INTERNAL_SERVER_ERROR' } };
    expect(await collect('query ExecuteThrows { hello }', made.client, 'ExecuteThrows')).toEqual({ results: [{ errors: [unexpected] }], failure: null });
    expect(await collect('subscription SubscribeThrows { ticks }', made.client, 'SubscribeThrows')).toEqual({
      results: [{ errors: [unexpected] }],
      failure: null,
    });
    expect(masked.map((error) => (error as Error).message)).toEqual(['secret: execute threw', 'secret: subscribe threw']);
    expect(await collect('{ hello }', made.client)).toEqual({ results: [{ data: { hello: 'world' } }], failure: null });
    expect(made.closed.code).toBeNull();
    await made.client.dispose();
  });

  it('ends the stream underneath when its client stops a subscription', async () => {
    const made = client();
    const ticks: unknown[] = [];
    const stop = made.client.subscribe({ query: 'subscription { ticks }' }, { next: (value) => void ticks.push(value), error: () => {}, complete: () => {} });
    await expect.poll(() => ticks.length, { timeout: 10_000 }).toBeGreaterThan(0);
    expect(tickStreamsEnded).toBe(0);
    stop();
    await expect.poll(() => tickStreamsEnded, { timeout: 10_000 }).toBe(1);
    await made.client.dispose();
  });

  it('ends a drain when its grace is over though a subscription still streams, and closes with 1001', async () => {
    const made = client();
    const ticks: unknown[] = [];
    made.client.subscribe({ query: 'subscription { ticks }' }, { next: (value) => void ticks.push(value), error: () => {}, complete: () => {} });
    await expect.poll(() => ticks.length, { timeout: 10_000 }).toBeGreaterThan(0);
    const began = performance.now();
    await transport.drain(300);
    // Timers may round by a millisecond or so; a slow machine only makes it later.
    expect(performance.now() - began).toBeGreaterThanOrEqual(290);
    await expect.poll(() => made.closed.code, { timeout: 10_000 }).toBe(1001);
    await made.client.dispose();
  });

  it('cuts a peer that does not answer the close at the end of the grace', async () => {
    const peer = await silentPeer();
    expect(transport.connections).toBe(1);
    const began = performance.now();
    await transport.drain(1_500);
    expect((await peer.cut) - began).toBeGreaterThanOrEqual(1_490);
    await expect.poll(() => transport.connections, { timeout: 10_000 }).toBe(0);
  });

  it('gives a peer a second at least to answer the close, however short the grace', async () => {
    const peer = await silentPeer();
    const began = performance.now();
    await transport.drain(0);
    expect((await peer.cut) - began).toBeGreaterThanOrEqual(990);
  });

  it('closes every connection with 1001 when closed, and may be closed twice', async () => {
    const made = client();
    expect(await collect('{ hello }', made.client)).toEqual({ results: [{ data: { hello: 'world' } }], failure: null });
    await transport.close();
    await expect.poll(() => made.closed.code, { timeout: 10_000 }).toBe(1001);
    await expect(transport.close()).resolves.toBeUndefined();
    await made.client.dispose();
  });
});

describe('maskedStream', () => {
  // Yoga's masking already turns a stream's failure into a result (the test of `broken` above);
  // this is the transport's net for a stream that throws past it.
  /** A stream that yields one result and then throws on every pull, counting its pulls and returns. */
  function throwsAfterOne() {
    const seen = { pulls: 0, returns: 0 };
    const source: AsyncIterable<ExecutionResult> = {
      [Symbol.asyncIterator]: () => ({
        next: async () => {
          seen.pulls += 1;
          if (seen.pulls === 1) return { done: false, value: { data: { n: 1 } } };
          throw new Error('secret: the stream threw');
        },
        return: async () => {
          seen.returns += 1;
          return { done: true, value: undefined };
        },
      }),
    };
    return { source, seen };
  }
  const mask = (error: unknown) => new GraphQLError(`masked: ${(error as Error).message.length} characters`);

  it('ends a stream that throws with one last result, its error masked, and pulls it no more', async () => {
    const { source, seen } = throwsAfterOne();
    const results: ExecutionResult[] = [];
    for await (const result of maskedStream(source, mask)) results.push(result);
    expect(results).toEqual([{ data: { n: 1 } }, { errors: [new GraphQLError('masked: 24 characters')] }]);
    expect(seen.pulls).toBe(2);
  });

  it('passes its end on to the stream underneath', async () => {
    const { source, seen } = throwsAfterOne();
    const stream = maskedStream(source, mask);
    expect(await stream.next()).toEqual({ done: false, value: { data: { n: 1 } } });
    expect(await stream.return!()).toEqual({ done: true, value: undefined });
    expect(seen.returns).toBe(1);
  });

  it('ends, too, a stream underneath that has no end of its own to call', async () => {
    const source: AsyncIterable<ExecutionResult> = { [Symbol.asyncIterator]: () => ({ next: async () => ({ done: false, value: { data: { n: 1 } } }) }) };
    const stream = maskedStream(source, mask);
    expect(await stream.next()).toEqual({ done: false, value: { data: { n: 1 } } });
    expect(await stream.return!()).toEqual({ done: true, value: undefined });
  });
});

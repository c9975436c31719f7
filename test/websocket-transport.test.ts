import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import { connect } from 'node:net';
import { GraphQLError } from 'graphql';
import { createClient } from 'graphql-ws';
import { createSchema, createYoga } from 'graphql-yoga';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { createWebSocketTransport, type WebSocketTransport } from '../http/graphql-ws.js';

// The graphql-ws transport on its own, with a small Yoga and real WebSocket clients: what it
// refuses, what it masks, and how it drains. test/live-*.test.ts run it inside the gateway.

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
          for (let n = 0; ; n += 1) {
            yield { ticks: n };
            await new Promise((resolve) => setTimeout(resolve, 20));
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

let server: Server;
let transport: WebSocketTransport;
let url: string;
const masked: unknown[] = [];

beforeEach(async () => {
  masked.length = 0;
  const yoga = createYoga({ schema, logging: false });
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
function client(connectionParams: Record<string, unknown> = {}) {
  const closed: { code: number | null } = { code: null };
  const made = createClient({
    url,
    webSocketImpl: WebSocket,
    retryAttempts: 0,
    lazy: false,
    onNonLazyError: () => {},
    connectionParams,
    on: { closed: (event) => (closed.code = (event as { code?: number }).code ?? null) },
  });
  return { client: made, closed };
}

/** Runs an operation to its end: what it yielded, and how it ended. */
async function collect(query: string, made = client().client) {
  const results: unknown[] = [];
  let failure: unknown = null;
  await new Promise<void>((resolve) =>
    made.subscribe(
      { query },
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

describe('the graphql-ws transport', () => {
  it('takes upgrades on its path only (404 elsewhere), and none once draining (503)', async () => {
    expect(await upgradeStatus('/graphql')).toBe('HTTP/1.1 101 Switching Protocols');
    expect(await upgradeStatus('/other')).toBe('HTTP/1.1 404 Not Found');
    expect(await upgradeStatus('/graphql/more')).toBe('HTTP/1.1 404 Not Found');
    await transport.drain(1_000);
    expect(await upgradeStatus('/graphql')).toBe('HTTP/1.1 503 Service Unavailable');
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
});

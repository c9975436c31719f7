import { getEventListeners, once } from 'node:events';
import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { getPriority } from 'node:os';
import { afterEach, describe, expect, it } from 'vitest';
import { type AttemptToSend, BACKGROUND_NICE, type BackgroundThread, createBackgroundThread } from '../sources/kit/background-thread.js';
import { AttemptFailure } from '../sources/kit/upstream-error.js';
import { threadNiceValues, threadsAtNice } from './helpers/thread-nice.js';

// The thread that sends background work's upstream attempts, against a real local server.

const onLinux = process.platform === 'linux';
/** Whether the background thread's nice value tells it apart from this process's other threads. */
const lowerNiceAvailable = onLinux && getPriority() < BACKGROUND_NICE;

interface Seen {
  url: string;
  headers: IncomingHttpHeaders;
  /** Resolves when the request's connection closes before it was answered. */
  closedUnanswered: Promise<void>;
  respond: ServerResponse;
}

let servers: Server[] = [];
let threads: BackgroundThread[] = [];
afterEach(async () => {
  await Promise.all(threads.map((thread) => thread.close()));
  for (const server of servers) server.closeAllConnections();
  await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  servers = [];
  threads = [];
});

/** A server that holds every request until the test answers it (or answers at once when `answer` is given). */
async function upstream(answer?: (response: ServerResponse) => void) {
  const seen: Seen[] = [];
  const server = createServer((request, response) => {
    const closedUnanswered = new Promise<void>((resolve) => response.on('close', () => !response.writableEnded && resolve()));
    seen.push({ url: request.url ?? '', headers: request.headers, closedUnanswered, respond: response });
    answer?.(response);
  });
  servers.push(server);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { seen, base };
}

function thread(options: Parameters<typeof createBackgroundThread>[0] = {}) {
  const made = createBackgroundThread(options);
  threads.push(made);
  return made;
}

const attempt = (url: string, overrides: Partial<AttemptToSend> = {}): AttemptToSend => ({
  url: new URL(url),
  headers: undefined,
  timeoutMs: 10_000,
  maxBytes: 1_000,
  maxSockets: 4,
  signal: new AbortController().signal,
  ...overrides,
});

const failureOf = (pending: Promise<unknown>) =>
  pending.then(
    () => {
      throw new Error('expected the attempt to fail');
    },
    (error: unknown) => {
      expect(error).toBeInstanceOf(AttemptFailure);
      return error as AttemptFailure;
    },
  );

describe('the background thread', () => {
  it('sends an attempt with its headers, and brings back the status, the body and the Retry-After', async () => {
    const api = await upstream((response) => {
      response.writeHead(429, { 'content-type': 'application/json', 'retry-after': '7' });
      response.end('{"reason":"slow down"}');
    });
    const caller = new AbortController();
    const answer = await thread().send(
      attempt(`${api.base}/v1/search?name=Berlin`, { headers: { 'x-api-key': 'key', traceparent: 'tp' }, signal: caller.signal }),
    );
    expect(answer).toEqual({ status: 429, body: '{"reason":"slow down"}', retryAfter: '7' });
    // The attempt no longer listens to its caller once it is answered (a report's signal outlives many attempts).
    expect(getEventListeners(caller.signal, 'abort')).toEqual([]);
    expect(api.seen.map(({ url }) => url)).toEqual(['/v1/search?name=Berlin']);
    expect(api.seen[0]!.headers).toMatchObject({ accept: 'application/json', 'user-agent': 'gatherql', 'x-api-key': 'key', traceparent: 'tp' });
  });

  // Only seen where this process runs at a higher priority than BACKGROUND_NICE (`nice` does not lower it that far).
  it.runIf(lowerNiceAvailable)('sends from a thread of its own at BACKGROUND_NICE, leaving the priority of the thread that serves alone', async () => {
    const api = await upstream();
    const serving = getPriority();
    const before = threadsAtNice(BACKGROUND_NICE);
    const sender = thread();
    // No attempt yet, no thread.
    expect(threadsAtNice(BACKGROUND_NICE)).toBe(before);
    const pending = sender.send(attempt(`${api.base}/held`));
    await expect.poll(() => api.seen.length).toBe(1);
    expect(threadsAtNice(BACKGROUND_NICE)).toBe(before + 1);
    expect(getPriority()).toBe(serving);
    api.seen[0]!.respond.end('{}');
    expect((await pending).status).toBe(200);
  });

  it.runIf(onLinux)('never takes a higher priority than the thread that serves, whatever nice value it is given', async () => {
    const api = await upstream();
    const serving = getPriority();
    const pending = thread({ nice: serving - 5 }).send(attempt(`${api.base}/held`));
    await expect.poll(() => api.seen.length).toBe(1);
    expect(threadNiceValues().filter((value) => value < serving)).toEqual([]);
    api.seen[0]!.respond.end('{}');
    expect((await pending).status).toBe(200);
  });

  it('tells a timeout, a refused connection and a body over the cap apart', async () => {
    const held = await upstream();
    const large = await upstream((response) => response.end('x'.repeat(1_001)));
    const exact = await upstream((response) => response.end('y'.repeat(1_000)));
    const refusing = createServer();
    refusing.listen(0, '127.0.0.1');
    await once(refusing, 'listening');
    const closedPort = (refusing.address() as AddressInfo).port;
    await new Promise((resolve) => refusing.close(resolve));
    const sender = thread();

    const timeout = await failureOf(sender.send(attempt(`${held.base}/`, { timeoutMs: 100 })));
    expect([timeout.kind, timeout.code]).toEqual(['timeout', 'ETIMEDOUT']);
    const refused = await failureOf(sender.send(attempt(`http://127.0.0.1:${closedPort}/`)));
    expect([refused.kind, refused.code]).toEqual(['failed', 'ECONNREFUSED']);
    const tooLarge = await failureOf(sender.send(attempt(`${large.base}/`)));
    expect(tooLarge.kind).toBe('too-large');
    expect((await sender.send(attempt(`${exact.base}/`))).body).toHaveLength(1_000);
  });

  it('gives an attempt up as soon as its caller does: the caller hears at once, the upstream sees the request closed', async () => {
    const api = await upstream();
    const caller = new AbortController();
    // Its timeout, or the thread's end when idle, would close the request only long after the test's.
    const pending = thread({ idleMs: 3_600_000 }).send(attempt(`${api.base}/`, { signal: caller.signal, timeoutMs: 3_600_000 }));
    await expect.poll(() => api.seen.length).toBe(1);
    caller.abort();
    const failure = await failureOf(pending);
    expect([failure.kind, failure.code, failure.message]).toEqual(['failed', 'ERR_ABORTED', 'the attempt was aborted']);
    await api.seen[0]!.closedUnanswered;
  });

  it('sends nothing for an attempt whose caller gave up before it was sent', async () => {
    const api = await upstream((response) => response.end('{}'));
    const sender = thread();
    const failure = await failureOf(sender.send(attempt(`${api.base}/`, { signal: AbortSignal.abort() })));
    expect(failure.code).toBe('ERR_ABORTED');
    // A later attempt goes out: the first never did.
    await sender.send(attempt(`${api.base}/second`));
    expect(api.seen.map(({ url }) => url)).toEqual(['/second']);
  });

  it.runIf(lowerNiceAvailable)('ends once it has had no attempt for idleMs, and starts again for the next', async () => {
    const api = await upstream((response) => response.end('{}'));
    const before = threadsAtNice(BACKGROUND_NICE);
    const sender = thread({ idleMs: 50 });
    await sender.send(attempt(`${api.base}/one`));
    await expect.poll(() => threadsAtNice(BACKGROUND_NICE), { timeout: 30_000 }).toBe(before);
    expect((await sender.send(attempt(`${api.base}/two`))).status).toBe(200);
    expect(api.seen.map(({ url }) => url)).toEqual(['/one', '/two']);
  });

  it('does not end while an attempt is under way, nor when one is sent just after the last answer', async () => {
    const api = await upstream();
    const sender = thread({ idleMs: 20 });
    // An idle timer set by an answer (20 ms) would fire before one of 40 ms set after it.
    const longerThanIdle = () => new Promise((resolve) => setTimeout(resolve, 40));
    const first = sender.send(attempt(`${api.base}/one`));
    const second = sender.send(attempt(`${api.base}/two`));
    await expect.poll(() => api.seen.length).toBe(2);
    // The first answer leaves the second under way: the thread stays for it.
    api.seen[0]!.respond.end('{"n":1}');
    expect((await first).body).toBe('{"n":1}');
    await longerThanIdle();
    api.seen[1]!.respond.end('{"n":2}');
    expect((await second).body).toBe('{"n":2}');
    // Idle now; an attempt sent in the same turn as the last answer keeps the thread.
    const third = sender.send(attempt(`${api.base}/three`));
    await expect.poll(() => api.seen.length).toBe(3);
    await longerThanIdle();
    api.seen[2]!.respond.end('{"n":3}');
    expect((await third).body).toBe('{"n":3}');
  });

  it('fails the attempts under way when it closes, and refuses any later', async () => {
    const api = await upstream();
    const sender = thread();
    const failed = failureOf(sender.send(attempt(`${api.base}/`)));
    await expect.poll(() => api.seen.length).toBe(1);
    await sender.close();
    const underWay = await failed;
    expect([underWay.kind, underWay.message]).toEqual(['failed', 'the gateway is closing']);
    await api.seen[0]!.closedUnanswered;
    const later = await failureOf(sender.send(attempt(`${api.base}/later`)));
    expect([later.kind, later.message]).toEqual(['failed', 'the gateway is closing']);
    expect(api.seen).toHaveLength(1);
  });
});

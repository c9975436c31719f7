import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { counterValue } from '../metrics.js';
import { type Simulator, startSimulator } from '../simulator/simulator.js';
import { as } from './helpers/auth.js';
import { type HttpGateway, useHttpGateway } from './helpers/http.js';
import { type Watch, watchSse, watchWs } from './helpers/live-clients.js';
import { simulatorEnv } from './helpers/weather.js';

// The limits of live data, over real SSE and WebSocket clients: how many subscriptions a
// client may hold, the query limits, the rate limit and trusted documents on both transports,
// a consumer that does not read, and a gateway that shuts down.

const POSTS = 'subscription { postPublished { title } }';
const WEATHER = 'subscription ($cities: [String!]!) { weatherUpdates(cities: $cities) { __typename } }';

let sim: Simulator;
beforeAll(async () => {
  sim = await startSimulator();
});
afterAll(() => sim?.close());

const url = (live: { http: HttpGateway }) => `${live.http.url}/graphql`;

const codeOf = (watch: Watch) =>
  watch.events[0]?.errors?.[0]?.extensions?.code ?? (watch.failure as { errors?: { extensions?: { code?: string } }[] } | null)?.errors?.[0]?.extensions?.code;

describe('SUBSCRIPTIONS_PER_CLIENT=3', () => {
  const live = useHttpGateway(() => ({ ...simulatorEnv(sim), SUBSCRIPTIONS_PER_CLIENT: '3' }), { seed: true });
  const open = () => counterValue(live.gateway.metrics.subscriptionsOpen, { field: 'postPublished' });

  it('refuses the fourth subscription of a client, over either transport, with RATE_LIMITED, until one of the three is closed', async () => {
    const three = [await watchSse(url(live), POSTS), await watchSse(url(live), POSTS), watchWs(url(live), POSTS)];
    await expect.poll(open, { timeout: 10_000 }).toBe(3);
    const overSse = await watchSse(url(live), POSTS);
    await overSse.ended;
    expect(overSse.status).toBe(429);
    expect(overSse.events).toEqual([{ errors: [expect.objectContaining({ extensions: { code: 'RATE_LIMITED', limit: 3 } })] }]);
    expect(overSse.completed).toBe(true);
    const overWs = watchWs(url(live), POSTS);
    await expect.poll(() => overWs.completed, { timeout: 10_000 }).toBe(true);
    expect(codeOf(overWs)).toBe('RATE_LIMITED');
    await overWs.close();
    // Another client (a signed-in user) has a budget of its own.
    const signedIn = watchWs(url(live), POSTS, { authorization: (await as(1)).authorization });
    await expect.poll(open, { timeout: 10_000 }).toBe(4);
    await three[0]!.close();
    await expect.poll(open, { timeout: 10_000 }).toBe(3);
    const again = await watchSse(url(live), POSTS);
    expect(again.status).toBe(200);
    await expect.poll(open, { timeout: 10_000 }).toBe(4);
    for (const watch of [...three.slice(1), signedIn, again]) await watch.close();
    await expect.poll(open, { timeout: 10_000 }).toBe(0);
  });

  it('applies the city limits of weather, and the query limits, over WebSocket as over HTTP', async () => {
    const cities = Array.from({ length: 51 }, (_, n) => `City ${n}`);
    const tooMany = watchWs(url(live), WEATHER, { variables: { cities } });
    await expect.poll(() => tooMany.completed, { timeout: 10_000 }).toBe(true);
    expect(codeOf(tooMany)).toBe('BAD_USER_INPUT');
    await tooMany.close();
    const overSse = await watchSse(url(live), WEATHER, { variables: { cities } });
    await overSse.ended;
    expect(codeOf(overSse)).toBe('BAD_USER_INPUT');
    const deep =
      'subscription { postPublished { author { posts { edges { node { author { posts { edges { node { author { posts { edges { node { title } } } } } } } } } } } } } }';
    const tooDeep = watchWs(url(live), deep);
    await expect.poll(() => tooDeep.failure !== null, { timeout: 10_000 }).toBe(true);
    expect((tooDeep.failure as { extensions?: { code?: string } }[])[0]?.extensions?.code).toBe('QUERY_TOO_COMPLEX');
    await tooDeep.close();
    // A page size given by a variable counts as the size it has (validation alone saw 1).
    const costly = watchWs(
      url(live),
      'subscription ($n: Int) { postPublished { author { posts(first: $n) { edges { node { author { posts(first: $n) { edges { node { title } } } } } } } } } }',
      { variables: { n: 100 } },
    );
    await expect.poll(() => costly.completed || costly.failure !== null, { timeout: 10_000 }).toBe(true);
    expect(codeOf(costly)).toBe('QUERY_TOO_COMPLEX');
    await costly.close();
    expect(await open()).toBe(0);
  });

  it('gives back the place of a subscription that the query limits refuse', async () => {
    const costly =
      'subscription ($n: Int) { postPublished { author { posts(first: $n) { edges { node { author { posts(first: $n) { edges { node { title } } } } } } } } } }';
    // More refusals than the client has places, over both transports.
    for (let n = 0; n < 2; n += 1) {
      const overWs = watchWs(url(live), costly, { variables: { n: 100 } });
      await expect.poll(() => overWs.completed || overWs.failure !== null, { timeout: 10_000 }).toBe(true);
      expect(codeOf(overWs)).toBe('QUERY_TOO_COMPLEX');
      await overWs.close();
      const overSse = await watchSse(url(live), costly, { variables: { n: 100 } });
      await overSse.ended;
      expect(codeOf(overSse)).toBe('QUERY_TOO_COMPLEX');
    }
    // All three places are the client's still.
    const three = [await watchSse(url(live), POSTS), watchWs(url(live), POSTS), await watchSse(url(live), POSTS)];
    await expect.poll(open, { timeout: 10_000 }).toBe(3);
    expect(three.map((watch) => codeOf(watch) ?? null)).toEqual([null, null, null]);
    for (const watch of three) await watch.close();
    await expect.poll(open, { timeout: 10_000 }).toBe(0);
  });

  it('refuses a WebSocket opened with a bad token (4403), and never counts it as anonymous', async () => {
    const forged = watchWs(url(live), POSTS, { authorization: 'Bearer not.a.token' });
    await expect.poll(() => forged.closeCode, { timeout: 10_000 }).toBe(4403);
    await forged.close();
  });
});

describe('the rate limit and trusted documents (only) over WebSocket', () => {
  const live = useHttpGateway(() => ({ ...simulatorEnv(sim), RATE_LIMIT_PER_MINUTE: '3', PERSISTED_DOCUMENTS: 'only' }), { seed: true });
  const manifest = JSON.parse(readFileSync('client/generated/persisted-documents.json', 'utf8')) as Record<string, string>;
  const watchWeather = Object.keys(manifest).find((id) => manifest[id]!.includes('subscription WatchWeather'))!;

  it('runs a trusted document by id, refuses a plain one and an unknown id, and counts each operation against the rate limit', async () => {
    const trusted = watchWs(url(live), '', { extra: { documentId: watchWeather }, variables: { cities: ['Oslo'] } });
    await expect.poll(() => trusted.events.length, { timeout: 10_000 }).toBe(1);
    expect(trusted.events[0]!.data.weatherUpdates.city).toBe('Oslo');
    await trusted.close();
    const plain = watchWs(url(live), POSTS);
    await expect.poll(() => plain.failure !== null, { timeout: 10_000 }).toBe(true);
    expect((plain.failure as { extensions?: { code?: string } }[])[0]?.extensions?.code).toBe('PERSISTED_QUERY_ONLY');
    await plain.close();
    const unknown = watchWs(url(live), '', { extra: { documentId: 'sha256:0000' } });
    await expect.poll(() => unknown.failure !== null, { timeout: 10_000 }).toBe(true);
    expect((unknown.failure as { extensions?: { code?: string } }[])[0]?.extensions?.code).toBe('PERSISTED_QUERY_NOT_FOUND');
    await unknown.close();
    // Three operations ran (the refused ones were refused before they could); the fourth of the window is one too many.
    const second = watchWs(url(live), '', { extra: { documentId: watchWeather }, variables: { cities: ['Oslo'] } });
    await expect.poll(() => second.events.length, { timeout: 10_000 }).toBe(1);
    const third = watchWs(url(live), '', { extra: { documentId: watchWeather }, variables: { cities: ['Oslo'] } });
    await expect.poll(() => third.events.length, { timeout: 10_000 }).toBe(1);
    const fourth = watchWs(url(live), '', { extra: { documentId: watchWeather }, variables: { cities: ['Oslo'] } });
    await expect.poll(() => fourth.completed, { timeout: 10_000 }).toBe(true);
    expect(codeOf(fourth)).toBe('RATE_LIMITED');
    for (const watch of [second, third, fourth]) await watch.close();
  });
});

describe('trusted documents over WebSocket and HTTP, one parse cache', () => {
  const live = useHttpGateway(() => ({ ...simulatorEnv(sim), PERSISTED_DOCUMENTS: 'only' }), { seed: true });
  const manifest = JSON.parse(readFileSync('client/generated/persisted-documents.json', 'utf8')) as Record<string, string>;
  const idOf = (name: string) => Object.keys(manifest).find((id) => manifest[id]!.includes(`query ${name}(`))!;
  const byIdOverWs = async (query: string, documentId: string, variables: Record<string, unknown> = {}) => {
    const watch = watchWs(url(live), query, { extra: { documentId }, variables });
    await expect.poll(() => watch.completed || watch.failure !== null, { timeout: 10_000 }).toBe(true);
    await watch.close();
    return watch.events[0]!;
  };

  it('runs the document each id names, whatever text came beside it, and never lets that text name it later', async () => {
    // Two documents by id, each with an empty query, one after the other: each runs its own.
    expect(Object.keys((await byIdOverWs('', idOf('LatestPosts'))).data)).toEqual(['posts']);
    expect(Object.keys((await byIdOverWs('', idOf('CurrentWeather'), { cities: ['Oslo'] })).data)).toEqual(['weather']);
    // The text of CurrentWeather beside the id of LatestPosts: LatestPosts runs, as the id says...
    expect(Object.keys((await byIdOverWs(manifest[idOf('CurrentWeather')]!, idOf('LatestPosts'))).data)).toEqual(['posts']);
    // ...and a request for CurrentWeather by its id, over HTTP, still runs CurrentWeather.
    const response = await fetch(url(live), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ documentId: idOf('CurrentWeather'), variables: { cities: ['Oslo'] } }),
    });
    const body = (await response.json()) as { data: Record<string, unknown> };
    expect(Object.keys(body.data)).toEqual(['weather']);
  });
});

describe('a consumer that does not read', () => {
  const live = useHttpGateway(() => simulatorEnv(sim), { seed: true });
  // The heap is measured after a full collection, which tests cannot ask for otherwise.
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  const heapAfterGc = () => {
    gc();
    return process.memoryUsage().heapUsed;
  };

  it('is dropped once its events pass the bound, and the memory they held is freed', async () => {
    const body = JSON.stringify({ query: 'subscription { postPublished { title content } }' });
    const socket = connect(Number(new URL(url(live)).port), '127.0.0.1');
    await new Promise((resolve) => socket.once('connect', resolve));
    socket.write(
      `POST /graphql HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nAccept: text/event-stream\r\nContent-Length: ${body.length}\r\n\r\n${body}`,
    );
    // It never reads a byte: what the server sends fills the sockets' buffers, then waits.
    socket.pause();
    await expect.poll(() => counterValue(live.gateway.metrics.subscriptionsOpen, { field: 'postPublished' }), { timeout: 10_000 }).toBe(1);
    const before = heapAfterGc();
    const author = await as(1);
    const content = 'x'.repeat(100_000);
    // 40 MB of events: more than the sockets hold, and than the bound of waiting events.
    for (let n = 0; n < 400; n += 1) {
      const answer = await live.gateway.query(
        'mutation ($t: String!, $c: String!) { createPost(input: { title: $t, content: $c, published: true }) { __typename } }',
        { t: `post ${n}`, c: content },
        author,
      );
      expect(answer.body.data.createPost.__typename).toBe('PostPayload');
    }
    await expect.poll(() => counterValue(live.gateway.metrics.subscriptionsDropped, { field: 'postPublished' }), { timeout: 20_000 }).toBe(1);
    expect(await counterValue(live.gateway.metrics.subscriptionsOpen, { field: 'postPublished' })).toBe(0);
    // Still connected, still not reading: what it did not take is no longer held.
    expect(socket.destroyed).toBe(false);
    expect(heapAfterGc() - before).toBeLessThan(8 * 1024 * 1024);
    socket.destroy();
  });
});

describe('draining (SIGTERM)', () => {
  const live = useHttpGateway(() => simulatorEnv(sim), { seed: true });

  it('completes every open stream, SSE and WebSocket, ends new ones at once, and closes WebSockets with 1001', async () => {
    const sse = await watchSse(url(live), POSTS);
    const ws = watchWs(url(live), POSTS);
    await expect.poll(() => counterValue(live.gateway.metrics.subscriptionsOpen, { field: 'postPublished' }), { timeout: 10_000 }).toBe(2);
    live.gateway.beginDraining();
    await sse.ended;
    expect(sse.completed).toBe(true);
    await expect.poll(() => ws.completed, { timeout: 10_000 }).toBe(true);
    const late = await watchSse(url(live), POSTS);
    await late.ended;
    expect(late).toMatchObject({ status: 200, completed: true, events: [] });
    await live.gateway.webSockets.drain(10_000);
    await expect.poll(() => ws.closeCode, { timeout: 10_000 }).toBe(1001);
    expect(live.gateway.webSockets.connections).toBe(0);
    await ws.close();
  });
});

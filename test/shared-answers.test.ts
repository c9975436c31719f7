import { afterEach, describe, expect, it } from 'vitest';
import { counterValue } from '../metrics.js';
import { startSimulator } from '../simulator/simulator.js';
import { as } from './helpers/auth.js';
import { insertPost, insertUser } from './helpers/fixtures.js';
import { startGateway, type TestGateway } from './helpers/gateway.js';
import { simulatorEnv, TEST_POLICY, WEATHER_QUERY } from './helpers/weather.js';

// Answers that read nothing of the viewer are the same for everyone: kept and shared between
// anonymous and signed-in requests. An answer with any field that depends on who asks never is.

const POSTS = '{ posts(first: 5) { edges { node { title author { username } } } } }';
const ADAS_POSTS = '{ userByUsername(username: "ada") { posts(first: 5) { edges { node { title published } } } } }';

let gateway: TestGateway | undefined;
let closeSim: (() => Promise<void>) | undefined;
afterEach(async () => {
  await gateway?.close();
  await closeSim?.();
  gateway = closeSim = undefined;
});

/** SQL statements, upstream calls and response-cache hits of the gateway while `work` ran, and what it answered. */
async function costOf<T>(g: TestGateway, calls: () => number, work: () => Promise<T>) {
  const statements = () => counterValue(g.metrics.dbQueries, { origin: 'request' });
  const hits = () => counterValue(g.metrics.cacheEvents, { cache: 'responses', event: 'hit' });
  const [sqlBefore, callsBefore, hitsBefore] = [await statements(), calls(), await hits()];
  const answer = await work();
  return { answer, statements: (await statements()) - sqlBefore, upstream: calls() - callsBefore, hits: (await hits()) - hitsBefore };
}

async function withAuthors() {
  const sim = await startSimulator();
  closeSim = () => sim.close();
  gateway = await startGateway(simulatorEnv(sim), { sources: { policy: TEST_POLICY } });
  const db = gateway.database.db;
  const ada = await insertUser(db, { username: 'ada' });
  const grace = await insertUser(db, { username: 'grace' });
  const root = await insertUser(db, { username: 'root', role: 'ADMIN' });
  await insertPost(db, { authorId: ada, title: 'published' });
  await insertPost(db, { authorId: ada, title: 'draft', published: false });
  const calls = () => Object.values(sim.calls()).reduce((sum: number, value) => sum + (typeof value === 'number' ? value : 0), 0);
  return { g: gateway, calls, ada: await as(ada), grace: await as(grace), root: await as(root) };
}

describe('answers that read nothing of the viewer', () => {
  it('are served to a signed-in request from what an anonymous one kept: no upstream call, no SQL, the same bytes', async () => {
    const { g, calls, ada } = await withAuthors();
    const weather = (headers?: Record<string, string>) => g.query(WEATHER_QUERY, { cities: ['Paris'] }, headers);
    await weather();
    // Served from the upstream caches this time: the answer is kept.
    const kept = await weather();
    const signedIn = await costOf(g, calls, () => weather(ada));
    expect(signedIn).toMatchObject({ statements: 0, upstream: 0, hits: 1 });
    expect(JSON.stringify(signedIn.answer.body)).toBe(JSON.stringify(kept.body));
  });

  it('are kept from a signed-in request for everyone else, anonymous or signed in as someone else', async () => {
    const { g, calls, ada, grace } = await withAuthors();
    // Executed for ada: her viewer and the page of posts (its author, ada herself, is loaded already).
    const first = await costOf(g, calls, () => g.query(POSTS, {}, ada));
    expect(first).toMatchObject({ statements: 2, hits: 0 });
    expect(first.answer.body.data.posts.edges.map((edge: { node: { title: string } }) => edge.node.title)).toEqual(['published']);
    expect(await costOf(g, calls, () => g.query(POSTS))).toMatchObject({ statements: 0, hits: 1 });
    expect(await costOf(g, calls, () => g.query(POSTS, {}, grace))).toMatchObject({ statements: 0, hits: 1 });
  });

  it('are never served to a token that proves nobody: it gets its 401', async () => {
    const { g, ada } = await withAuthors();
    await g.query(POSTS);
    const tampered = await g.query(POSTS, {}, { authorization: `${ada.authorization}x` });
    expect(tampered.status).toBe(401);
    expect(tampered.body.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
  });
});

describe('answers with a field that depends on the viewer', () => {
  it('an author’s posts: her drafts are never served to anyone else, nor anyone else’s answer to her', async () => {
    const { g, calls, ada } = await withAuthors();
    const titles = (body: any) => body.data.userByUsername.posts.edges.map((edge: { node: { title: string } }) => edge.node.title);
    // Anonymous: nobody's drafts, kept for every anonymous request.
    expect(titles((await g.query(ADAS_POSTS)).body)).toEqual(['published']);
    expect(await costOf(g, calls, () => g.query(ADAS_POSTS))).toMatchObject({ statements: 0, hits: 1 });
    // Ada: executed each time (her viewer, her user by name, her posts), with her draft.
    for (let round = 0; round < 2; round += 1) {
      const mine = await costOf(g, calls, () => g.query(ADAS_POSTS, {}, ada));
      expect(mine).toMatchObject({ statements: 3, hits: 0 });
      expect(titles(mine.answer.body)).toEqual(['draft', 'published']);
    }
    // The anonymous answer is still the one kept, without the draft.
    const again = await costOf(g, calls, () => g.query(ADAS_POSTS));
    expect(again).toMatchObject({ statements: 0, hits: 1 });
    expect(titles(again.answer.body)).toEqual(['published']);
  });

  it('`viewer`: each signed-in request gets its own', async () => {
    const { g, calls, ada, grace } = await withAuthors();
    const viewer = '{ viewer { username } }';
    for (const [headers, username] of [
      [ada, 'ada'],
      [grace, 'grace'],
      [ada, 'ada'],
    ] as const) {
      const answer = await costOf(g, calls, () => g.query(viewer, {}, headers));
      expect(answer).toMatchObject({ statements: 1, hits: 0 });
      expect(answer.answer.body.data.viewer.username).toBe(username);
    }
  });

  it('`backgroundWork`, an admin’s: executed every time', async () => {
    const { g, calls, root } = await withAuthors();
    const first = await costOf(g, calls, () => g.query('{ backgroundWork { queued running } }', {}, root));
    expect(first.answer.body.errors).toBeUndefined();
    expect(first.hits).toBe(0);
    expect(first.statements).toBeGreaterThan(1);
    expect(await costOf(g, calls, () => g.query('{ backgroundWork { queued running } }', {}, root))).toMatchObject({ statements: first.statements, hits: 0 });
  });
});

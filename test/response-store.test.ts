import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { counterValue } from '../metrics.js';
import { as } from './helpers/auth.js';
import { postgres } from './helpers/databases.js';
import { insertPost, insertUser } from './helpers/fixtures.js';
import { startGateway, type TestGateway } from './helpers/gateway.js';
import { emptyRedis, redisDatabase, sharedRedis } from './helpers/redis-databases.js';
import { freePort } from './services/free-port.js';

// Two gateway instances on one PostgreSQL database and one Redis: the response cache and
// query sharing work there too, and a write through either is seen through both at once.

const POSTS = '{ posts(first: 5) { edges { node { title } } } }';
const CREATE = 'mutation ($t: String!) { createPost(input: { title: $t, content: "words", published: true }) { __typename } }';

/** SQL statements a gateway sent while `work` ran. */
async function statementsDuring(gateway: TestGateway, work: () => Promise<unknown>): Promise<number> {
  const before = await counterValue(gateway.metrics.dbQueries, { origin: 'request' });
  await work();
  return (await counterValue(gateway.metrics.dbQueries, { origin: 'request' })) - before;
}
const titles = (body: any): string[] => body.data.posts.edges.map((edge: { node: { title: string } }) => edge.node.title);

describe.skipIf(!postgres.available || !sharedRedis)('the response cache in Redis, on PostgreSQL', () => {
  let url: string;
  let one: TestGateway;
  let two: TestGateway;
  let ada: number;
  beforeAll(async () => {
    url = await postgres.createDatabase();
    const redis = redisDatabase('response-store');
    await emptyRedis(redis);
    [one, two] = [await startGateway({ DATABASE_URL: url, REDIS_URL: redis }), await startGateway({ DATABASE_URL: url, REDIS_URL: redis })];
    ada = await insertUser(one.database.db, { username: 'ada' });
    await insertPost(one.database.db, { authorId: ada, title: 'first' });
  });
  afterAll(async () => {
    await one?.close();
    await two?.close();
    if (url) await postgres.dropDatabase(url);
  });

  it('answers an anonymous query that one instance executed from Redis on the other, with no SQL', async () => {
    expect(await statementsDuring(one, () => one.query(POSTS))).toBeGreaterThan(0);
    let again: any;
    expect(await statementsDuring(two, async () => (again = (await two.query(POSTS)).body))).toBe(0);
    expect(titles(again)).toEqual(['first']);
    expect(await counterValue(two.metrics.cacheEvents, { cache: 'responses', event: 'hit' })).toBe(1);
  });

  it('sees a write through one instance in the next answer of the other (read your writes)', async () => {
    await one.query(POSTS);
    const created = await two.query(CREATE, { t: 'second' }, await as(ada));
    expect(created.body.data.createPost.__typename).toBe('PostPayload');
    expect(titles((await one.query(POSTS)).body)).toEqual(['second', 'first']);
    expect(titles((await two.query(POSTS)).body)).toEqual(['second', 'first']);
  });
});

describe.skipIf(!postgres.available)('the response cache on PostgreSQL without a reachable Redis', () => {
  it('keeps nothing and executes every request, with no error', async () => {
    const url = await postgres.createDatabase();
    const gateway = await startGateway({ DATABASE_URL: url, REDIS_URL: `redis://127.0.0.1:${await freePort()}` });
    try {
      await insertPost(gateway.database.db, { authorId: await insertUser(gateway.database.db, { username: 'ada' }), title: 'first' });
      for (let n = 0; n < 2; n += 1) {
        let body: any;
        expect(await statementsDuring(gateway, async () => (body = (await gateway.query(POSTS)).body))).toBeGreaterThan(0);
        expect(titles(body)).toEqual(['first']);
      }
    } finally {
      await gateway.close();
      await postgres.dropDatabase(url);
    }
  });

  it('keeps nothing without REDIS_URL at all', async () => {
    const url = await postgres.createDatabase();
    const gateway = await startGateway({ DATABASE_URL: url });
    try {
      await gateway.query(POSTS);
      expect(await statementsDuring(gateway, () => gateway.query(POSTS))).toBeGreaterThan(0);
      expect(await counterValue(gateway.metrics.cacheEvents, { cache: 'responses' })).toBe(0);
    } finally {
      await gateway.close();
      await postgres.dropDatabase(url);
    }
  });
});

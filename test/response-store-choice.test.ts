import { Redis } from 'ioredis';
import { describe, expect, it, onTestFinished } from 'vitest';
import { responseStoreFor } from '../responses/choose.js';
import type { KeptResponse } from '../responses/store.js';
import { captureLogs } from './helpers/log-capture.js';
import { deadRedis, emptyRedis, redisDatabase, sharedRedis } from './helpers/redis-databases.js';

// Where anonymous answers are kept: in memory only where this process is the only writer, in
// Redis where others write too, nowhere when neither holds (an answer could outlive a write).

const SQLITE = { databaseUrl: 'file:./data/gatherql.sqlite', workers: 1 };
const answer = (until: number): KeptResponse => ({ body: '{"data":{}}', etag: '"e"', name: null, until, publicUntil: until });

describe('the response store a configuration gets', () => {
  it('is this process’s memory on the embedded database with one worker, Redis or not', async () => {
    // A file whose name holds "postgres:" is still a file.
    for (const [config, redis] of [
      [SQLITE, null],
      [SQLITE, deadRedis()],
      [{ databaseUrl: 'file:./data/postgres:old.sqlite', workers: 1 }, null],
    ] as const) {
      const store = responseStoreFor(config, redis, Date.now, captureLogs().logger);
      expect(store?.shared).toBe(false);
      // Memory answers at once: a bump is seen by the next look-up without a round trip.
      store!.invalidate();
      expect(store!.generation()).toBe(1);
    }
  });

  it('is nowhere where other processes write and there is no Redis: PostgreSQL, or several workers', () => {
    for (const config of [
      { databaseUrl: 'postgres://db/gatherql', workers: 1 },
      { databaseUrl: 'postgresql://db/gatherql', workers: 1 },
      { ...SQLITE, workers: 2 },
    ]) {
      expect(responseStoreFor(config, null, Date.now, captureLogs().logger)).toBeNull();
    }
  });

  it('is Redis where other processes write, and warns once a minute at most while Redis is away', async () => {
    const logs = captureLogs();
    const store = responseStoreFor({ databaseUrl: 'postgres://db/gatherql', workers: 1 }, deadRedis(), Date.now, logs.logger);
    expect(store?.shared).toBe(true);
    expect(await store!.lookUp('k')).toEqual({ generation: -1, kept: undefined });
    expect(await store!.generation()).toBe(-1);
    expect(logs.lines().map((line) => [line.level, line.msg, line.error])).toEqual([
      [40, 'response cache: Redis is unreachable; executing every request meanwhile', expect.stringMatching(/\S/)],
    ]);
  });

  it.skipIf(!sharedRedis)('keeps an answer in Redis for as long as the response cache’s clock says it has left', async () => {
    const url = redisDatabase('response-store-choice');
    await emptyRedis(url);
    const redis = new Redis(url);
    onTestFinished(() => redis.disconnect());
    // The response cache's clock runs a minute behind the wall: the answer has 65 s left on it, not 5.
    const clock = () => Date.now() - 60_000;
    const store = responseStoreFor({ ...SQLITE, workers: 2 }, redis, clock, captureLogs().logger)!;
    const generation = await store.generation();
    store.keep('k', answer(Date.now() + 5_000), generation);
    await expect.poll(async () => (await store.lookUp('k')).kept).toBeDefined();
    const [key] = await redis.keys('*:k');
    expect(await redis.pttl(key!)).toBeGreaterThan(60_000);
  });
});

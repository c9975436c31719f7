import { describe, expect, it } from 'vitest';
import { startGateway } from './helpers/gateway.js';
import { freePort } from './services/free-port.js';
import { redisDatabase, sharedRedis } from './helpers/redis-databases.js';

describe('the gateway Redis client', () => {
  it('is null without REDIS_URL', async () => {
    const gateway = await startGateway();
    expect(gateway.redis).toBeNull();
    await gateway.close();
  });

  it.skipIf(!sharedRedis)('is one connected client for the process, closed by close()', async () => {
    const gateway = await startGateway({ REDIS_URL: redisDatabase('redis-client') });
    expect(gateway.redis!.status).toBe('ready');
    expect(await gateway.redis!.ping()).toBe('PONG');
    await gateway.close();
    expect(gateway.redis!.status).toBe('end');
    await gateway.close(); // idempotent
  });

  it('lets the gateway start while Redis is unreachable, and fails commands fast instead of queueing them', async () => {
    const gateway = await startGateway({ REDIS_URL: `redis://127.0.0.1:${await freePort()}` });
    expect(gateway.redis!.status).not.toBe('ready');
    await expect(gateway.redis!.ping()).rejects.toThrow();
    await gateway.close();
  });
});

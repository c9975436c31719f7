import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { ConsumerTooSlowError } from '../events/event-queue.js';
import { createEventBus, type EventBus, type EventBusOptions, SUBSCRIBER_BUFFER } from '../events/bus.js';
import { redisDatabase, sharedRedis } from './helpers/redis-databases.js';

type Topics = {
  greeted: [{ name: string }];
  progressed: [id: number, { done: number }];
};

/** The first `count` events a subscription hears. */
async function take<T>(iterator: AsyncIterable<T>, count: number): Promise<T[]> {
  const seen: T[] = [];
  for await (const event of iterator) {
    seen.push(event);
    if (seen.length === count) break;
  }
  return seen;
}

const buses: EventBus<Topics>[] = [];
afterEach(async () => {
  for (const bus of buses.splice(0)) await bus.close();
});
const bus = async (redisUrl: string | null, options: Partial<Omit<EventBusOptions, 'redisUrl'>> = {}) => {
  const made = await createEventBus<Topics>({ redisUrl, onError: () => {}, ...options });
  buses.push(made);
  return made;
};

describe('event bus in memory', () => {
  it('hands each event to the subscribers of its topic, and of its id', async () => {
    const events = await bus(null);
    const greetings = take(events.subscribe('greeted'), 2);
    const progress = take(events.subscribe('progressed', 7), 1);
    events.publish('progressed', 8, { done: 1 });
    events.publish('greeted', { name: 'ada' });
    events.publish('progressed', 7, { done: 2 });
    events.publish('greeted', { name: 'grace' });
    expect(await greetings).toEqual([{ name: 'ada' }, { name: 'grace' }]);
    expect(await progress).toEqual([{ done: 2 }]);
  });

  it(`drops a subscriber that lets more than ${SUBSCRIBER_BUFFER} events wait, and counts what is published`, async () => {
    const published: string[] = [];
    const events = await bus(null, { onPublish: (topic) => published.push(topic) });
    const idle = events.subscribe('greeted');
    for (let n = 0; n <= SUBSCRIBER_BUFFER; n += 1) events.publish('greeted', { name: `n${n}` });
    await expect(idle.next()).rejects.toBeInstanceOf(ConsumerTooSlowError);
    expect(published).toHaveLength(SUBSCRIBER_BUFFER + 1);
    expect(new Set(published)).toEqual(new Set(['greeted']));
  });
});

describe.skipIf(!sharedRedis)('event bus on Redis', () => {
  it('says when a subscription is heard by every instance: an event published once after that arrives', async () => {
    const url = sharedRedis ? redisDatabase('event-bus') : '';
    const [here, there] = await Promise.all([bus(url), bus(url)]);
    for (let round = 0; round < 5; round += 1) {
      const progress = there.subscribe('progressed', round);
      await progress.ready;
      here.publish('progressed', round, { done: round });
      expect(await take(progress, 1)).toEqual([{ done: round }]);
    }
  });

  it('carries an event published on one instance to the subscribers of another, on the same database only', async () => {
    const url = sharedRedis ? redisDatabase('event-bus') : '';
    const [here, there, elsewhere] = await Promise.all([bus(url), bus(url), bus(url.replace(/\/\d+$/, '/0'))]);
    const heard = take(there.subscribe('greeted'), 2);
    const strayed: unknown[] = [];
    const stray = elsewhere.subscribe('greeted');
    void (async () => {
      for await (const event of stray) strayed.push(event);
    })();
    // Subscriptions reach Redis asynchronously: publish until the other side hears the first.
    const publisher = setInterval(() => here.publish('greeted', { name: 'early' }), 50);
    const first = await take(there.subscribe('greeted'), 1);
    clearInterval(publisher);
    expect(first).toEqual([{ name: 'early' }]);
    here.publish('greeted', { name: 'ada' });
    const all = await heard;
    expect(all.at(-1)).toEqual({ name: 'ada' });
    // The other database's bus hears its own event; one from here, published before it, would have come first.
    const publisherThere = setInterval(() => elsewhere.publish('greeted', { name: 'own' }), 50);
    await expect.poll(() => strayed.length, { timeout: 10_000 }).toBeGreaterThan(0);
    clearInterval(publisherThere);
    expect(strayed[0]).toEqual({ name: 'own' });
    await stray.return();
  });

  it('subscribes the channel in Redis before `ready`, and unsubscribes it when the last subscriber ends or the bus closes', async () => {
    const url = sharedRedis ? redisDatabase('event-bus') : '';
    const events = await bus(url);
    const admin = new Redis(url);
    try {
      const channel = `gatherql:${new URL(url).pathname.slice(1)}:progressed:41`;
      const subscribers = async () => ((await admin.pubsub('NUMSUB', channel)) as [string, number])[1];
      const progress = events.subscribe('progressed', 41);
      await progress.ready;
      expect(await subscribers()).toBe(1);
      await progress.return();
      await expect.poll(subscribers, { timeout: 10_000 }).toBe(0);
      // Closing the bus ends its connections, and with them what they still listened to.
      const kept = events.subscribe('progressed', 41);
      await kept.ready;
      expect(await subscribers()).toBe(1);
      await events.close();
      await expect.poll(subscribers, { timeout: 10_000 }).toBe(0);
    } finally {
      admin.disconnect();
    }
  });

  it('takes a URL without a database number for database 0: its buses hear those of `/0`', async () => {
    const url = sharedRedis ? redisDatabase('event-bus') : '';
    const [bare, zero] = await Promise.all([bus(url.replace(/\/\d+$/, '')), bus(url.replace(/\/\d+$/, '/0'))]);
    const id = Date.now();
    const progress = bare.subscribe('progressed', id);
    await progress.ready;
    zero.publish('progressed', id, { done: 1 });
    expect(await take(progress, 1)).toEqual([{ done: 1 }]);
  });

  it('with Redis away, reports its trouble and refuses nothing: a publish is lost, not thrown', async () => {
    const errors: Error[] = [];
    // Port 1: nothing listens there.
    const events = await bus('redis://127.0.0.1:1/3', { onError: (error) => errors.push(error) });
    expect(() => events.publish('greeted', { name: 'lost' })).not.toThrow();
    const subscription = events.subscribe('greeted');
    const said = () => new Set(errors.map((error) => error.message));
    // The publish is refused at once rather than queued for a Redis that may never come; the
    // connections' own trouble is reported too (and they keep trying).
    await expect
      .poll(said, { timeout: 10_000 })
      .toEqual(new Set(["Stream isn't writeable and enableOfflineQueue options is false", 'connect ECONNREFUSED 127.0.0.1:1']));
    await subscription.return();
  });
});

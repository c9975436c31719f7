import { afterEach, describe, expect, it } from 'vitest';
import { createEventBus, type EventBus } from '../events/bus.js';
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
const bus = async (redisUrl: string | null) => {
  const made = await createEventBus<Topics>({ redisUrl });
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
});

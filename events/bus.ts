import { createRedisEventTarget } from '@graphql-yoga/redis-event-target';
import type { TypedEventTarget } from '@graphql-yoga/typed-event-target';
import { createPubSub, type PubSub } from 'graphql-yoga';
import { Redis } from 'ioredis';

/** What each topic carries: `[payload]`, or `[id, payload]` for a topic listened to per id. */
export type TopicMap = { [topic: string]: [unknown] | [number | string, unknown] };

/**
 * The gateway's event bus: publish on one instance, hear on every instance. Without Redis
 * it is this process's memory; with Redis, Redis pub/sub carries each event to every
 * instance on the same Redis database (the channel names carry the database's number: pub/sub
 * channels are shared by all databases of a server, keys are not).
 */
export interface EventBus<T extends TopicMap> {
  publish: PubSub<T>['publish'];
  subscribe: PubSub<T>['subscribe'];
  /** Ends the bus's connections (its subscriptions end with them). */
  close(): Promise<void>;
}

export interface EventBusOptions {
  /** REDIS_URL, or null for a bus in this process alone. */
  redisUrl: string | null;
  /** Hears of connection trouble; the bus reconnects by itself, and what is published meanwhile is lost (pub/sub keeps nothing). */
  onError?: (error: Error) => void;
}

export function createEventBus<T extends TopicMap>(options: EventBusOptions): EventBus<T> {
  if (!options.redisUrl) {
    const pubsub = createPubSub<T>();
    return { publish: pubsub.publish, subscribe: pubsub.subscribe, close: async () => {} };
  }
  // A subscribing connection can do nothing else, so publishing needs one of its own; neither
  // is the gateway's shared client, which is built to fail fast.
  const publishClient = new Redis(options.redisUrl, { maxRetriesPerRequest: 1, enableOfflineQueue: false });
  // A SUBSCRIBE asked while Redis is away waits for it (and is renewed on every reconnection)
  // rather than being given up after a few retries: a listener must not go deaf for good.
  const subscribeClient = new Redis(options.redisUrl, { maxRetriesPerRequest: null });
  const warn = (error: Error) => options.onError?.(error);
  for (const client of [publishClient, subscribeClient]) client.on('error', warn);
  const database = new URL(options.redisUrl).pathname.slice(1) || '0';
  // The event target sends its commands without waiting for the replies: a refusal (Redis away,
  // or the bus closed) would be an unhandled rejection, which ends the process. A published
  // event is lost instead, and a subscription waits for Redis.
  const publishing = { publish: (channel: string, message: string) => publishClient.publish(channel, message).catch(warn) };
  const subscribing = {
    on: (event: 'message', listener: (channel: string, message: string) => void) => subscribeClient.on(event, listener),
    subscribe: (channel: string) => subscribeClient.subscribe(channel).catch(warn),
    unsubscribe: (channel: string) => subscribeClient.unsubscribe(channel).catch(warn),
  };
  const target = createRedisEventTarget<CustomEvent>({ publishClient: publishing as unknown as Redis, subscribeClient: subscribing as unknown as Redis });
  const pubsub = createPubSub<T>({ eventTarget: withPrefix(target, `gatherql:${database}:`) as never });
  return {
    publish: pubsub.publish,
    subscribe: pubsub.subscribe,
    async close() {
      publishClient.disconnect();
      subscribeClient.disconnect();
    },
  };
}

/** The same event target with every event type (a Redis channel) prefixed. */
function withPrefix(target: TypedEventTarget<CustomEvent>, prefix: string): TypedEventTarget<CustomEvent> {
  return {
    addEventListener: (type, listener, options) => target.addEventListener(prefix + type, listener, options),
    removeEventListener: (type, listener, options) => target.removeEventListener(prefix + type, listener, options),
    dispatchEvent: (event) => target.dispatchEvent(new CustomEvent(prefix + event.type, { detail: event.detail })),
  };
}

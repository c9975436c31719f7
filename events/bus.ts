import type { TypedEventTarget } from '@graphql-yoga/typed-event-target';
import { createPubSub, type PubSub } from 'graphql-yoga';
import type { Redis } from 'ioredis';
import { workerEventTarget } from './cluster-relay.js';
import { createEventQueue, type LiveStream } from './event-queue.js';

/** What each topic carries: `[payload]`, or `[id, payload]` for a topic listened to per id. */
export type TopicMap = { [topic: string]: [unknown] | [number | string, unknown] };

/** The payload of a topic. */
export type TopicPayload<T extends TopicMap, K extends keyof T> = T[K] extends [unknown, infer P] ? P : T[K][0];

/** What subscribing to a topic takes: its name, and the id for a topic listened to per id. */
export type TopicArgs<T extends TopicMap, K extends keyof T> = T[K] extends [infer Id, unknown] ? [topic: K, id: Id] : [topic: K];

/** The events of one topic (and id) from the moment of subscribing, until `return()`. */
export interface BusSubscription<P> extends LiveStream<P> {
  /**
   * Resolves once every instance's events reach this subscription (Redis has confirmed it):
   * what is read after it cannot miss a change published after it. At once in memory.
   */
  readonly ready: Promise<void>;
}

/**
 * The gateway's event bus: publish on one instance, hear on every instance. Without Redis
 * it is this process's memory (with WORKERS > 1, relayed between the workers by their
 * primary: see cluster-relay.ts); with Redis, Redis pub/sub carries each event to every
 * instance on the same Redis database (the channel names carry the database's number: pub/sub
 * channels are shared by all databases of a server, keys are not).
 */
export interface EventBus<T extends TopicMap> {
  publish: PubSub<T>['publish'];
  /**
   * The events published from now on, in a bounded queue (SUBSCRIBER_BUFFER): a consumer
   * that stops reading is dropped rather than let the queue grow (see createEventQueue).
   */
  subscribe<K extends keyof T & string>(...args: TopicArgs<T, K>): BusSubscription<TopicPayload<T, K>>;
  /** Ends the bus's connections (its subscriptions end with them). */
  close(): Promise<void>;
}

/** Events that may wait for one subscriber that does not read: beyond, it is dropped. */
export const SUBSCRIBER_BUFFER = 100;

export interface EventBusOptions {
  /** REDIS_URL, or null for a bus in this process (and its sibling workers) alone. */
  redisUrl: string | null;
  /**
   * Hears of connection trouble; the bus reconnects by itself, and what is published meanwhile
   * is lost (pub/sub keeps nothing). Required: trouble nobody hears of is a bus gone quiet.
   */
  onError: (error: Error) => void;
  /** Hears of every event published here, by topic (a metric). */
  onPublish?: (topic: string) => void;
}

export async function createEventBus<T extends TopicMap>(options: EventBusOptions): Promise<EventBus<T>> {
  if (!options.redisUrl) {
    const { target, close } = workerEventTarget();
    return busOn(target, '', options, close, () => Promise.resolve());
  }
  // Loaded only with a Redis to use: a gateway without one never holds the client in memory.
  const [{ Redis }, { createRedisEventTarget }] = await Promise.all([import('ioredis'), import('@graphql-yoga/redis-event-target')]);
  // A subscribing connection can do nothing else, so publishing needs one of its own; neither
  // is the gateway's shared client, which is built to fail fast.
  const publishClient = new Redis(options.redisUrl, { maxRetriesPerRequest: 1, enableOfflineQueue: false });
  // A SUBSCRIBE asked while Redis is away waits for it (and is renewed on every reconnection)
  // rather than being given up after a few retries: a listener (of purges, say) must not go deaf for good.
  const subscribeClient = new Redis(options.redisUrl, { maxRetriesPerRequest: null });
  const report = (error: Error) => options.onError(error);
  for (const client of [publishClient, subscribeClient]) client.on('error', report);
  const database = new URL(options.redisUrl).pathname.slice(1) || '0';
  // The event target sends its commands and lets their failures go unhandled, which would end
  // the process while Redis is away: it gets the three methods it uses, failures reported.
  const publisher = { publish: (channel: string, message: string) => publishClient.publish(channel, message).catch(report) };
  const subscriber = {
    on: (event: 'message', listener: (channel: string, message: string) => void) => subscribeClient.on(event, listener),
    subscribe: (channel: string) => subscribeClient.subscribe(channel).catch(report),
    unsubscribe: (channel: string) => subscribeClient.unsubscribe(channel).catch(report),
  };
  const target = createRedisEventTarget<CustomEvent>({ publishClient: publisher as unknown as Redis, subscribeClient: subscriber as unknown as Redis });
  const close = async () => {
    publishClient.disconnect();
    subscribeClient.disconnect();
  };
  // The target subscribes a channel on its first listener without telling when Redis has
  // confirmed; asking again is harmless, and its answer comes after that first one's.
  const confirmed = (channel: string) =>
    subscribeClient.subscribe(channel).then(
      () => {},
      () => {},
    );
  return busOn(target, `gatherql:${database}:`, options, close, confirmed);
}

/** A bus on an event target whose event types (Redis channels) carry `prefix`. */
function busOn<T extends TopicMap>(
  target: TypedEventTarget<CustomEvent>,
  prefix: string,
  options: EventBusOptions,
  close: () => Promise<void>,
  confirmed: (channel: string) => Promise<void>,
): EventBus<T> {
  const prefixed = withPrefix(target, prefix);
  const pubsub = createPubSub<T>({ eventTarget: prefixed as never });
  return {
    publish: (...args) => {
      options.onPublish?.(String(args[0]));
      pubsub.publish(...args);
    },
    subscribe(...[topic, id]) {
      const type = id === undefined ? topic : `${topic}:${String(id)}`;
      const listener = (event: Event) => queue.push((event as CustomEvent).detail);
      const queue = createEventQueue<TopicPayload<T, typeof topic>>({
        limit: SUBSCRIBER_BUFFER,
        onClose: () => prefixed.removeEventListener(type, listener),
      });
      prefixed.addEventListener(type, listener);
      return Object.assign(queue.stream, { ready: confirmed(prefix + type) });
    },
    close,
  };
}

/** The same event target with every event type (a Redis channel) prefixed. */
function withPrefix(target: TypedEventTarget<CustomEvent>, prefix: string): TypedEventTarget<CustomEvent> {
  if (!prefix) return target;
  return {
    addEventListener: (type, listener, options) => target.addEventListener(prefix + type, listener, options),
    removeEventListener: (type, listener, options) => target.removeEventListener(prefix + type, listener, options),
    dispatchEvent: (event) => target.dispatchEvent(new CustomEvent(prefix + event.type, { detail: event.detail })),
  };
}

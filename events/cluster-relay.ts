import cluster from 'node:cluster';
import { setMaxListeners } from 'node:events';
import type { TypedEventTarget } from '@graphql-yoga/typed-event-target';

/** How an event travels between the workers of one primary: a message on their IPC channel. */
interface RelayedEvent {
  gatherqlEvent: { type: string; detail: unknown };
}

function isRelayedEvent(message: unknown): message is RelayedEvent {
  return typeof message === 'object' && message !== null && 'gatherqlEvent' in message;
}

/** A worker's IPC channel to its primary: the process itself, in a worker of node:cluster. */
export interface PrimaryChannel {
  readonly connected: boolean;
  send?(message: unknown): unknown;
  on(event: 'message', listener: (message: unknown) => void): unknown;
  off(event: 'message', listener: (message: unknown) => void): unknown;
}

/** The workers a primary relays between: node:cluster's, in the primary. */
export interface WorkerSet {
  readonly workers?: NodeJS.Dict<{ isConnected(): boolean; send(message: unknown): unknown }>;
  on(event: 'message', listener: (from: unknown, message: unknown) => void): unknown;
}

/**
 * The event target of a bus without Redis. In a worker of WORKERS > 1 (node:cluster), each
 * event is also sent to the primary, which passes it to every other worker (see
 * relayEventsBetweenWorkers): a subscriber hears what any worker publishes, as it would
 * through Redis. Payloads cross as JSON, as through Redis. In any other process (no primary)
 * it is this process's memory alone.
 */
export function workerEventTarget(primary: PrimaryChannel | null = cluster.isWorker ? process : null): {
  target: TypedEventTarget<CustomEvent>;
  close: () => Promise<void>;
} {
  const local = new EventTarget();
  // Hundreds of subscribers of one topic are normal, not a leak.
  setMaxListeners(0, local);
  if (!primary) return { target: local as TypedEventTarget<CustomEvent>, close: async () => {} };
  const heard = (message: unknown) => {
    if (isRelayedEvent(message)) local.dispatchEvent(new CustomEvent(message.gatherqlEvent.type, { detail: message.gatherqlEvent.detail }));
  };
  primary.on('message', heard);
  const target: TypedEventTarget<CustomEvent> = {
    addEventListener: (type, listener, options) => local.addEventListener(type, listener as EventListener, options),
    removeEventListener: (type, listener, options) => local.removeEventListener(type, listener as EventListener, options),
    dispatchEvent(event) {
      local.dispatchEvent(new CustomEvent(event.type, { detail: event.detail }));
      // A worker whose primary is gone (shutting down) keeps its events to itself.
      if (primary.connected) primary.send?.({ gatherqlEvent: { type: event.type, detail: event.detail } } satisfies RelayedEvent);
      return true;
    },
  };
  return { target, close: async () => void primary.off('message', heard) };
}

/** In the primary of WORKERS > 1 without Redis: passes each event a worker publishes on to the other workers. */
export function relayEventsBetweenWorkers(primary: WorkerSet = cluster): void {
  primary.on('message', (from: unknown, message: unknown) => {
    if (!isRelayedEvent(message)) return;
    for (const worker of Object.values(primary.workers ?? {})) {
      if (worker && worker !== from && worker.isConnected()) worker.send(message);
    }
  });
}

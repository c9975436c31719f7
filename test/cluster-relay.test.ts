import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { type PrimaryChannel, relayEventsBetweenWorkers, type WorkerSet, workerEventTarget } from '../events/cluster-relay.js';

// The relay between the workers of WORKERS > 1 without Redis, with stand-ins for node:cluster's
// IPC channels; test/workers.test.ts runs it between real workers.

/** A worker's channel to its primary: what the worker sends, and a way to deliver it a message. */
function primaryChannel() {
  const emitter = new EventEmitter();
  const sent: unknown[] = [];
  const channel: PrimaryChannel & { connected: boolean } = {
    connected: true,
    send: (message) => sent.push(message),
    on: (event, listener) => emitter.on(event, listener),
    off: (event, listener) => emitter.off(event, listener),
  };
  return { channel, sent, deliver: (message: unknown) => emitter.emit('message', message) };
}

/** What the listeners of `type` on a target hear. */
function listen(target: ReturnType<typeof workerEventTarget>['target'], type: string) {
  const heard: unknown[] = [];
  target.addEventListener(type, (event) => heard.push((event as CustomEvent).detail));
  return heard;
}

describe('a worker’s event target', () => {
  it('hands each event to its own listeners and sends it to the primary, as a relayed event', () => {
    const { channel, sent } = primaryChannel();
    const { target } = workerEventTarget(channel);
    const heard = listen(target, 'greeted');
    const others = listen(target, 'other');
    expect(target.dispatchEvent(new CustomEvent('greeted', { detail: { name: 'ada' } }))).toBe(true);
    expect(heard).toEqual([{ name: 'ada' }]);
    expect(others).toEqual([]);
    expect(sent).toEqual([{ gatherqlEvent: { type: 'greeted', detail: { name: 'ada' } } }]);
  });

  it('keeps its events to itself once its primary is gone', () => {
    const { channel, sent } = primaryChannel();
    const { target } = workerEventTarget(channel);
    const heard = listen(target, 'greeted');
    channel.connected = false;
    target.dispatchEvent(new CustomEvent('greeted', { detail: 1 }));
    expect(heard).toEqual([1]);
    expect(sent).toEqual([]);
  });

  it('hands its listeners what the primary relays, ignores the primary’s other messages, and stops hearing when closed', async () => {
    const { channel, deliver } = primaryChannel();
    const { target, close } = workerEventTarget(channel);
    const heard = listen(target, 'greeted');
    // A listener removed again (a subscription that ended) hears nothing.
    let heardByRemoved = 0;
    const removed = () => (heardByRemoved += 1);
    target.addEventListener('greeted', removed);
    target.removeEventListener('greeted', removed);
    for (const message of [{ cmd: 'NODE_CLUSTER', act: 'listening' }, null, 'greeted', 7, { gatherql: {} }]) deliver(message);
    deliver({ gatherqlEvent: { type: 'greeted', detail: { name: 'grace' } } });
    expect(heard).toEqual([{ name: 'grace' }]);
    expect(heardByRemoved).toBe(0);
    await close();
    deliver({ gatherqlEvent: { type: 'greeted', detail: { name: 'late' } } });
    expect(heard).toEqual([{ name: 'grace' }]);
  });

  it('outside a worker (no primary) is this process’s memory alone', async () => {
    const { target, close } = workerEventTarget(null);
    const heard = listen(target, 'greeted');
    target.dispatchEvent(new CustomEvent('greeted', { detail: 'here' }));
    expect(heard).toEqual(['here']);
    await close();
  });
});

describe('the primary’s relay', () => {
  /** Workers that record what they are sent; `connected: false` for one that is gone. */
  function workerSet(...connected: boolean[]) {
    const emitter = new EventEmitter();
    const received = connected.map(() => [] as unknown[]);
    const workers = Object.fromEntries(
      connected.map((isConnected, n) => [String(n + 1), { isConnected: () => isConnected, send: (message: unknown) => received[n]!.push(message) }]),
    );
    const set: WorkerSet = { workers, on: (event, listener) => emitter.on(event, listener) };
    return { set, workers: Object.values(workers), received, from: (n: number, message: unknown) => emitter.emit('message', workers[String(n + 1)], message) };
  }

  it('passes an event from one worker to every other connected worker, never back to the sender', () => {
    const { set, received, from } = workerSet(true, true, true, false);
    relayEventsBetweenWorkers(set);
    const event = { gatherqlEvent: { type: 'greeted', detail: { name: 'ada' } } };
    from(0, event);
    expect(received).toEqual([[], [event], [event], []]);
    from(2, event);
    expect(received).toEqual([[event], [event, event], [event], []]);
  });

  it('leaves the workers’ other messages alone', () => {
    const { set, received, from } = workerSet(true, true);
    relayEventsBetweenWorkers(set);
    for (const message of [{ cmd: 'NODE_CLUSTER' }, null, 'greeted', { gatherql: {} }]) from(0, message);
    expect(received).toEqual([[], []]);
  });

  it('relays between two workers’ targets: a listener on one hears what the other dispatches, once', () => {
    const primary = new EventEmitter();
    const channels = [primaryChannel(), primaryChannel()];
    const workers = channels.map(({ deliver }) => ({ isConnected: () => true, send: deliver }));
    relayEventsBetweenWorkers({ workers: { 1: workers[0], 2: workers[1] }, on: (event, listener) => primary.on(event, listener) });
    const [first, second] = channels.map(({ channel }, n) => {
      // Each worker's sends reach the primary as from that worker.
      channel.send = (message) => primary.emit('message', workers[n], message);
      return workerEventTarget(channel).target;
    });
    const heardOnSecond = listen(second!, 'greeted');
    const heardOnFirst = listen(first!, 'greeted');
    first!.dispatchEvent(new CustomEvent('greeted', { detail: { name: 'ada' } }));
    expect(heardOnSecond).toEqual([{ name: 'ada' }]);
    expect(heardOnFirst).toEqual([{ name: 'ada' }]);
  });
});

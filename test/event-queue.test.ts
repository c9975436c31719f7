import { describe, expect, it } from 'vitest';
import { ConsumerTooSlowError, createEventQueue } from '../events/event-queue.js';

describe('event queue', () => {
  it('hands events over in order, to a consumer that waits and to one that comes later, and ends after what waits', async () => {
    const queue = createEventQueue<number>({ limit: 10 });
    const waiting = queue.stream.next();
    queue.push(1);
    queue.push(2);
    queue.push(3);
    queue.end();
    queue.push(4);
    expect(await waiting).toEqual({ done: false, value: 1 });
    const rest: number[] = [];
    for await (const value of queue.stream) rest.push(value);
    expect(rest).toEqual([2, 3]);
  });

  it('drops a consumer that lets more than `limit` events wait: what waited is freed, its source told, and it learns why', async () => {
    let closed = 0;
    const queue = createEventQueue<string>({ limit: 2, onClose: () => (closed += 1) });
    queue.push('a');
    queue.push('b');
    expect(closed).toBe(0);
    queue.push('c');
    expect(closed).toBe(1);
    expect(queue.closed).toBe(true);
    queue.push('d');
    await expect(queue.stream.next()).rejects.toBeInstanceOf(ConsumerTooSlowError);
    expect(await queue.stream.next()).toEqual({ done: true, value: undefined });
  });

  it('gives a dropped consumer what onDrop says as its last event instead', async () => {
    const queue = createEventQueue<string>({ limit: 1, onDrop: (error) => `dropped after ${error.limit}` });
    queue.push('a');
    queue.push('b');
    expect(await queue.stream.next()).toEqual({ done: false, value: 'dropped after 1' });
    expect(await queue.stream.next()).toEqual({ done: true, value: undefined });
  });

  it('ends at once on return(), also while a next() waits, and tells its source once', async () => {
    let closed = 0;
    const queue = createEventQueue<number>({ limit: 5, onClose: () => (closed += 1) });
    const waiting = queue.stream.next();
    await queue.stream.return();
    expect(await waiting).toEqual({ done: true, value: undefined });
    await queue.stream.return();
    queue.end();
    expect(closed).toBe(1);
  });

  it('fails a waiting consumer, or the next one after the events that wait', async () => {
    const waitingFirst = createEventQueue<number>({ limit: 5 });
    const pending = waitingFirst.stream.next();
    waitingFirst.fail(new Error('broken'));
    await expect(pending).rejects.toThrow('broken');
    const later = createEventQueue<number>({ limit: 5 });
    later.push(1);
    later.fail(new Error('broken'));
    expect(await later.stream.next()).toEqual({ done: false, value: 1 });
    await expect(later.stream.next()).rejects.toThrow('broken');
    expect(await later.stream.next()).toEqual({ done: true, value: undefined });
  });

  it('says why a consumer was dropped, naming the bound, in an error of its own name', async () => {
    const queue = createEventQueue<number>({ limit: 3 });
    for (let n = 0; n < 4; n += 1) queue.push(n);
    const error = await queue.stream.next().catch((thrown: unknown) => thrown);
    expect(error).toBeInstanceOf(ConsumerTooSlowError);
    expect(error).toMatchObject({ name: 'ConsumerTooSlowError', limit: 3 });
    expect((error as Error).message).toBe('This subscription was dropped: more than 3 events waited for a client that did not read them');
  });

  it('frees what waited on return(): nothing of it comes after, and return() says the stream is done', async () => {
    const queue = createEventQueue<number>({ limit: 5 });
    queue.push(1);
    queue.push(2);
    expect(await queue.stream.return()).toEqual({ done: true, value: undefined });
    expect(await queue.stream.next()).toEqual({ done: true, value: undefined });
  });

  it('tells a failure once: to a consumer that waits, or to the next pull when none waits', async () => {
    const waiting = createEventQueue<number>({ limit: 5 });
    const pending = waiting.stream.next();
    waiting.fail(new Error('broken'));
    await expect(pending).rejects.toThrow('broken');
    expect(await waiting.stream.next()).toEqual({ done: true, value: undefined });
    const idle = createEventQueue<number>({ limit: 5 });
    idle.fail(new Error('broken'));
    await expect(idle.stream.next()).rejects.toThrow('broken');
    expect(await idle.stream.next()).toEqual({ done: true, value: undefined });
  });

  it('ignores a failure once it has ended: what waited still comes, then the end', async () => {
    let closed = 0;
    const ended = createEventQueue<number>({ limit: 5, onClose: () => (closed += 1) });
    ended.push(1);
    ended.end();
    ended.fail(new Error('too late'));
    expect(await ended.stream.next()).toEqual({ done: false, value: 1 });
    expect(await ended.stream.next()).toEqual({ done: true, value: undefined });
    const returned = createEventQueue<number>({ limit: 5, onClose: () => (closed += 1) });
    await returned.stream.return();
    returned.fail(new Error('too late'));
    expect(await returned.stream.next()).toEqual({ done: true, value: undefined });
    expect(closed).toBe(2);
  });
});

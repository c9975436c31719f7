import { describe, expect, it } from 'vitest';
import { requestSlot } from '../request-slots.js';

const request = () => new Request('http://127.0.0.1/graphql');

describe('request slots', () => {
  it('keeps one value per slot and per request, as a WeakMap of its own would', () => {
    const ids = requestSlot<string>('id');
    const starts = requestSlot<number>('start');
    const [one, two] = [request(), request()];
    expect(ids.get(one)).toBeUndefined();
    expect(ids.has(one)).toBe(false);
    ids.set(one, 'a');
    starts.set(one, 1);
    ids.set(two, 'b');
    expect([ids.get(one), starts.get(one), ids.get(two), starts.get(two)]).toEqual(['a', 1, 'b', undefined]);
    expect([ids.has(one), starts.has(two)]).toEqual([true, false]);
    ids.set(one, 'c');
    expect(ids.get(one)).toBe('c');
  });

  it('forgets a deleted value and leaves the other slots of the request alone', () => {
    const ids = requestSlot<string>('id');
    const starts = requestSlot<number>('start');
    const one = request();
    ids.delete(one);
    ids.set(one, 'a');
    starts.set(one, 0);
    ids.delete(one);
    expect([ids.get(one), ids.has(one), starts.get(one), starts.has(one)]).toEqual([undefined, false, 0, true]);
  });

  it('gives two slots of the same name places of their own', () => {
    const first = requestSlot<string>('same');
    const second = requestSlot<string>('same');
    const one = request();
    first.set(one, 'first');
    expect(second.get(one)).toBeUndefined();
  });
});

import { describe, expect, it } from 'vitest';
import { etagOf } from '../responses/http-caching.js';
import { createMemoryResponseStore, type KeptResponse } from '../responses/store.js';

// The response store of a gateway that is its database's only writer: what a write hides,
// and how many answers it holds.

const answer = (title: string): KeptResponse => {
  const body = JSON.stringify({ data: { title } });
  const until = Date.UTC(2026, 10, 25, 9, 1);
  return { body, etag: etagOf(body), name: null, until, publicUntil: until };
};

describe('the memory response store', () => {
  it('finds an answer only under the generation it was kept in, and nothing kept before a write', async () => {
    const responses = createMemoryResponseStore();
    expect(responses.lookUp('posts')).toEqual({ generation: 0, kept: undefined });
    responses.keep('posts', answer('first'), 0);
    responses.keep('elsewhere', answer('other'), 1);
    expect(responses.lookUp('posts')).toEqual({ generation: 0, kept: answer('first') });
    expect(responses.lookUp('elsewhere')).toEqual({ generation: 0, kept: undefined });
    responses.invalidate();
    await expect(responses.settled()).resolves.toBeUndefined();
    expect(responses.generation()).toBe(1);
    expect(responses.lookUp('posts')).toEqual({ generation: 1, kept: undefined });
    // A request that began before the write answers too late to be kept.
    responses.keep('posts', answer('stale'), 0);
    expect((await responses.lookUp('posts')).kept).toBeUndefined();
    responses.keep('posts', answer('second'), 1);
    expect(responses.lookUp('posts')).toEqual({ generation: 1, kept: answer('second') });
  });

  it('holds at most its bound of answers, dropping the least recently used', async () => {
    const responses = createMemoryResponseStore(2);
    responses.keep('a', answer('a'), 0);
    responses.keep('b', answer('b'), 0);
    expect((await responses.lookUp('a')).kept).toEqual(answer('a'));
    responses.keep('c', answer('c'), 0);
    expect((await responses.lookUp('b')).kept).toBeUndefined();
    expect((await responses.lookUp('a')).kept).toEqual(answer('a'));
    expect((await responses.lookUp('c')).kept).toEqual(answer('c'));
  });
});

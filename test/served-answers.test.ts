import { describe, expect, it } from 'vitest';
import { etagOf, notModified, PRIVATE_ANSWER, publicCacheControl, publicUntil, UNKEPT_ANSWER, VARY } from '../responses/http-caching.js';
import { keptAnswerOf, responseKey, servedFromStore, servedManyTimes, withoutCost } from '../responses/served-many-times.js';
import type { KeptResponse } from '../responses/store.js';

// The pieces an answer served again is made of: its key, its JSON written once, what one
// request spent taken out, what was kept, and how an HTTP cache may keep it.

describe('an answer served many times', () => {
  it('is keyed by document, operation name and variables, each of them telling answers apart', () => {
    const key = responseKey('{ a }', 'A', { x: 1 });
    expect(key).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(responseKey('{ a }', 'A', { x: 1 })).toBe(key);
    for (const other of [responseKey('{ b }', 'A', { x: 1 }), responseKey('{ a }', 'B', { x: 1 }), responseKey('{ a }', 'A', { x: 2 })])
      expect(other).not.toBe(key);
    // No name and no variables are one answer however they are left out.
    expect(responseKey('{ a }', null, undefined)).toBe(responseKey('{ a }', undefined, {}));
    expect(responseKey('{ a }', null, null)).toBe(responseKey('{ a }', '', {}));
  });

  it('writes its JSON once, whatever it is asked for later', () => {
    const result = { data: { a: 1 } };
    const served = servedManyTimes(result) as typeof result & { stringify: (value: unknown) => string };
    expect(served.data).toBe(result.data);
    expect(result).not.toHaveProperty('stringify');
    expect(served.stringify({ data: { a: 1 } })).toBe('{"data":{"a":1}}');
    expect(served.stringify({ data: { a: 2 } })).toBe('{"data":{"a":1}}');
  });

  it('leaves out what one request spent, and only that', () => {
    const data = { a: 1 };
    const errors = [{ message: 'x' }] as never;
    expect(withoutCost({ data, extensions: { cost: { lookUps: 2 }, tracing: 1 } })).toEqual({ data, extensions: { tracing: 1 } });
    expect(withoutCost({ data, errors, extensions: { cost: { lookUps: 2 } } })).toEqual({ data, errors });
    expect(withoutCost({ data, extensions: { cost: 1 } })).not.toHaveProperty('errors');
    const untouched = { data, extensions: { tracing: 1 } };
    expect(withoutCost(untouched)).toBe(untouched);
    const bare = { data };
    expect(withoutCost(bare)).toBe(bare);
  });

  it('is served from the store as the kept bytes, and says what was kept', () => {
    const kept: KeptResponse = { body: '{"data":{"a":1}}', etag: '"e"', name: 'A', until: 1, publicUntil: 2 };
    const served = servedFromStore(kept) as { stringify: () => string };
    expect(served.stringify()).toBe(kept.body);
    expect(keptAnswerOf(served)).toBe(kept);
    expect(keptAnswerOf({ data: {} })).toBeUndefined();
    expect(keptAnswerOf(null)).toBeUndefined();
    expect(keptAnswerOf('x')).toBeUndefined();
  });
});

describe('HTTP caching of an answer', () => {
  const now = 1_000_000;
  it('lets a cache keep an upstream answer until its first value stops being fresh', () => {
    expect(publicUntil({ readsDatabase: false, until: now + 90_000 }, 10_000, now)).toBe(now + 90_000);
    expect(publicUntil({ readsDatabase: false, until: now - 1 }, 10_000, now)).toBe(now - 1);
  });

  it('keeps SQL rows and answers without a lifetime no longer than the response cache keeps them', () => {
    expect(publicUntil({ readsDatabase: true, until: now + 90_000 }, 10_000, now)).toBe(now + 10_000);
    expect(publicUntil({ readsDatabase: true, until: now + 5_000 }, 10_000, now)).toBe(now + 5_000);
    expect(publicUntil({ readsDatabase: false, until: Number.POSITIVE_INFINITY }, 10_000, now)).toBe(now + 10_000);
  });

  it('says the whole seconds left, rounded down, and never less than 0', () => {
    expect(publicCacheControl(now + 59_999, now)).toBe('public, max-age=59');
    expect(publicCacheControl(now + 60_000, now)).toBe('public, max-age=60');
    expect(publicCacheControl(now - 5_000, now)).toBe('public, max-age=0');
    expect([PRIVATE_ANSWER, UNKEPT_ANSWER, VARY]).toEqual(['private, no-store', 'no-store', 'Accept, Authorization, Origin']);
  });

  it('tags the bytes with a strong ETag that changes with them', () => {
    const etag = etagOf('{"data":{"a":1}}');
    expect(etag).toMatch(/^"[A-Za-z0-9_-]{27}"$/);
    expect(etagOf('{"data":{"a":1}}')).toBe(etag);
    expect(etagOf('{"data":{"a":2}}')).not.toBe(etag);
  });

  it('answers 304 to an If-None-Match that names the ETag, weakly or among others, or is *', () => {
    const etag = '"abc"';
    for (const header of ['"abc"', 'W/"abc"', '"x", "abc"', '"x",W/"abc" ', '*', ' * ']) expect(notModified(header, etag), header).toBe(true);
    for (const header of [null, undefined, '', '"abcd"', '"x"', 'abc', 'W/"x"']) expect(notModified(header, etag), String(header)).toBe(false);
  });
});

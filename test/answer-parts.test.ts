import type { ExecutionResult } from 'graphql';
import { describe, expect, it } from 'vitest';
import { addPart, mergeParts, type Payload, passingParts } from '../responses/answer-parts.js';

// The parts of an answer sent with @defer and @stream, and the whole answer they add up to:
// what the response cache keeps and the request log counts after the last part.

const parts = (): Payload[] => [
  { data: { city: { name: 'Oslo' }, posts: [{ id: '1' }] }, hasNext: true, errors: [{ message: 'first' } as never], extensions: { cost: 1, kept: 'a' } },
  { incremental: [{ path: ['city'], data: { weather: { temperatureC: 3 } } }], hasNext: true },
  { incremental: [{ path: ['posts', 1], items: [{ id: '2' }, { id: '3' }] }], hasNext: true, errors: [{ message: 'second' } as never] },
  { incremental: [{ path: ['city'], data: { airQuality: null }, errors: [{ message: 'deferred' } as never] }], hasNext: false, extensions: { cost: 2 } },
];

const whole = {
  data: { city: { name: 'Oslo', weather: { temperatureC: 3 }, airQuality: null }, posts: [{ id: '1' }, { id: '2' }, { id: '3' }] },
  errors: [{ message: 'first' }, { message: 'second' }, { message: 'deferred' }],
  extensions: { cost: 2, kept: 'a' },
};

async function* streamOf<T>(items: T[]): AsyncGenerator<T> {
  for (const item of items) yield item;
}

describe('the parts of an incremental answer', () => {
  it('add up to the whole: the first data, deferred data and streamed items at their paths, every error in order, extensions merged', async () => {
    expect(await mergeParts(streamOf(parts()))).toEqual(whole);
  });

  it('keep a part without data, errors or extensions from changing what the others gave', async () => {
    const merged: ExecutionResult = {};
    addPart(merged, { data: { a: 1 }, errors: [{ message: 'x' } as never], extensions: { e: 1 } });
    addPart(merged, { hasNext: false });
    expect(merged).toEqual({ data: { a: 1 }, errors: [{ message: 'x' }], extensions: { e: 1 } });
    // Parts with no extensions add up to an answer with none.
    expect(await mergeParts(streamOf([{ data: { a: 1 }, hasNext: true }, { hasNext: false }]))).toStrictEqual({ data: { a: 1 } });
  });

  it('are passed on one by one, as they come, and the whole is handed over after the last', async () => {
    const seen: string[] = [];
    const wholes: ExecutionResult[] = [];
    const sent = parts();
    for await (const part of passingParts(streamOf(sent), (answer) => wholes.push(answer))) {
      seen.push(`part ${seen.length}`);
      expect(part).toBe(sent[seen.length - 1]);
      // Nothing is handed over while parts are still coming.
      expect(wholes).toEqual([]);
    }
    expect(seen).toHaveLength(4);
    expect(wholes).toEqual([whole]);
  });

  it('hand over nothing when the client goes away before the last part: the answer is partial', async () => {
    const wholes: ExecutionResult[] = [];
    const passing = passingParts(streamOf(parts()), (answer) => wholes.push(answer));
    await passing.next();
    await passing.next();
    await passing.return(undefined);
    expect(wholes).toEqual([]);
  });
});

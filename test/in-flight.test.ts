import { describe, expect, it } from 'vitest';
import { createInFlightAnswers } from '../responses/in-flight.js';

describe('executions in flight', () => {
  const answer = (text: string) => ({ result: { data: { text } }, name: null });

  it('are joinable until settled, in their own generation only', async () => {
    const flights = createInFlightAnswers();
    const flight = flights.lead('K', 3)!;
    expect(flights.joinable('K', 3)).toBe(flight);
    expect(flights.joinable('K', 4)).toBeUndefined();
    expect(flights.joinable('other', 3)).toBeUndefined();
    flight.settle(answer('first'));
    expect(await flight.answer).toEqual(answer('first'));
    // A request that comes after the answer executes again: it must not get an answer that may have expired.
    expect(flights.joinable('K', 3)).toBeUndefined();
  });

  it('settling an older flight of a key leaves the newer one (led after a write) joinable', () => {
    const flights = createInFlightAnswers();
    const older = flights.lead('K', 1)!;
    const newer = flights.lead('K', 2)!;
    older.settle(null);
    expect(flights.joinable('K', 2)).toBe(newer);
    newer.settle(null);
    expect(flights.joinable('K', 2)).toBeUndefined();
  });

  it('are neither led nor joined in the generation a failed store reports (-1): a write may have come between', () => {
    const flights = createInFlightAnswers();
    expect(flights.lead('K', -1)).toBeNull();
    expect(flights.joinable('K', -1)).toBeUndefined();
    // The next request in a known generation finds nothing to join either: it executes, and leads.
    expect(flights.joinable('K', 0)).toBeUndefined();
    expect(flights.lead('K', 0)).not.toBeNull();
  });
});

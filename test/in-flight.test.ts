import { describe, expect, it } from 'vitest';
import { createInFlightAnswers } from '../responses/in-flight.js';

describe('executions in flight', () => {
  const answer = (text: string) => ({ result: { data: { text } }, name: null });

  it('are joinable until settled, in their own generation only', async () => {
    const flights = createInFlightAnswers();
    const flight = flights.lead('K', 3);
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
    const older = flights.lead('K', 1);
    const newer = flights.lead('K', 2);
    older.settle(null);
    expect(flights.joinable('K', 2)).toBe(newer);
    newer.settle(null);
    expect(flights.joinable('K', 2)).toBeUndefined();
  });
});

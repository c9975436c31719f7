import type { ExecutionResult } from 'graphql';

/** What a request in flight hands the identical ones that waited for it. */
export interface SharedAnswer {
  /** Its answer, serialised once however many get it (see servedManyTimes). */
  result: ExecutionResult;
  /** The operation's name, for the request log. */
  name: string | null;
}

/** One execution that identical requests of its generation may wait for. */
export interface Flight {
  readonly generation: number;
  /** The answer every waiter gets, or null when there is none to share (each then executes as usual). */
  readonly answer: Promise<SharedAnswer | null>;
  /** Ends the flight: later requests no longer find it. */
  settle(answer: SharedAnswer | null): void;
}

/**
 * The executions in flight that identical requests may share, by response-cache key: made by
 * the gateway, so that both the response cache (in Yoga) and the lane of kept answers (in
 * front of it) can join them.
 *
 * A generation below 0 is a store's way of saying it failed: then nobody can tell whether a
 * write came between two requests, so nothing begun in it leads or joins a flight.
 */
export interface InFlightAnswers {
  /** Starts the flight of `key`, begun in `generation`; null when the generation is unknown (below 0). */
  lead(key: string, generation: number): Flight | null;
  /** The flight of `key` a request begun in `generation` may wait for: none after a write came between, or when the generation is unknown. */
  joinable(key: string, generation: number): Flight | undefined;
}

export function createInFlightAnswers(): InFlightAnswers {
  const flights = new Map<string, Flight>();
  return {
    lead(key, generation) {
      if (generation < 0) return null;
      let settle!: (answer: SharedAnswer | null) => void;
      const answer = new Promise<SharedAnswer | null>((resolve) => (settle = resolve));
      const flight: Flight = {
        generation,
        answer,
        settle(shared) {
          if (flights.get(key) === flight) flights.delete(key);
          settle(shared);
        },
      };
      flights.set(key, flight);
      return flight;
    },
    joinable(key, generation) {
      // (No flight is led in an unknown generation, so none is joined in one either.)
      const flight = flights.get(key);
      return flight?.generation === generation ? flight : undefined;
    },
  };
}

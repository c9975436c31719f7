import pLimit from 'p-limit';
import type { BackgroundThread } from './background-thread.js';

/**
 * The way background work's upstream attempts go out (a city report's): a few in flight at
 * most, and each started in a turn of the event loop of its own. A request's attempts never
 * take it. Both bounds are for the requests served meanwhile:
 * - starting a call costs the event loop about a millisecond (the HTTP client's options, the
 *   request, its socket): twenty started in one turn hold every request that arrived meanwhile
 *   for twenty;
 * - what the calls in flight allocate is alive at each collection of the young generation, and
 *   those pauses grow with it: forty calls at once gave pauses of 10 to 25 ms.
 * A report of 1,000 names with 8 in flight took 9 s instead of 4 s, and the p99 of the requests
 * served meanwhile fell from 5.6-7.8x their p99 alone to 2.2-3.1x (docs/performance-notes.md).
 */
export type BackgroundLane = <T>(attempt: (thread: BackgroundThread | undefined) => Promise<T>) => Promise<T>;

/** Background attempts in flight at most, across every upstream. */
export const BACKGROUND_IN_FLIGHT = 8;

/**
 * The lane, and the thread its attempts are sent from (see BackgroundThread): absent, they are
 * sent from the thread that serves requests.
 */
export function createBackgroundLane(inFlight = BACKGROUND_IN_FLIGHT, thread?: BackgroundThread): BackgroundLane {
  const limit = pLimit(inFlight);
  const turn = turns();
  return (attempt) =>
    limit(async () => {
      await turn();
      return attempt(thread);
    });
}

/**
 * Turns of the event loop handed out one at a time: each waiter resumes in the check phase of
 * a loop iteration of its own, after the timers and the I/O that were due (the requests that
 * arrived). Waiters that each awaited a setImmediate of their own would all resume in one.
 */
function turns(): () => Promise<void> {
  let last: Promise<void> = Promise.resolve();
  return () => {
    last = last.then(() => new Promise<void>((resolve) => setImmediate(resolve)));
    return last;
  };
}

import { describe, expect, it } from 'vitest';
import { createBackgroundLane } from '../sources/kit/background-lane.js';

/** An attempt the test settles by hand. */
function heldAttempt() {
  let settle!: (value: string) => void;
  let fail!: (error: Error) => void;
  const promise = new Promise<string>((resolve, reject) => {
    settle = resolve;
    fail = reject;
  });
  return { promise, settle, fail };
}

/** Counts iterations of the event loop: one tick per check phase, for as long as it runs. */
function loopCounter() {
  let iteration = 0;
  let running = true;
  const tick = () => {
    iteration += 1;
    if (running) setImmediate(tick);
  };
  setImmediate(tick);
  return {
    now: () => iteration,
    stop: () => {
      running = false;
    },
  };
}

describe('the background lane', () => {
  it('runs at most its size of attempts at once, the next one as one settles, and passes on each result and error', async () => {
    const lane = createBackgroundLane(2);
    const held = Array.from({ length: 5 }, heldAttempt);
    const started: number[] = [];
    const results = held.map((attempt, index) =>
      lane(() => {
        started.push(index);
        return attempt.promise;
      }),
    );
    const settled = Promise.allSettled(results);
    await expect.poll(() => started).toEqual([0, 1]);
    held[1]!.settle('one');
    await expect.poll(() => started).toEqual([0, 1, 2]);
    held[0]!.fail(new Error('zero failed'));
    await expect.poll(() => started).toEqual([0, 1, 2, 3]);
    // Nothing more starts while two are under way, however many turns go by.
    for (let turn = 0; turn < 20; turn += 1) await new Promise((resolve) => setImmediate(resolve));
    expect(started).toEqual([0, 1, 2, 3]);
    held[2]!.settle('two');
    held[3]!.settle('three');
    held[4]!.settle('four');
    expect((await settled).map((result) => (result.status === 'fulfilled' ? result.value : (result.reason as Error).message))).toEqual([
      'zero failed',
      'one',
      'two',
      'three',
      'four',
    ]);
    expect(started).toEqual([0, 1, 2, 3, 4]);
  });

  it('starts each attempt in an iteration of the event loop of its own, and not in the turn it was asked in', async () => {
    const lane = createBackgroundLane(8);
    const loop = loopCounter();
    const asked = loop.now();
    const startedIn: number[] = [];
    await Promise.all(
      Array.from({ length: 6 }, () =>
        lane(async () => {
          startedIn.push(loop.now());
        }),
      ),
    );
    loop.stop();
    expect(startedIn).toHaveLength(6);
    expect(startedIn[0]).toBeGreaterThan(asked);
    // Six attempts, six iterations: each one's start leaves the I/O of an iteration to run before the next.
    expect(new Set(startedIn).size).toBe(6);
    expect(startedIn).toEqual([...startedIn].sort((a, b) => a - b));
  });
});

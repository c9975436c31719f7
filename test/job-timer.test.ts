import { describe, expect, it } from 'vitest';
import { createTimer } from '../jobs/timer.js';

// The job engines' one pending wake-up (jobs/timer.ts). A wake-up that must not happen is
// proved absent by a later one: Node fires timers in the order they are due, so once a
// wake-up due after it has fired, the earlier one would have fired first.

/** A wake-up that records its name when it fires, and a promise that it did. */
function wakeUp(fired: string[], name: string) {
  let resolve!: () => void;
  const done = new Promise<void>((settle) => {
    resolve = settle;
  });
  return {
    fire: () => {
      fired.push(name);
      resolve();
    },
    done,
  };
}

/** Timers that keep the process alive, as Node counts them. */
const refTimers = () => process.getActiveResourcesInfo().filter((resource) => resource === 'Timeout').length;

describe('the job engines’ wake-up timer', () => {
  it('fires a wake-up once its delay has passed', async () => {
    const fired: string[] = [];
    const timer = createTimer();
    const wake = wakeUp(fired, 'wake');
    timer.set(20, wake.fire);
    await wake.done;
    expect(fired).toEqual(['wake']);
  });

  it('never fires a wake-up cleared before it was due', async () => {
    const fired: string[] = [];
    const cleared = createTimer();
    cleared.set(30, wakeUp(fired, 'cleared').fire);
    cleared.clear();
    const later = wakeUp(fired, 'later');
    createTimer().set(300, later.fire);
    await later.done;
    expect(fired).toEqual(['later']);
  });

  it('keeps one wake-up: a second set() replaces the first', async () => {
    const fired: string[] = [];
    const timer = createTimer();
    timer.set(30, wakeUp(fired, 'first').fire);
    const second = wakeUp(fired, 'second');
    timer.set(300, second.fire);
    await second.done;
    expect(fired).toEqual(['second']);
  });

  it('sets nothing for an infinite delay, and drops the wake-up that was pending', async () => {
    const fired: string[] = [];
    const timer = createTimer();
    timer.set(30, wakeUp(fired, 'pending').fire);
    timer.set(Number.POSITIVE_INFINITY, wakeUp(fired, 'never').fire);
    const later = wakeUp(fired, 'later');
    createTimer().set(300, later.fire);
    await later.done;
    expect(fired).toEqual(['later']);
  });

  it('caps a delay longer than setTimeout can hold instead of firing it at once', async () => {
    const fired: string[] = [];
    // Node fires a delay above 2^31 - 1 ms after 1 ms (and warns): 24.8 days must not become now.
    createTimer().set(2 ** 31 + 1_000, wakeUp(fired, 'far').fire);
    const later = wakeUp(fired, 'later');
    createTimer().set(200, later.fire);
    await later.done;
    expect(fired).toEqual(['later']);
  });

  it('fires a wake-up whose time has already passed', async () => {
    const fired: string[] = [];
    const past = wakeUp(fired, 'past');
    createTimer().set(-5_000, past.fire);
    await past.done;
    expect(fired).toEqual(['past']);
  });

  it('never keeps the process alive', () => {
    const timer = createTimer();
    const before = refTimers();
    timer.set(3_600_000, () => {});
    expect(refTimers()).toBe(before);
    timer.clear();
  });
});

import { performance } from 'node:perf_hooks';
import { describe, expect, it } from 'vitest';
import { BACKGROUND, callerWithin } from '../sources/kit/caller.js';

describe('callers', () => {
  it('have a deadline `ms` from when they were made, and a signal that aborts at it', async () => {
    const before = performance.now();
    const caller = callerWithin(150);
    const after = performance.now();
    expect(caller.deadline).toBeGreaterThanOrEqual(before + 150);
    expect(caller.deadline).toBeLessThanOrEqual(after + 150);
    const signal = caller.signal;
    expect(signal.aborted).toBe(false);
    // The same signal however often it is asked for: every look-up listens to one.
    expect(caller.signal).toBe(signal);
    await expect.poll(() => signal.aborted, { timeout: 10_000, interval: 10 }).toBe(true);
    expect(performance.now()).toBeGreaterThanOrEqual(caller.deadline - 1);
    expect((signal.reason as Error).name).toBe('TimeoutError');
  });

  it('start the signal’s clock on first use, and abort it at once when the deadline passed before', async () => {
    const caller = callerWithin(20);
    await expect.poll(() => performance.now() > caller.deadline, { interval: 5 }).toBe(true);
    const signal = caller.signal;
    await expect.poll(() => signal.aborted, { timeout: 10_000, interval: 5 }).toBe(true);
  });

  it('let hundreds of look-ups listen to one signal without a warning', async () => {
    const warnings: Error[] = [];
    const onWarning = (warning: Error) => warnings.push(warning);
    process.on('warning', onWarning);
    try {
      const { signal } = callerWithin(60_000);
      const listeners = Array.from({ length: 300 }, () => () => {});
      for (const listener of listeners) signal.addEventListener('abort', listener);
      // Warnings are emitted on the next tick.
      await new Promise((resolve) => setImmediate(resolve));
      expect(warnings.filter((warning) => warning.name === 'MaxListenersExceededWarning')).toEqual([]);
      for (const listener of listeners) signal.removeEventListener('abort', listener);
    } finally {
      process.off('warning', onWarning);
    }
  });

  it('carry the hooks they are given, and nothing else', () => {
    const onAttempt = () => {};
    const onDelivery = () => {};
    const spend = async () => null;
    const caller = callerWithin(1_000, { onAttempt, onDelivery, spend });
    expect(caller.onAttempt).toBe(onAttempt);
    expect(caller.onDelivery).toBe(onDelivery);
    expect(caller.spend).toBe(spend);
    expect(callerWithin(1_000).onAttempt).toBeUndefined();
    expect(callerWithin(1_000).spend).toBeUndefined();
  });

  it('for the gateway’s own work: no deadline, and a signal that never aborts', () => {
    expect(BACKGROUND.deadline).toBe(Number.POSITIVE_INFINITY);
    expect(BACKGROUND.signal.aborted).toBe(false);
    expect(BACKGROUND.quotaShare).toBeUndefined();
    expect(BACKGROUND.lane).toBeUndefined();
  });
});

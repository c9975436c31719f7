import { describe, expect, it } from 'vitest';
import { LatencyWindow } from '../sources/kit/latency-window.js';

const filled = (size: number, samples: number[]) => {
  const window = new LatencyWindow(size);
  for (const ms of samples) window.add(ms);
  return window;
};

describe('the latency window', () => {
  it('has no percentile while it holds nothing', () => {
    const window = new LatencyWindow(8);
    expect(window.count).toBe(0);
    expect(window.percentile(50)).toBeNull();
  });

  it('reads percentiles by nearest rank over the samples in order', () => {
    // 1..10 ms, added out of order.
    const window = filled(16, [10, 3, 9, 1, 2, 8, 4, 7, 5, 6]);
    expect(window.count).toBe(10);
    expect(window.percentile(0)).toBe(1);
    expect(window.percentile(10)).toBe(1);
    expect(window.percentile(11)).toBe(2);
    expect(window.percentile(50)).toBe(5);
    expect(window.percentile(51)).toBe(6);
    expect(window.percentile(90)).toBe(9);
    expect(window.percentile(95)).toBe(10);
    expect(window.percentile(100)).toBe(10);
    expect(filled(16, [100, 25]).percentile(50)).toBe(25);
  });

  it('keeps the last `size` samples only: the oldest one goes first', () => {
    const window = filled(4, [1, 2, 3, 4]);
    expect(window.percentile(0)).toBe(1);
    window.add(50);
    expect(window.count).toBe(4);
    // 2, 3, 4, 50: the 1 is gone, and the percentile is read again after size / 8 (here 1) new samples.
    expect(window.percentile(0)).toBe(2);
    expect(window.percentile(100)).toBe(50);
    for (const ms of [60, 70, 80]) window.add(ms);
    expect(window.percentile(0)).toBe(50);
    expect(window.count).toBe(4);
  });

  it('sorts again only once every size / 8 new samples, not on every read', () => {
    const window = filled(
      16,
      Array.from({ length: 16 }, () => 10),
    );
    expect(window.percentile(100)).toBe(10);
    window.add(500);
    // One new sample of the two it takes: the percentile read is the one sorted before.
    expect(window.percentile(100)).toBe(10);
    window.add(500);
    expect(window.percentile(100)).toBe(500);
  });
});

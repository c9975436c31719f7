import { describe, expect, it } from 'vitest';
import { isoString } from '../db/records.js';

describe('isoString', () => {
  it('writes what toISOString writes, digit for digit, across every field and padding', () => {
    const dates: Date[] = [];
    // Every month, days and hours of one and two digits, milliseconds of one, two and three.
    for (let month = 0; month < 12; month++) {
      for (const [day, hour, minute, second, ms] of [
        [1, 0, 0, 0, 0],
        [9, 9, 9, 9, 9],
        [10, 10, 10, 10, 10],
        [28, 23, 59, 59, 99],
        [15, 12, 30, 45, 100],
        [20, 5, 7, 3, 999],
      ] as const) {
        dates.push(new Date(Date.UTC(2026, month, day, hour, minute, second, ms)));
      }
    }
    dates.push(new Date(Date.UTC(1000, 0, 1)), new Date(Date.UTC(9999, 11, 31, 23, 59, 59, 999)), new Date(0));
    for (const date of dates) expect(isoString(date)).toBe(date.toISOString());
  });

  it('leaves the years V8 writes in other forms to V8, and throws as it does for an invalid date', () => {
    for (const date of [new Date(Date.UTC(999, 11, 31, 23, 59, 59, 999)), new Date(Date.UTC(10_000, 0, 1)), new Date(-62_198_755_200_000 * 2)]) {
      expect(isoString(date)).toBe(date.toISOString());
    }
    expect(isoString(new Date(Date.UTC(999, 0, 1)))).toBe('0999-01-01T00:00:00.000Z');
    expect(() => isoString(new Date(Number.NaN))).toThrow(RangeError);
  });
});

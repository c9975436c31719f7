/**
 * The gateway's own budget for an upstream, counted the way the upstream counts: in units
 * (an Open-Meteo call costs one unit per location), over fixed windows that reset on the
 * clock's minute, hour and day boundaries (UTC), as Open-Meteo's do. A call that would
 * overspend any window is not sent. The counts live in a QuotaStore: this process's memory,
 * or Redis, so that every instance spends from one budget.
 */
export type QuotaWindow = 'minute' | 'hour' | 'day';

export const QUOTA_WINDOWS: readonly QuotaWindow[] = ['minute', 'hour', 'day'];
export const WINDOW_MS: Readonly<Record<QuotaWindow, number>> = { minute: 60_000, hour: 3_600_000, day: 86_400_000 };

/** Units allowed per window; a window not named is not limited. */
export type QuotaLimits = Partial<Record<QuotaWindow, number>>;

export type QuotaVerdict = { granted: true } | { granted: false; window: QuotaWindow; retryAfterSeconds: number };

/**
 * The share (0-1) of each window a call may bring the count up to: 1 for a call someone waits
 * for, less for background work (REPORT_QUOTA_SHARE), which thus never takes what requests
 * would need from the rest of the window.
 */
export type QuotaShare = number;

/** One window's counter as a store sees it: a key that names the window instance, its limit, and how long to keep it. */
export interface WindowCounter {
  key: string;
  limit: number;
  ttlMs: number;
}

/** Where the counts are kept. `take` must be atomic over all its counters: all of them or none. */
export interface QuotaStore {
  /** Adds `weight` to every counter unless one would pass its limit; returns that counter's index, or -1 when taken. */
  take(counters: readonly WindowCounter[], weight: number): Promise<number>;
  /** Sets a counter to its limit: nothing more is granted until its window ends. */
  fill(counter: WindowCounter): Promise<void>;
  /** Units used so far per counter. */
  used(counters: readonly WindowCounter[]): Promise<number[]>;
}

export interface Quota {
  /** Names the budget in metrics and keys, e.g. "open-meteo". */
  readonly name: string;
  readonly limits: QuotaLimits;
  /**
   * Takes `weight` units from every window, or none when one of them would overspend, or
   * would pass `share` of its limit (see QuotaShare; default 1).
   */
  take(weight: number, share?: QuotaShare): Promise<QuotaVerdict>;
  /** The upstream said a window is spent (a 429 naming it): it stays closed until it resets. */
  close(window: QuotaWindow): Promise<void>;
  /** Seconds until `window` resets. */
  secondsUntilReset(window: QuotaWindow): number;
  /** Units left in each limited window. */
  remaining(): Promise<Partial<Record<QuotaWindow, number>>>;
  /** True while every limited window has more than `share` (0-1) of its limit left. */
  hasHeadroom(share: number): Promise<boolean>;
}

export interface QuotaOptions {
  name: string;
  limits: QuotaLimits;
  store: QuotaStore;
  /** Wall clock in ms; windows start on its minute, hour and day boundaries. */
  now?: () => number;
}

export function createQuota({ name, limits, store, now = Date.now }: QuotaOptions): Quota {
  const windows = QUOTA_WINDOWS.filter((window) => limits[window] !== undefined);
  const counter = (window: QuotaWindow, at: number, share = 1, weight = 0): WindowCounter => {
    const size = WINDOW_MS[window];
    const start = Math.floor(at / size) * size;
    const limit = limits[window]!;
    // A call heavier than the share itself (a small quota) still goes into a window nothing
    // has spent yet, rather than wait for a window that can never have room for it.
    const allowed = share < 1 ? Math.max(Math.floor(limit * share), Math.min(weight, limit)) : limit;
    // Kept a little past the window's end, so that a clock a little behind still finds it.
    return { key: `gatherql:quota:${name}:${window}:${start}`, limit: allowed, ttlMs: start + size - at + 5_000 };
  };
  const secondsUntilReset = (window: QuotaWindow) => {
    const size = WINDOW_MS[window];
    const at = now();
    return Math.max(1, Math.ceil(((Math.floor(at / size) + 1) * size - at) / 1000));
  };
  const remaining = async () => {
    const at = now();
    const used = await store.used(windows.map((window) => counter(window, at)));
    return Object.fromEntries(windows.map((window, index) => [window, Math.max(0, limits[window]! - used[index]!)])) as Partial<Record<QuotaWindow, number>>;
  };

  return {
    name,
    limits,
    async take(weight, share = 1) {
      if (windows.length === 0) return { granted: true };
      const at = now();
      const refused = await store.take(
        windows.map((window) => counter(window, at, share, weight)),
        weight,
      );
      if (refused < 0) return { granted: true };
      const window = windows[refused]!;
      return { granted: false, window, retryAfterSeconds: secondsUntilReset(window) };
    },
    async close(window) {
      if (limits[window] === undefined) return;
      await store.fill(counter(window, now()));
    },
    secondsUntilReset,
    remaining,
    async hasHeadroom(share) {
      const left = await remaining();
      return windows.every((window) => left[window]! > limits[window]! * share);
    },
  };
}

/** Counts in this process's memory: one instance's budget. */
export function createMemoryQuotaStore(): QuotaStore {
  const counts = new Map<string, { used: number; expires: number }>();
  const read = (counter: WindowCounter, at: number) => {
    const entry = counts.get(counter.key);
    return entry && entry.expires > at ? entry.used : 0;
  };
  const write = (counter: WindowCounter, used: number, at: number) => {
    counts.set(counter.key, { used, expires: at + counter.ttlMs });
    // Old windows are dropped as new ones start, so the map holds a handful of keys.
    if (counts.size > 16) for (const [key, entry] of counts) if (entry.expires <= at) counts.delete(key);
  };
  return {
    async take(counters, weight) {
      const at = Date.now();
      const refused = counters.findIndex((counter) => read(counter, at) + weight > counter.limit);
      if (refused >= 0) return refused;
      for (const counter of counters) write(counter, read(counter, at) + weight, at);
      return -1;
    },
    async fill(counter) {
      const at = Date.now();
      write(counter, Math.max(counter.limit, read(counter, at)), at);
    },
    async used(counters) {
      const at = Date.now();
      return counters.map((counter) => read(counter, at));
    },
  };
}

const QUOTA_SYNTAX = /^(\d+)\/(minute|hour|day)$/;

/**
 * Reads a quota setting such as `600/minute,5000/hour,10000/day` (or `off`: null). Throws an
 * Error whose message says what is wrong, for a configuration error.
 */
export function parseQuotaLimits(text: string): QuotaLimits | null {
  const setting = text.trim().toLowerCase();
  if (setting === 'off') return null;
  const limits: QuotaLimits = {};
  for (const part of setting.split(',').map((item) => item.trim())) {
    const match = QUOTA_SYNTAX.exec(part);
    if (!match) throw new Error(`"${part}" is not COUNT/minute, COUNT/hour or COUNT/day`);
    const window = match[2] as QuotaWindow;
    if (limits[window] !== undefined) throw new Error(`${window} is given twice`);
    const count = Number(match[1]);
    if (count < 1) throw new Error(`a ${window} limit must be at least 1`);
    limits[window] = count;
  }
  return limits;
}

import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import type { SharedTier } from './shared-tier.js';

/** How often a waiting instance looks for what the loading one wrote. */
export const SHARED_POLL_MS = 25;

export interface SharedLoadOptions<T> {
  tier: SharedTier;
  /** The lock's key in the tier, for this cache key. */
  lockKey: string;
  /** How long one instance may hold a key it loads (about the longest a call may take). */
  lockMs: number;
  /** Reads the value from the tier; undefined while it is not there (or not fresh). */
  read: () => Promise<T | undefined>;
  /** `performance.now()` after which this caller stops waiting. */
  deadline: number;
  signal: AbortSignal;
}

/**
 * With a shared tier, concurrent cold look-ups of one key on several instances cost one
 * upstream call: one instance takes the key's lock and loads; the others look for what it
 * writes to the tier, every SHARED_POLL_MS, until it comes, the lock is free again (the
 * loader failed: then one of them loads), or their wait is over (then they load themselves).
 * A tier that fails reads as empty and its lock as free: Redis trouble costs a call, never
 * an answer. Resolves with what another instance wrote, or null when this one should load.
 */
export async function waitForOtherInstance<T>(options: SharedLoadOptions<T>): Promise<T | null> {
  const until = Math.min(options.deadline, performance.now() + options.lockMs);
  for (;;) {
    if (await options.tier.lock(options.lockKey, options.lockMs)) return null;
    if (performance.now() + SHARED_POLL_MS >= until) return null;
    try {
      await sleep(SHARED_POLL_MS, undefined, { signal: options.signal });
    } catch {
      return null;
    }
    const found = await options.read();
    if (found !== undefined) return found;
  }
}

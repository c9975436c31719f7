import type { Logger } from 'pino';

export interface StoreWarningOptions {
  logger?: Logger | undefined;
  /** The warning is logged at most once per this interval. */
  intervalMs: number;
  /** Logged (warn) when the store fails; `up` (info) when it answers again. */
  down: string;
  up: string;
}

/**
 * The log lines of a limiter whose Redis store fails open: a warning at most once per
 * interval while it fails (every request would otherwise log one), and one line when it is
 * back. `failed` and `succeeded` are called on every use.
 */
export function createStoreWarning(options: StoreWarningOptions) {
  let failing = false;
  let lastWarning = 0;
  return {
    failed(error: unknown) {
      failing = true;
      const now = Date.now();
      if (now - lastWarning < options.intervalMs) return;
      lastWarning = now;
      options.logger?.warn({ error: error instanceof Error ? error.message : String(error) }, options.down);
    },
    succeeded() {
      if (failing) options.logger?.info(options.up);
      failing = false;
    },
  };
}

/** setTimeout's longest delay (2^31 - 1 ms); a longer one would fire at once. */
const LONGEST_DELAY_MS = 2_147_483_647;

/**
 * One pending wake-up at a time, replaced by each set(): for a loop that sleeps until the next
 * thing it knows of. Infinite delays set nothing; timers never keep the process alive.
 */
export function createTimer() {
  let timer: NodeJS.Timeout | undefined;
  return {
    set(delayMs: number, fire: () => void) {
      clearTimeout(timer);
      timer = undefined;
      if (!Number.isFinite(delayMs)) return;
      timer = setTimeout(fire, Math.min(Math.max(0, delayMs), LONGEST_DELAY_MS));
      timer.unref();
    },
    clear() {
      clearTimeout(timer);
      timer = undefined;
    },
  };
}

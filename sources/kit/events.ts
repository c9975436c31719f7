// What the kit reports of its work, to the metrics, to Server-Timing and to traces alike.

/** How an HTTP attempt ended. `cancelled`: aborted, because the other attempt of a hedged call answered first or nobody waits any longer. */
export type AttemptOutcome = 'ok' | 'error' | 'timeout' | 'cancelled';

/**
 * What a look-up did: `hit` answered from cache (local or shared tier), `miss` started a
 * load, `joined` waited on an identical load in flight, `stale` got a value past its TTL
 * (while a refresh runs, or because the load failed), `refresh` started a background load.
 */
export type CacheEvent = 'hit' | 'miss' | 'joined' | 'stale' | 'refresh';

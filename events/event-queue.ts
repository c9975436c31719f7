/**
 * A stream of events with an end: what a subscription hands its transport (SSE, WebSocket),
 * which pulls one event at a time, at the pace its client reads. `return()` ends it at once,
 * also while a `next()` waits (an async generator would finish its pending await first).
 */
export interface LiveStream<T> extends AsyncIterableIterator<T> {
  return(): Promise<IteratorResult<T>>;
}

/** The events a consumer had not taken passed the bound: it is not reading, and was dropped. */
export class ConsumerTooSlowError extends Error {
  override name = 'ConsumerTooSlowError';
  constructor(readonly limit: number) {
    super(`This subscription was dropped: more than ${limit} events waited for a client that did not read them`);
  }
}

export interface EventQueueOptions<T> {
  /** Events that may wait for the consumer; one more drops it (ConsumerTooSlowError), and what waited is freed. */
  limit: number;
  /** Called once when the stream ends, however it ends (its source stops feeding it here). */
  onClose?: () => void;
  /**
   * Called when the consumer is dropped: what it returns is the last event the consumer gets
   * (then the stream ends), in place of ConsumerTooSlowError.
   */
  onDrop?: (error: ConsumerTooSlowError) => T;
}

/** The feeding side of a LiveStream. */
export interface EventQueue<T> {
  readonly stream: LiveStream<T>;
  /** True once the stream has ended (returned, ended, failed or dropped): pushes are ignored. */
  readonly closed: boolean;
  push(event: T): void;
  /** Ends the stream after the events that wait. */
  end(): void;
  /** Ends the stream with an error after the events that wait. */
  fail(error: Error): void;
}

/**
 * A bounded queue between a source that pushes (the event bus) and a consumer that pulls.
 * Memory stays bounded whatever the consumer does: one that stops reading is dropped once
 * `limit` events wait, its queue is freed and its source released, and its next `next()`
 * rejects with ConsumerTooSlowError (or gets what onDrop says).
 */
export function createEventQueue<T>(options: EventQueueOptions<T>): EventQueue<T> {
  let waiting: T[] = [];
  const pulls: { resolve: (result: IteratorResult<T>) => void; reject: (error: unknown) => void }[] = [];
  let finished = false;
  let failure: Error | null = null;
  // A pull waits only while no event does (push hands an event to a waiting pull first), and
  // never beside a failure (fail() rejects the pulls that wait; a later pull is told at once).

  const close = () => {
    if (finished) return;
    finished = true;
    options.onClose?.();
  };
  /** Ends the pulls that wait once nothing more can come. */
  const settleEnded = () => {
    for (const pull of pulls.splice(0)) pull.resolve({ done: true, value: undefined });
  };

  const stream: LiveStream<T> = {
    next() {
      if (waiting.length > 0) return Promise.resolve({ done: false, value: waiting.shift()! });
      if (failure) {
        const error = failure;
        // Told once; the stream is over afterwards.
        failure = null;
        return Promise.reject(error);
      }
      if (finished) return Promise.resolve({ done: true, value: undefined });
      return new Promise((resolve, reject) => pulls.push({ resolve, reject }));
    },
    return() {
      waiting = [];
      failure = null;
      close();
      settleEnded();
      return Promise.resolve({ done: true, value: undefined });
    },
    [Symbol.asyncIterator]() {
      return stream;
    },
  };

  return {
    stream,
    get closed() {
      return finished;
    },
    push(event) {
      if (finished) return;
      const pull = pulls.shift();
      if (pull) return pull.resolve({ done: false, value: event });
      if (waiting.length >= options.limit) {
        const error = new ConsumerTooSlowError(options.limit);
        waiting = options.onDrop ? [options.onDrop(error)] : [];
        if (!options.onDrop) failure = error;
        close();
        return;
      }
      waiting.push(event);
    },
    end() {
      close();
      settleEnded();
    },
    fail(error) {
      if (finished) return;
      close();
      const pending = pulls.splice(0);
      // Told once: to the pulls that wait, or else to the next one, after the events that wait.
      if (pending.length === 0) failure = error;
      for (const pull of pending) pull.reject(error);
    },
  };
}

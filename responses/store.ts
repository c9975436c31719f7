import { LRUCache } from 'lru-cache';

/** A kept answer, serialised once: what a hit writes as it is. JSON-serialisable, as it may live in Redis. */
export interface KeptResponse {
  /** The answer as the client gets it (JSON). */
  body: string;
  /** A strong ETag of `body` (see etagOf). */
  etag: string;
  /** The operation's name, for the request log. */
  name: string | null;
  /** Until when it may be served again, on the response cache's clock. */
  until: number;
  /** Until when an HTTP cache may keep it (see publicUntil); at least `until`. */
  publicUntil: number;
}

/** What the store holds for a key now, and in which generation it looked. */
export interface Lookup {
  generation: number;
  kept: KeptResponse | undefined;
}

/**
 * Where answers that are the same for everyone are kept, and a generation that every write
 * to their data bumps. An answer is kept under the generation its request began in; once a write has bumped the
 * generation, nothing kept before it is found again. Made by the gateway, so that the
 * database's write hook can reach it. In this process's memory, or in Redis (every instance
 * shares the answers and the generation, so a write through one is seen through all).
 */
export interface ResponseStore {
  /** The answer kept for `key` in the current generation, and that generation, in one step. */
  lookUp(key: string): Lookup | Promise<Lookup>;
  /** The current generation. */
  generation(): number | Promise<number>;
  /** Keeps an answer under the generation its request began in (found only while that is current). */
  keep(key: string, kept: KeptResponse, generation: number): void;
  /** A write came: bumps the generation, so that no answer kept before it is found again. */
  invalidate(): void;
  /** An operator's purge: bumps the generation and removes every kept answer; resolves with how many there were. */
  purge(): Promise<number>;
  /** True when every instance shares the store (Redis): one instance's purge is every instance's. */
  readonly shared: boolean;
  /** Resolves once every bump asked so far is done: a request that wrote answers only then. */
  settled(): Promise<void>;
}

/** Answers the memory store keeps at most; the least recently used goes first. */
export const KEPT_ANSWERS_MAX = 1000;

/** In this process's memory: right only where this process is the only writer (the embedded SQLite database). */
export function createMemoryResponseStore(maxEntries = KEPT_ANSWERS_MAX): ResponseStore {
  const responses = new LRUCache<string, KeptResponse>({ max: maxEntries });
  let generation = 0;
  const invalidate = () => {
    generation += 1;
    responses.clear();
  };
  return {
    lookUp: (key) => ({ generation, kept: responses.get(key) }),
    generation: () => generation,
    keep(key, kept, keptGeneration) {
      if (keptGeneration === generation) responses.set(key, kept);
    },
    invalidate,
    async purge() {
      const kept = responses.size;
      invalidate();
      return kept;
    },
    shared: false,
    settled: () => Promise.resolve(),
  };
}

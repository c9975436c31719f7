/**
 * The latencies of the last `size` answered attempts to one upstream, and a percentile of
 * them. The percentile is recomputed once every `size / 8` new samples rather than on every
 * read: a hedging decision is made per call, and sorting per call would cost more than it saves.
 */
export class LatencyWindow {
  readonly #samples: Float64Array;
  #count = 0;
  #next = 0;
  #sinceSorted = Number.POSITIVE_INFINITY;
  #sorted: Float64Array = new Float64Array(0);

  constructor(readonly size: number) {
    this.#samples = new Float64Array(size);
  }

  add(ms: number): void {
    this.#samples[this.#next] = ms;
    this.#next = (this.#next + 1) % this.size;
    this.#count = Math.min(this.#count + 1, this.size);
    this.#sinceSorted += 1;
  }

  get count(): number {
    return this.#count;
  }

  /** The `p`th percentile (0-100) of the samples kept, or null while there are none. */
  percentile(p: number): number | null {
    if (this.#count === 0) return null;
    if (this.#sinceSorted >= Math.max(1, this.size / 8)) {
      this.#sorted = this.#samples.slice(0, this.#count).sort();
      this.#sinceSorted = 0;
    }
    const index = Math.min(this.#sorted.length - 1, Math.ceil((p / 100) * this.#sorted.length) - 1);
    return this.#sorted[Math.max(0, index)]!;
  }
}

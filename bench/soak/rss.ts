import { readFileSync } from 'node:fs';

export interface RssSample {
  /** Seconds since sampling started. */
  atS: number;
  mib: number;
}

/** The resident set size of a process now, in MiB (from /proc); null once it has gone. */
export function rssMiB(pid: number): number | null {
  try {
    const kib = Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]);
    return Number.isFinite(kib) ? Math.round((kib / 1024) * 10) / 10 : null;
  } catch {
    return null;
  }
}

/** Samples a process's RSS every `everyMs` until stopped; the samples are kept in order. */
export function sampleRss(pid: number, everyMs = 1000): { samples: RssSample[]; stop(): void } {
  const started = performance.now();
  const samples: RssSample[] = [];
  const take = () => {
    const mib = rssMiB(pid);
    if (mib !== null) samples.push({ atS: Math.round((performance.now() - started) / 100) / 10, mib });
  };
  take();
  const timer = setInterval(take, everyMs);
  return { samples, stop: () => clearInterval(timer) };
}

/** The median of some samples, in MiB; NaN for none. */
export function medianMiB(samples: readonly RssSample[]): number {
  const sorted = samples.map((sample) => sample.mib).sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : Math.round(((sorted[middle - 1]! + sorted[middle]!) / 2) * 10) / 10;
}

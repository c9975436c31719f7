import { readFileSync } from 'node:fs';
import { cpus, release, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));

export interface Machine {
  cpu: string;
  cores: number;
  memoryGiB: number;
  node: string;
  kernel: string;
}

export function machine(): Machine {
  return {
    cpu: cpus()[0]?.model.trim() ?? 'unknown',
    cores: cpus().length,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    kernel: release(),
  };
}

/** The installed version of a package (a path under node_modules, for a nested copy), as npm resolved it for this checkout. */
export function packageVersion(path: string): string {
  try {
    return (JSON.parse(readFileSync(`${root}node_modules/${path}/package.json`, 'utf8')) as { version: string }).version;
  } catch {
    return 'not installed';
  }
}

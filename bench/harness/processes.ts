import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));
const probe = fileURLToPath(new URL('./event-loop-probe.ts', import.meta.url));

export interface ServerProcess {
  name: string;
  url: string;
  child: ChildProcess;
  /** Peak resident set size so far, in MiB, from the kernel's high-water mark. */
  peakRssMiB(): number;
  /** Event-loop delay p99 (ms) since the last call, reported by the probe in the process. */
  eventLoopDelayP99Ms(): Promise<number | null>;
  stop(): Promise<void>;
}

/**
 * Starts a server script under Node with the TypeScript loader and the event-loop probe,
 * and waits for the JSON log line that carries its URL.
 */
export function startServer(name: string, script: string, env: Record<string, string>, timeoutMs = 30_000): Promise<ServerProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', '--import', probe, script], {
    cwd: root,
    env: { PATH: process.env.PATH ?? '', HOST: '127.0.0.1', PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  const delays: ((value: number | null) => void)[] = [];
  child.stderr!.on('data', (chunk: Buffer) => {
    err += chunk;
    for (const match of chunk.toString().matchAll(/^event-loop-delay-p99-ms (\S+)$/gm)) {
      delays.shift()?.(Number(match[1]));
    }
  });
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${name} did not start:\n${out}\n${err}`));
    }, timeoutMs);
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk;
      const match = /"url":"(http:\/\/[^"]+)"/.exec(out);
      if (!match || child.listenerCount('started')) return;
      child.emit('started');
      clearTimeout(timer);
      resolve({
        name,
        url: match[1]!.endsWith('/graphql') ? match[1]! : `${match[1]}/graphql`,
        child,
        peakRssMiB: () => peakRss(child.pid!),
        eventLoopDelayP99Ms: () =>
          new Promise((done) => {
            delays.push(done);
            child.kill('SIGUSR2');
            setTimeout(() => done(null), 2000).unref();
          }),
        stop: async () => {
          child.kill('SIGTERM');
          const killer = setTimeout(() => child.kill('SIGKILL'), 15_000);
          await exited;
          clearTimeout(killer);
        },
      });
    });
    void exited.then(() => reject(new Error(`${name} exited before listening:\n${out}\n${err}`)));
  });
}

function peakRss(pid: number): number {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kib = Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? 0);
    return Math.round((kib / 1024) * 10) / 10;
  } catch {
    return 0;
  }
}

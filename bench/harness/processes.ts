import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { basename, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { processTree, treeCpuSeconds, treePeakRssMiB } from './process-tree.js';
import { OWN_RUNTIME, type Runtime } from './runtimes.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const probes = ['bench/harness/event-loop-probe.ts', 'bench/harness/cluster-probe.ts'];
const bundles = new Map<string, string>();

/**
 * A script as every server runs here: bundled into plain JavaScript for Node by
 * scripts/build.mjs, as `npm start` runs gatherql, so that no server pays for a TypeScript
 * loader in its start-up time or its memory. Built once per run and runtime, under its
 * buildDir (bench/.build/, beside node_modules, where the bundle's imports are found).
 */
function bundled(script: string, runtime: Runtime): string {
  const outdir = join(runtime.buildDir, script.replace(/\.ts$/, '').replace(/[^A-Za-z0-9]+/g, '-'));
  let file = bundles.get(outdir);
  if (!file) {
    execFileSync(process.execPath, [join(root, 'scripts', 'build.mjs'), script, outdir], { cwd: root, stdio: ['ignore', 'inherit', 'inherit'] });
    file = join(root, outdir, `${basename(script, '.ts')}.mjs`);
    bundles.set(outdir, file);
  }
  return file;
}

/** A process that a set-up under benchmark runs beside the gateway (Redis, PostgreSQL, nginx), counted apart from it. */
export interface ServiceProcess {
  name: string;
  /** CPU seconds (user + system) it and its own processes have used so far. */
  cpuSeconds(): number;
  stop(): Promise<void>;
}

export interface ServerProcess {
  name: string;
  url: string;
  child: ChildProcess;
  /** Peak resident set size so far, in MiB: the kernel's high-water mark of each of its processes, added up. */
  peakRssMiB(): number;
  /** CPU seconds (user + system) that all its processes have used so far (with WORKERS, the primary and every worker), from /proc. */
  cpuSeconds(): number;
  /** Its processes alive now: the one started, and with WORKERS its workers. */
  pids(): number[];
  /** What the set-up runs beside it, whose CPU is reported apart; none for a server alone. */
  services: ServiceProcess[];
  /** Event-loop delay p99 (ms) since the last call, reported by the probe in the process. */
  eventLoopDelayP99Ms(): Promise<number | null>;
  /** Milliseconds from spawning the process to its first ready answer (or its URL line). */
  startupMs: number;
  stop(): Promise<void>;
}

export interface StartOptions {
  timeoutMs?: number;
  /**
   * The URL the server will listen on (its PORT chosen by the caller). Then readiness is a
   * 200 from `readyUrl` rather than a log line: a server that logs at warn prints no URL.
   */
  url?: string;
  readyUrl?: string;
  /** How to ask `readyUrl`: a GET by default; a peer without a readiness route is asked a GraphQL query. */
  readyInit?: RequestInit;
  /**
   * With WORKERS: how many node:cluster workers must listen before it is ready. The first one
   * to listen answers `readyUrl`; the others may still be starting.
   */
  workers?: number;
  /** Node options of this server's own; BENCH_SERVER_NODE_ARGS come after, and win where both set one. */
  nodeArgs?: readonly string[];
  /** The Node it runs on; the harness's own by default. */
  runtime?: Runtime;
}

/** How often readiness is polled: start-up times are reported, so the poll must not round them much. */
const READY_POLL_MS = 10;

/** A TCP port that was free a moment ago on 127.0.0.1. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (typeof address !== 'object' || !address) throw new Error('no free port');
  return address.port;
}

/**
 * Node options for every server the harness starts, from BENCH_SERVER_NODE_ARGS (space-separated),
 * e.g. `--cpu-prof --cpu-prof-dir=/tmp/profiles` to see where a server's time goes: Node refuses
 * `--cpu-prof` in NODE_OPTIONS, and that would profile the load generator too.
 */
const serverNodeArgs = process.env.BENCH_SERVER_NODE_ARGS?.split(' ').filter(Boolean) ?? [];

/**
 * Starts a server script, bundled (see bundled()), under Node with the probes (event-loop
 * delay, workers listening), and waits until it serves: for the JSON log line that carries
 * its URL, or, when the caller knows the URL, for a 200 from its readiness URL (and with
 * `workers`, for every worker to listen).
 */
export function startServer(name: string, script: string, env: Record<string, string>, options: StartOptions = {}): Promise<ServerProcess> {
  const timeoutMs = options.timeoutMs ?? 30_000;
  const spawnedAt = performance.now();
  const runtime = options.runtime ?? OWN_RUNTIME;
  const child = spawn(
    runtime.node,
    [...(options.nodeArgs ?? []), ...serverNodeArgs, ...probes.flatMap((probe) => ['--import', bundled(probe, runtime)]), bundled(script, runtime)],
    {
      cwd: root,
      env: { PATH: process.env.PATH ?? '', HOST: '127.0.0.1', PORT: '0', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  // Only the start of the output is kept: it is what explains a failed start, and a server
  // that logs per request must not grow the harness's memory.
  let out = '';
  let err = '';
  const keep = (text: string, chunk: Buffer) => (text.length < 64 * 1024 ? text + chunk.toString() : text);
  const delays: ((value: number | null) => void)[] = [];
  let listeningWorkers = 0;
  child.stderr!.on('data', (chunk: Buffer) => {
    err = keep(err, chunk);
    for (const match of chunk.toString().matchAll(/^event-loop-delay-p99-ms (\S+)$/gm)) {
      delays.shift()?.(Number(match[1]));
    }
    listeningWorkers += chunk.toString().match(/^worker-listening \d+$/gm)?.length ?? 0;
  });
  let exitedEarly = false;
  const exited = new Promise<void>((resolve) =>
    child.on('exit', () => {
      exitedEarly = true;
      resolve();
    }),
  );

  const started = (url: string): ServerProcess => ({
    name,
    startupMs: performance.now() - spawnedAt,
    url: url.endsWith('/graphql') ? url : `${url}/graphql`,
    child,
    peakRssMiB: () => treePeakRssMiB(child.pid!),
    cpuSeconds: () => treeCpuSeconds(child.pid!),
    pids: () => processTree(child.pid!),
    services: [],
    eventLoopDelayP99Ms: () =>
      new Promise((done) => {
        delays.push(done);
        child.kill('SIGUSR2');
        setTimeout(() => done(null), 2000).unref();
      }),
    stop: async () => {
      if (exitedEarly) return;
      child.kill('SIGTERM');
      const killer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(killer);
    },
  });

  return new Promise((resolve, reject) => {
    let done = false;
    const timer = setTimeout(() => {
      done = true;
      child.kill('SIGKILL');
      reject(new Error(`${name} did not start:\n${out}\n${err}`));
    }, timeoutMs);
    const ready = (url: string) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      resolve(started(url));
    };
    child.stdout!.on('data', (chunk: Buffer) => {
      out = keep(out, chunk);
      const match = /"url":"(http:\/\/[^"]+)"/.exec(out);
      if (match && !options.url) ready(match[1]!);
    });
    if (options.url) {
      const { url, readyUrl = url, readyInit } = options;
      void (async () => {
        while (!done && !exitedEarly) {
          const ok = await fetch(readyUrl, readyInit).then(
            async (response) => {
              await response.arrayBuffer();
              return response.ok;
            },
            () => false,
          );
          if (ok && listeningWorkers >= (options.workers ?? 0)) return ready(url);
          await sleep(READY_POLL_MS);
        }
      })();
    }
    void exited.then(() => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      reject(new Error(`${name} exited before listening:\n${out}\n${err}`));
    });
  });
}

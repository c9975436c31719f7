import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { GATEWAY_HEAP_ARGS } from '../../node-options.js';

const root = fileURLToPath(new URL('../..', import.meta.url));

export interface ServerProcess {
  child: ChildProcess;
  /** Base URL, e.g. http://127.0.0.1:41234, once the server listens. */
  url: string;
  /** The port of `url`: the one the system gave it when PORT is 0. */
  port: number;
  stdout(): string;
  stderr(): string;
  /** Resolves with the exit code once the process has ended. */
  exited: Promise<number | null>;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

export interface ExitedProcess {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * How the server is run: its TypeScript source, the bundle `npm start` builds and runs
 * (dist/), that bundle moved, the source with gateway options from TEST_GATEWAY_OPTIONS
 * (tuned-server.ts: small leases for tests of takeovers), or a bundle of the workers test's
 * own (see buildWorkersBundle).
 */
export type ServerBuild = 'source' | 'bundle' | 'moved-bundle' | 'incomplete-bundle' | 'tuned' | 'workers-bundle';

/** Where buildWorkersBundle puts its bundle: beside the packages it imports, away from dist/ (which other tests rebuild). */
const WORKERS_BUNDLE_DIR = 'test/.build/workers';

const ARGUMENTS: Record<ServerBuild, string[]> = {
  source: ['--import', 'tsx', 'server.ts'],
  bundle: ['--enable-source-maps', ...GATEWAY_HEAP_ARGS, 'dist/server.mjs'],
  // The same files copied one folder deeper (the test copies them): a bundle must not depend on where it is put.
  'moved-bundle': ['--enable-source-maps', ...GATEWAY_HEAP_ARGS, 'dist/moved/server.mjs'],
  // The bundle copied without a file it needs (the test leaves it out): it must say so at start.
  'incomplete-bundle': ['--enable-source-maps', ...GATEWAY_HEAP_ARGS, 'dist/incomplete/server.mjs'],
  tuned: ['--import', 'tsx', 'test/helpers/tuned-server.ts'],
  'workers-bundle': ['--enable-source-maps', ...GATEWAY_HEAP_ARGS, `${WORKERS_BUNDLE_DIR}/server.mjs`],
};

/** Bundles server.ts as `npm start` does (scripts/build.mjs), into `outdir` (relative to the repository). */
export async function buildBundle(outdir = 'dist'): Promise<void> {
  await promisify(execFile)(process.execPath, ['scripts/build.mjs', 'server.ts', outdir], { cwd: root });
}

/**
 * The workers test's bundle. Every worker it forks would otherwise compile the TypeScript
 * again when it starts: with the rest of the suite keeping both CPUs busy, three processes
 * compiling at once took minutes, and the replacement of a killed worker outlasted the test
 * (CI failed twice so). A bundle starts in about a second.
 */
export const buildWorkersBundle = () => buildBundle(WORKERS_BUNDLE_DIR);

/** How long a server process may take to listen (or to exit, for runServerToExit) by default: it compiles first. */
export const SERVER_START_MS = 90_000;

function spawnServer(env: Record<string, string>, build: ServerBuild = 'source'): ChildProcess {
  return spawn(process.execPath, ARGUMENTS[build], {
    cwd: root,
    env: { PATH: process.env.PATH ?? '', HOST: '127.0.0.1', PORT: '0', LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/** Runs server.ts as a real process on a free port and waits until it listens. */
export function startServerProcess(env: Record<string, string>, timeoutMs = SERVER_START_MS, build: ServerBuild = 'source'): Promise<ServerProcess> {
  const child = spawnServer(env, build);
  let out = '';
  let err = '';
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  child.stderr!.on('data', (chunk) => (err += chunk));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`server did not start within ${timeoutMs} ms:\n${out}\n${err}`));
    }, timeoutMs);
    child.stdout!.on('data', (chunk) => {
      out += chunk;
      const match = /"url":"(http:\/\/[^"]+)\/graphql"/.exec(out);
      if (match) {
        clearTimeout(timer);
        resolve({
          child,
          url: match[1]!,
          port: Number(new URL(match[1]!).port),
          stdout: () => out,
          stderr: () => err,
          exited,
          stop: (signal = 'SIGTERM') => {
            child.kill(signal);
            return exited;
          },
        });
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code} before listening:\n${out}\n${err}`));
    });
  });
}

/** Runs server.ts expecting it to stop by itself (bad configuration), and reports how. */
export function runServerToExit(env: Record<string, string>, timeoutMs = SERVER_START_MS, build: ServerBuild = 'source'): Promise<ExitedProcess> {
  const child = spawnServer(env, build);
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk) => (stdout += chunk));
  child.stderr!.on('data', (chunk) => (stderr += chunk));
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  return new Promise((resolve) =>
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    }),
  );
}

import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './free-port.js';

export interface ThrowawayRedis {
  /** `redis://127.0.0.1:<port>`; append `/<db>` to give a test file a database of its own. */
  url: string;
  port: number;
  /** The redis-server process, for whoever measures what it costs. */
  pid: number;
  /** Stops the server and waits until it has exited; its data is gone (nothing is saved). */
  stop(): Promise<void>;
}

/** The redis-server binary of the Debian package, or the first one on PATH, if any. */
export function findRedisServer(): string | null {
  if (existsSync('/usr/bin/redis-server')) return '/usr/bin/redis-server';
  try {
    const found = execFileSync('sh', ['-c', 'command -v redis-server'], { stdio: 'pipe' }).toString().trim();
    return found || null;
  } catch {
    return null;
  }
}

/** True once a Redis server answers PING on the port. */
function answersPing(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(500, () => done(false));
    socket.on('error', () => done(false));
    socket.on('connect', () => socket.write('PING\r\n'));
    socket.on('data', (data) => done(data.toString().startsWith('+PONG')));
  });
}

/** Databases the server offers (Redis's default is 16): one per test file that needs its own, see test/helpers/redis-databases.ts. */
const DATABASES = 32;

/**
 * Starts a Redis server of its own on a loopback port (a free one unless `port` is given,
 * which lets a test restart "the same" server), with persistence off: it is thrown away.
 */
export async function startRedis(bin: string, port?: number, timeoutMs = 10_000): Promise<ThrowawayRedis> {
  const chosen = port ?? (await freePort());
  const dir = mkdtempSync(join(tmpdir(), 'gatherql-redis-'));
  const child: ChildProcess = spawn(
    bin,
    [
      '--port',
      String(chosen),
      '--bind',
      '127.0.0.1',
      '--databases',
      String(DATABASES),
      '--save',
      '',
      '--appendonly',
      'no',
      '--dir',
      dir,
      '--logfile',
      join(dir, 'log'),
    ],
    { stdio: 'ignore' },
  );
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
    rmSync(dir, { recursive: true, force: true });
  };

  const deadline = Date.now() + timeoutMs;
  while (!(await answersPing(chosen))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      await stop();
      throw new Error(`redis-server did not start on 127.0.0.1:${chosen} within ${timeoutMs} ms`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return { url: `redis://127.0.0.1:${chosen}`, port: chosen, pid: child.pid!, stop };
}

import { execFileSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './free-port.js';

export interface ThrowawayPostgres {
  /** Superuser URL of the server's `postgres` database. */
  url: string;
  /** The postmaster process while it runs (the sessions are its children), for whoever measures what it costs; null while paused. */
  pid(): number | null;
  /** Stops the server for good and deletes its data. */
  stop(): void;
  /** Stops the server (fast shutdown: sessions are cut) but keeps its data, as an outage would. */
  pause(): void;
  /** Starts the paused server again on the same data and port: the same URL works again. */
  resume(): void;
}

/** The newest PostgreSQL server binaries installed by Debian's packages, if any. */
export function findPostgresBin(): string | null {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return null;
  const versions = readdirSync(root)
    .filter((v) => existsSync(join(root, v, 'bin', 'initdb')))
    .sort((a, b) => Number(b) - Number(a));
  return versions[0] ? join(root, versions[0], 'bin') : null;
}

/**
 * Starts a PostgreSQL server of its own on a free loopback port, in a temporary directory,
 * with durability off (it is thrown away). The server refuses to run as root, so as root
 * it runs as the `postgres` user that the Debian package creates.
 */
export async function startPostgres(bin: string): Promise<ThrowawayPostgres> {
  const dir = mkdtempSync(join(tmpdir(), 'gatherql-pg-'));
  const asRoot = process.getuid?.() === 0;
  const run = (command: string, args: string[]) =>
    asRoot
      ? execFileSync('runuser', ['-u', 'postgres', '--', join(bin, command), ...args], { stdio: 'pipe' })
      : execFileSync(join(bin, command), args, { stdio: 'pipe' });
  if (asRoot) {
    const ids = execFileSync('id', ['-u', 'postgres']).toString().trim();
    const gid = execFileSync('id', ['-g', 'postgres']).toString().trim();
    chownSync(dir, Number(ids), Number(gid));
  }
  const port = await freePort();
  const data = join(dir, 'data');
  run('initdb', ['-D', data, '-U', 'postgres', '-A', 'trust', '--no-sync', '-E', 'UTF8', '--locale=C']);
  const start = () =>
    run('pg_ctl', [
      '-D',
      data,
      '-l',
      join(dir, 'log'),
      '-w',
      '-t',
      '30',
      '-o',
      `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200`,
      'start',
    ]);
  start();
  let running = true;
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    pid() {
      // The first line of postmaster.pid is the postmaster's pid; pg_ctl started it detached.
      return running ? Number(readFileSync(join(data, 'postmaster.pid'), 'utf8').split('\n')[0]) : null;
    },
    pause() {
      run('pg_ctl', ['-D', data, '-m', 'fast', '-w', 'stop']);
      running = false;
    },
    resume() {
      start();
      running = true;
    },
    stop() {
      try {
        if (running) run('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']);
        running = false;
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}

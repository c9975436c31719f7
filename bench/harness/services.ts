import { findPostgresBin, startPostgres } from '../../test/services/postgres.js';
import { findRedisServer, startRedis } from '../../test/services/redis.js';
import { nginxAvailable, startNginx } from '../../test/services/nginx.js';
import { treeCpuSeconds } from './process-tree.js';
import type { ServiceProcess } from './processes.js';

// The services of a scaled-out set-up, started by the test suite's own starters (throwaway,
// on loopback, durability off) and measured like the gateway: by all their processes' CPU.

export interface RunningService extends ServiceProcess {
  /** Where it listens: `redis://…`, `postgres://…` or nginx's `http://…`. */
  url: string;
}

export async function startBenchRedis(): Promise<RunningService> {
  const bin = findRedisServer();
  if (!bin) throw new Error('redis-server is not installed (apt-get install redis-server)');
  const redis = await startRedis(bin);
  return { name: 'Redis', url: redis.url, cpuSeconds: () => treeCpuSeconds(redis.pid), stop: redis.stop };
}

export async function startBenchPostgres(): Promise<RunningService> {
  const bin = findPostgresBin();
  if (!bin) throw new Error('no PostgreSQL server binaries under /usr/lib/postgresql (apt-get install postgresql)');
  const postgres = await startPostgres(bin);
  // Read once: it does not move while the set-up runs (it is never paused here).
  const pid = postgres.pid()!;
  return { name: 'PostgreSQL', url: postgres.url, cpuSeconds: () => treeCpuSeconds(pid), stop: async () => postgres.stop() };
}

/**
 * nginx round-robin over the ports, configured as docs/deploy.md recommends, but for the idle
 * connections it keeps (`keepalive`, 128 there); with `cache`, with its proxy_cache recipe.
 */
export async function startBenchNginx(ports: number[], options: { keepalive?: number; cache?: boolean } = {}): Promise<RunningService> {
  if (!nginxAvailable()) throw new Error('nginx is not installed (apt-get install nginx-light)');
  const nginx = await startNginx(ports, options);
  return { name: 'nginx', url: nginx.url, cpuSeconds: () => treeCpuSeconds(nginx.pid), stop: nginx.stop };
}

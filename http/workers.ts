import cluster, { type Worker } from 'node:cluster';
import type { Logger } from 'pino';
import type { Config } from '../config.js';
import { openDatabase } from '../db/connect.js';
import { prepareDatabase } from '../db/prepare.js';
import { hashPassword } from '../resolvers/passwords.js';
import { relayEventsBetweenWorkers } from '../events/cluster-relay.js';
import { keepWorkersBudgets } from '../limits/budget.js';

/**
 * Workers that die at start this many times in a row are not started again. A worker dies at
 * start when it dies before it listens (however long its start took: on a busy machine that
 * is many seconds), or within `withinMs` of being started.
 */
export const CRASH_LOOP = { withinMs: 10_000, times: 5 } as const;

/**
 * WORKERS > 1: this process forks that many gateway processes (node:cluster), each a whole
 * gateway on the same port, and only watches them: a worker that dies is logged and replaced
 * (unless workers keep dying at start: then it gives up, exit 1); SIGTERM or SIGINT is passed
 * on to every worker, each drains as one gateway does, and this process exits 0 once all are
 * gone. The database is prepared here, once, before any worker opens it: migrations and the
 * demo seed must not race each other.
 */
export async function runWorkers(config: Config, logger: Logger, fail: (message: string) => never): Promise<void> {
  const database = openDatabase(config.databaseUrl);
  try {
    await prepareDatabase(database.db, { seed: database.embeddedFile, hashPassword, logger });
  } catch (error) {
    fail(`cannot start: ${error instanceof Error ? error.message : String(error)}`);
  } finally {
    await database.close();
  }
  if (!config.redisUrl) {
    logger.warn(
      { workers: config.workers },
      'WORKERS without REDIS_URL: each worker keeps its own caches and a part of each upstream quota; set REDIS_URL to share them',
    );
    // Without Redis the workers' event buses talk through this process (see cluster-relay.ts),
    // and their rate limit, upstream budgets and login throttle count here.
    relayEventsBetweenWorkers();
    keepWorkersBudgets();
  }

  const startedAt = new Map<Worker, number>();
  const listening = new Set<Worker>();
  const start = () => startedAt.set(cluster.fork(), Date.now());
  let stopping = false;
  let quickDeaths = 0;
  cluster.on('listening', (worker) => listening.add(worker));
  cluster.on('exit', (worker, code, signal) => {
    const atStart = !listening.has(worker) || Date.now() - (startedAt.get(worker) ?? 0) < CRASH_LOOP.withinMs;
    startedAt.delete(worker);
    listening.delete(worker);
    if (stopping) {
      if (startedAt.size === 0) {
        logger.info('stopped');
        process.exit(0);
      }
      return;
    }
    quickDeaths = atStart ? quickDeaths + 1 : 0;
    if (quickDeaths >= CRASH_LOOP.times) fail(`workers keep dying at start (${quickDeaths} in a row); see the log above`);
    logger.warn({ pid: worker.process.pid, code, signal }, 'worker died; starting a new one');
    start();
  });
  for (let n = 0; n < config.workers; n += 1) start();
  logger.info({ workers: config.workers }, 'started the workers');

  const shutdown = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down: every worker drains');
    for (const worker of startedAt.keys()) worker.process.kill('SIGTERM');
  };
  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);
}

/**
 * A worker's part of the upstream quotas. With Redis every worker counts in one place; without
 * it each counts its calls alone, so each gets 1/WORKERS of every quota. A quota is a promise to
 * the upstream (REST Countries' free tier): the parts never add up to more than the whole, so
 * they are rounded down. (The per-client budgets need no parts: the primary counts them.)
 */
export function shareAmongWorkers(config: Config): Config {
  if (config.redisUrl || config.workers <= 1) return config;
  const part = (value: number) => Math.max(1, Math.floor(value / config.workers));
  const quota = (limits: Config['openMeteoQuota']) =>
    limits && (Object.fromEntries(Object.entries(limits).map(([window, value]) => [window, part(value)])) as NonNullable<Config['openMeteoQuota']>);
  return { ...config, openMeteoQuota: quota(config.openMeteoQuota), restCountriesQuota: quota(config.restCountriesQuota) };
}

import type { Plugin } from 'graphql-yoga';
import { sql } from 'kysely';
import type { Logger } from 'pino';
import type { DatabaseHandle } from '../db/connect.js';
import type { Redis } from '../redis.js';
import type { Metrics } from './metrics.js';
import { useMetrics } from './use-metrics.js';
import { useQueryLimits } from './use-query-limits.js';
import { type ReadinessCheck, useReadiness } from './use-readiness.js';
import { useRequestId } from './use-request-id.js';

/** What the operations plugins are built from; all of it made once by the gateway. */
export interface OperationsDeps {
  logger: Logger;
  metrics: Metrics;
  database: DatabaseHandle;
  redis: Redis | null;
}

/** The gateway's operations and protection plugins, in the order they must run. */
export function operationsPlugins(deps: OperationsDeps): Plugin[] {
  const checks: Record<string, ReadinessCheck> = { database: () => sql`select 1`.execute(deps.database.db) };
  const { redis } = deps;
  if (redis) checks.redis = () => redis.ping();
  return [useRequestId(), useReadiness({ checks, logger: deps.logger }), useMetrics({ registry: deps.metrics.registry }), useQueryLimits()];
}

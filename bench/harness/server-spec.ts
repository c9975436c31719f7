// What every server under benchmark is, gatherql's set-ups and the peers alike.
import type { ServerProcess } from './processes.js';
import type { Runtime } from './runtimes.js';
import type { SimulatorClient } from './simulator-client.js';

/** What a server under benchmark is started with. */
export interface ServerEnvironment {
  sim: SimulatorClient;
  /** The seeded SQLite file; each server start gets its own copy. */
  seedFile: string;
  /** Where the copies go. */
  workDir: string;
  /** The Node it runs on; the harness's own when absent. */
  runtime?: Runtime;
}

/**
 * `executed`: every request is executed (no response cache, no cache of resolver results);
 * `cached`: answers or resolver results are kept across requests. Goals compare like with like.
 */
export type CacheGroup = 'executed' | 'cached';

export interface ServerSpec {
  /** Short name, used in tables and file names. */
  name: string;
  /** What it is, for the report. */
  description: string;
  group: CacheGroup;
  /** One of the servers gatherql is compared with (bench/peers/), rather than a row of gatherql itself. */
  peer: boolean;
  /** What it keeps across requests and for how long, for the report. */
  caches: string;
  /** npm packages whose versions the report lists for this server (paths under node_modules). */
  packages: string[];
  /** Only these scenarios (ids); all when absent. */
  scenarios?: string[];
  /** Scenarios (ids) where this row only adds a comparison: measured in full runs, left out of `--quick`. */
  fullRunOnly?: string[];
  /** Starts it; `scenarioEnv` comes last, so a scenario can shorten a TTL for every server. */
  start(env: ServerEnvironment, scenarioEnv?: Record<string, string>): Promise<ServerProcess>;
}

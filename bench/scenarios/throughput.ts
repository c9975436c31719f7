import { load } from '../harness/load.js';
import { machineBusySeconds } from '../harness/machine-cpu.js';
import type { ServerProcess } from '../harness/processes.js';
import { upstreamUse } from '../harness/upstream-use.js';
import type { Durations, ScenarioContext, Values } from './types.js';

export const CONNECTIONS = 100;

/** What a throughput round sends: a POST body (or one per request), or the query string of a GET. */
export type Asked = string | ((index: number) => string) | { get: string };

/** A warm-up round, then a measured one, both at CONNECTIONS with no pipelining. */
export async function warmThenMeasure(server: ServerProcess, ctx: ScenarioContext, asked: Asked, beforeMeasure: () => Promise<unknown> = async () => {}) {
  const { warmS, measureS } = ctx.durations;
  const [url, body] = typeof asked === 'object' ? [`${server.url}?${asked.get}`, null] : [server.url, asked];
  await load({ url, body, connections: CONNECTIONS, duration: warmS });
  await beforeMeasure();
  const before = await ctx.sim.calls();
  const cpuBefore = server.cpuSeconds();
  const servicesBefore = server.services.map((service) => service.cpuSeconds());
  const loadBefore = process.cpuUsage();
  const machineBefore = machineBusySeconds();
  const startedAt = performance.now();
  const result = await load({ url, body, connections: CONNECTIONS, duration: measureS });
  const wallS = (performance.now() - startedAt) / 1000;
  const machineCpu = machineBusySeconds() - machineBefore;
  const loadUsage = process.cpuUsage(loadBefore);
  const loadCpu = (loadUsage.user + loadUsage.system) / 1e6;
  const cpu = server.cpuSeconds() - cpuBefore;
  const servicesCpu = server.services.map((service, index) => [service.name, service.cpuSeconds() - servicesBefore[index]!] as const);
  const ownCpu = servicesCpu.reduce((total, [, seconds]) => total + seconds, cpu + loadCpu);
  const perRequest = (seconds: number) => (result.requests > 0 ? (seconds * 1e6) / result.requests : null);
  const use = upstreamUse(before, await ctx.sim.calls());
  // Over requests sent: the calls of requests still in flight at either edge of the round
  // roughly cancel out (those of the warm-up land in it, those of its last requests after it).
  return {
    result,
    upstreamPerRequest: result.sent > 0 ? use.calls / result.sent : null,
    unitsPerRequest: result.sent > 0 ? use.openMeteoUnits / result.sent : null,
    // The server's own CPU per answered request: the cost of a request, whatever else the machine does.
    cpuUsPerRequest: perRequest(cpu),
    /** The same for each service the set-up runs beside it (Redis, PostgreSQL, nginx), by name. */
    serviceCpuUsPerRequest: Object.fromEntries(servicesCpu.map(([name, seconds]) => [name, perRequest(seconds)])),
    /** The same for the load generator (autocannon runs in this process): the part of the cores the servers did not get. */
    loadCpuUsPerRequest: perRequest(loadCpu),
    /**
     * Cores that everything else on the machine kept busy meanwhile (the machine's busy time
     * less the server's, its services' and the load generator's): near 0 on a quiet machine;
     * what it takes, the server did not get.
     */
    otherCores: Math.max(0, machineCpu - ownCpu) / wallS,
  };
}

export function throughputMethod(what: string, durations: Durations): string {
  return `${what}: autocannon, ${CONNECTIONS} connections, no pipelining, ${durations.warmS} s warm-up then ${durations.measureS} s measured.`;
}

export function throughputValues(result: Awaited<ReturnType<typeof warmThenMeasure>>): Values {
  return {
    rps: result.result.requestsPerSecond,
    // A server that answered nothing in the round has no latencies (autocannon says 0).
    p50: result.result.requests > 0 ? result.result.p50Ms : null,
    p99: result.result.requests > 0 ? result.result.p99Ms : null,
    upstream: result.upstreamPerRequest,
    units: result.unitsPerRequest,
    cpuUs: result.cpuUsPerRequest,
    failures: result.result.failures,
  };
}

/** Upstream calls (all four APIs) and Open-Meteo quota units per request, for scenarios that call upstreams. */
export const UPSTREAM_COLUMNS = [
  { key: 'upstream', label: 'upstream calls / request (≈)', digits: 2 },
  { key: 'units', label: 'Open-Meteo units / request (≈)', digits: 2 },
];

export const THROUGHPUT_COLUMNS = [
  { key: 'rps', label: 'req/s', digits: 0 },
  { key: 'p50', label: 'p50 ms', digits: 1 },
  { key: 'p99', label: 'p99 ms', digits: 1 },
  { key: 'cpuUs', label: 'server CPU µs / request', digits: 0 },
];

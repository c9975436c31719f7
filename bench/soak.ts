// Soak: `npm run soak -- [--duration 60] [--connections 200] [--rss-tolerance 0.25]`.
// The gateway runs as a process in production mode on a seeded SQLite file, with a local
// Open-Meteo simulator that fails in several ways (soak/faults.ts) as its upstream, and
// takes a mixed load (soak/mix.ts) from `connections` clients for `duration` seconds. The
// first quarter (at most 15 s) is warm-up. It fails (exit 1) on any 5xx, any masked error,
// any connection error or timeout, any line logged at error level, or an RSS at the end more
// than `rss-tolerance` above the RSS after warm-up. RSS swings by tens of MiB with every
// major GC, so "start" and "end" are medians over 10 s (right after warm-up, and at the
// end), and "peak" is the highest single sample in between.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { startSimulator } from '../simulator/simulator.js';
import { upstreamEnv } from './harness/gateway-start.js';
import { startServer } from './harness/processes.js';
import { SOAK_FAULT_WORDS, SOAK_FAULTS } from './soak/faults.js';
import { SOAK_MIX, soakRequest } from './soak/mix.js';
import { medianMiB, sampleRss } from './soak/rss.js';
import { countLogLines, logIn, scrapeCounters } from './soak/gateway-probes.js';

const { values } = parseArgs({
  options: {
    duration: { type: 'string', default: '60' },
    connections: { type: 'string', default: '200' },
    'rss-tolerance': { type: 'string', default: '0.25' },
  },
});
const durationS = Number(values.duration);
const connections = Number(values.connections);
const tolerance = Number(values['rss-tolerance']);
if (!(durationS >= 10 && durationS <= 3600) || !(connections >= 1 && connections <= 1000) || !(tolerance >= 0)) {
  console.error('usage: npm run soak -- [--duration 10..3600] [--connections 1..1000] [--rss-tolerance >=0]');
  process.exit(2);
}
const warmUpS = Math.min(15, durationS / 4);

const dir = mkdtempSync(join(tmpdir(), 'gatherql-soak-'));
const sim = await startSimulator({ faults: SOAK_FAULTS });
const server = await startServer('gatherql', 'server.ts', {
  NODE_ENV: 'production',
  AUTH_SECRET: randomBytes(32).toString('base64url'),
  DATABASE_URL: `file:${join(dir, 'soak.sqlite')}`,
  ...upstreamEnv(sim),
  // The simulator is not Open-Meteo: its free tier's quota would only measure QUOTA_EXHAUSTED.
  OPEN_METEO_QUOTA: 'off',
  // Healthy weather expires during the run, so the caches and the upstream keep working.
  WEATHER_CACHE_TTL_S: '10',
  // One client address sends everything: keep the limiter in the path, but never reached.
  RATE_LIMIT_PER_MINUTE: '1000000',
  UPSTREAM_BUDGET_PER_MINUTE: '1000000',
  LOG_LEVEL: 'info',
}).catch(async (error: unknown) => {
  await sim.close();
  rmSync(dir, { recursive: true, force: true });
  throw error;
});
const logs = countLogLines(server.child);
const pid = server.child.pid!;
const rss = sampleRss(pid);
let exitCode = 0;

try {
  const base = server.url.replace(/\/graphql$/, '');
  const token = await logIn(server.url, 'ada', 'gatherql-demo');
  const byKind = new Map<string, { sent: number; statuses: Record<number, number> }>();
  const masked: string[] = [];
  let maskedTotal = 0;
  let n = 0;

  // The event-loop probe measures from its last read: read it once the warm-up is over.
  const warmUp = setTimeout(() => void server.eventLoopDelayP99Ms(), warmUpS * 1000);
  const result = await autocannon({
    url: base,
    connections,
    pipelining: 1,
    duration: durationS,
    timeout: 30,
    requests: [
      {
        // autocannon hands each request's context to its response: it carries the kind along.
        setupRequest: (defaults, context) => {
          const { kind, ...request } = soakRequest(n++, token);
          (context as { kind?: string }).kind = kind;
          // The defaults carry the Host header; without them autocannon sends "undefined:undefined".
          return { ...defaults, ...request, headers: { ...defaults.headers, ...request.headers } };
        },
        onResponse: (status, body, context) => {
          const kind = String((context as { kind?: string }).kind);
          const entry = byKind.get(kind) ?? { sent: 0, statuses: {} };
          entry.sent += 1;
          entry.statuses[status] = (entry.statuses[status] ?? 0) + 1;
          byKind.set(kind, entry);
          if (!body.includes('INTERNAL_SERVER_ERROR')) return;
          maskedTotal += 1;
          if (masked.length < 5) masked.push(`${kind}: ${body.slice(0, 200)}`);
        },
      },
    ],
  });
  clearTimeout(warmUp);
  const loopP99 = await server.eventLoopDelayP99Ms();
  rss.stop();

  const statuses = Object.fromEntries(Object.entries(result.statusCodeStats ?? {}).map(([code, stats]) => [code, stats.count ?? 0]));
  const fivexx = Object.entries(statuses).reduce((sum, [code, count]) => sum + (Number(code) >= 500 ? count : 0), 0);
  const afterWarmUp = rss.samples.filter((sample) => sample.atS >= warmUpS);
  const start = medianMiB(afterWarmUp.filter((sample) => sample.atS < warmUpS + 10));
  const peak = Math.max(...afterWarmUp.map((sample) => sample.mib));
  const end = medianMiB(afterWarmUp.slice(-10));
  const counters = await scrapeCounters(base);
  const alive = server.child.exitCode === null && server.child.signalCode === null;

  console.log(`soak: ${durationS} s, ${connections} connections, warm-up ${warmUpS} s; gateway pid ${pid} (NODE_ENV=production, SQLite file)`);
  console.log(`faults: ${SOAK_FAULT_WORDS.join('; ')}`);
  console.log(`mix: ${SOAK_MIX.join(', ')}`);
  console.log(
    `requests sent: ${result.requests.sent}, answered: ${result.requests.total} (${Math.round(result.requests.average)}/s), latency p50 ${result.latency.p50} ms, p99 ${result.latency.p99} ms`,
  );
  console.log(`statuses: ${JSON.stringify(statuses)}; 5xx: ${fivexx}; connection errors: ${result.errors}, timeouts: ${result.timeouts}`);
  for (const [kind, entry] of [...byKind].sort()) console.log(`  ${kind.padEnd(18)} ${String(entry.sent).padStart(7)}  ${JSON.stringify(entry.statuses)}`);
  console.log(`masked errors (INTERNAL_SERVER_ERROR) in bodies: ${maskedTotal}${masked.map((line) => `\n  ${line}`).join('')}`);
  console.log(
    `RSS MiB: start ${start} (median of the 10 s after warm-up), peak ${peak}, end ${end} (median of the last 10 s); tolerance ${Math.round(tolerance * 100)}% (end <= ${(start * (1 + tolerance)).toFixed(1)})`,
  );
  console.log(
    `RSS every 5 s: ${rss.samples
      .filter((_, i) => i % 5 === 0)
      .map((sample) => sample.mib)
      .join(' ')}`,
  );
  console.log(`event-loop delay p99 after warm-up: ${loopP99 ?? 'not reported'} ms`);
  console.log(`upstream attempts: ${JSON.stringify(counters.upstream)}; cache: ${JSON.stringify(counters.cache)}`);
  console.log(`log lines: ${JSON.stringify(logs.byMessage())}`);

  const failures = [
    fivexx > 0 && `${fivexx} responses were 5xx`,
    maskedTotal > 0 && `${maskedTotal} responses carried a masked error`,
    result.errors + result.timeouts > 0 && `${result.errors} connection errors and ${result.timeouts} timeouts`,
    !(end <= start * (1 + tolerance)) && `RSS grew from ${start} to ${end} MiB after warm-up`,
    logs.errors() > 0 && `${logs.errors()} lines logged at error level`,
    !alive && 'the gateway process died',
  ].filter(Boolean);
  console.log(failures.length === 0 ? 'PASS' : `FAIL: ${failures.join('; ')}`);
  if (failures.length > 0) exitCode = 1;
} finally {
  rss.stop();
  await server.stop();
  await sim.close();
  rmSync(dir, { recursive: true, force: true });
}
process.exit(exitCode);

// What one upstream call costs the gateway's event loop, by layer: `npx tsx bench/upstream-client.ts [calls]`.
// The same geocoding call to the local simulator (in this process, so its share is in every
// row alike), 8 at a time, three ways in alternating rounds: through the upstream kit (got and
// the kit's own layers: hedging, the circuit and the host's cap, signals), through got alone
// configured as the kit configures it, and through node:http. Per call: CPU (process.cpuUsage)
// and the pauses of garbage collection (a `gc` PerformanceObserver). docs/performance-notes.md
// ("Background work beside requests") has the figures and why they matter.
import { Agent, request } from 'node:http';
import { PerformanceObserver } from 'node:perf_hooks';
import got from 'got';
import { startSimulator } from '../simulator/simulator.js';
import { createUpstreamHttp } from '../sources/kit/http.js';
import { upstreamPolicy } from '../sources/kit/upstream-policy.js';

const CALLS = Number(process.argv[2] ?? 2000);
const AT_ONCE = 8;
const ROUNDS = 3;

const sim = await startSimulator();
const url = new URL(`${sim.geocodingUrl}/v1/search?name=Berlin&count=1&language=en&format=json`);
const policy = upstreamPolicy(10_000);

const kit = createUpstreamHttp().source({ name: 'geocoding', what: 'geocoding', baseUrl: url.origin, policy });
const agent = new Agent({ keepAlive: true, maxSockets: policy.concurrencyPerHost });
const client = got.extend({
  headers: { accept: 'application/json', 'user-agent': 'gatherql' },
  retry: { limit: 0 },
  throwHttpErrors: false,
  followRedirect: false,
  agent: { http: agent },
});

const ways: Record<string, () => Promise<unknown>> = {
  'upstream kit': () => kit.getJson({ url, parse: (body) => body, context: { signal: new AbortController().signal } }),
  'got alone': () =>
    client.get(url, { signal: new AbortController().signal, timeout: { request: policy.timeoutMs } }).then((response) => JSON.parse(response.body)),
  'node:http': () =>
    new Promise((resolve, reject) => {
      request(url, { agent, headers: { accept: 'application/json', 'user-agent': 'gatherql' } }, (response) => {
        let body = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => {
          body += chunk;
        });
        response.on('end', () => resolve(JSON.parse(body)));
      })
        .on('error', reject)
        .end();
    }),
};

let gcMs = 0;
let gcs = 0;
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) {
    gcMs += entry.duration;
    gcs += 1;
  }
}).observe({ entryTypes: ['gc'] });

async function measure(call: () => Promise<unknown>) {
  gcMs = 0;
  gcs = 0;
  const cpu = process.cpuUsage();
  for (let sent = 0; sent < CALLS; sent += AT_ONCE) await Promise.all(Array.from({ length: AT_ONCE }, call));
  const used = process.cpuUsage(cpu);
  return { cpuUs: (used.user + used.system) / CALLS, gcMsPer1000: (gcMs / CALLS) * 1000, gcs };
}

// Warm every way first: the first calls compile what the rest run.
for (const call of Object.values(ways)) await measure(call);
const results = Object.fromEntries(Object.keys(ways).map((name) => [name, [] as Awaited<ReturnType<typeof measure>>[]]));
for (let round = 0; round < ROUNDS; round += 1) {
  for (const [name, call] of Object.entries(ways)) results[name]!.push(await measure(call));
}
console.log(`${CALLS} calls a round, ${AT_ONCE} at a time, ${ROUNDS} rounds (CPU of caller and simulator together)`);
for (const [name, rounds] of Object.entries(results)) {
  const cpu = rounds.map((round) => round.cpuUs.toFixed(0)).join(', ');
  const gc = rounds.map((round) => round.gcMsPer1000.toFixed(0)).join(', ');
  console.log(`${name.padEnd(13)} CPU µs per call: ${cpu}; GC pauses, ms per 1,000 calls: ${gc}`);
}
agent.destroy();
await sim.close();
process.exit(0);

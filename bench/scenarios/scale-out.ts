import { expectAnswer, POSTS_BODY, tenPostsWithAuthors } from './queries.js';
import { CONNECTIONS, THROUGHPUT_COLUMNS, throughputValues, warmThenMeasure } from './throughput.js';
import type { Scenario } from './types.js';

/** The set-ups' services, each with its own column: the name a ServiceProcess carries, and its column's key. */
const SERVICES = [
  { name: 'Redis', key: 'redisCpuUs' },
  { name: 'PostgreSQL', key: 'postgresCpuUs' },
  { name: 'nginx', key: 'nginxCpuUs' },
];

/**
 * (j) Posts with authors (b) on one gatherql process, on two (WORKERS=2), and on three
 * instances on PostgreSQL and Redis behind nginx: what a request costs once the gateway is
 * spread over processes, and what the services that make them act as one cost on top.
 */
export const scaleOut: Scenario = {
  id: 'j',
  title: 'Scale-out: posts with authors on 1 and 2 workers, and on three instances behind nginx',
  method: (durations) =>
    [
      `The query of (b), anonymous: autocannon, ${CONNECTIONS} connections, no pipelining, ${durations.warmS} s warm-up then ${durations.measureS} s measured; each set-up is started afresh, services included.`,
      '',
      '- `gatherql-executing` and `gatherql-executing-2-workers` execute every request (response cache and query sharing off): one process, and WORKERS=2.',
      '- `gatherql` keeps answers in its memory (embedded SQLite, one process: the only writer). `gatherql-2-workers` is `server.ts` with WORKERS=2 and REDIS_URL, which puts',
      '  the response cache in Redis: with two processes writing to the SQLite file and no Redis there would be none (`responses/choose.ts`).',
      '- `gatherql-3-instances`: three `server.ts` processes on one PostgreSQL (seeded with the same demo data) and one Redis (response cache, upstream caches, limits),',
      '  behind nginx (one worker process, round robin, keep-alive to the instances, as docs/deploy.md recommends: at most 128 idle connections kept to them).',
      "  `gatherql-3-instances-keepalive-32` is the same with nginx keeping up to 32: the 100 clients' requests often find no idle connection and open a new one.",
      '- gatherql CPU is that of all its processes added up: the node:cluster primary (it accepts each connection and hands it to a worker) and its workers, or the three',
      "  instances. Redis, PostgreSQL and nginx are each counted apart, with all their processes (PostgreSQL's sessions, nginx's worker); the all column adds them up.",
      '  Each is CPU per answered request over the measured round.',
      "- Peak RSS is the sum of the gatherql processes' high-water marks (pages they share, such as Node's code, count in each); the services' are not in it.",
      '- The load generator (autocannon, in the harness process), the servers and the services share the same cores: its CPU per request is in the last column;',
      '  what it uses, the servers cannot. On 2 cores, more gateway processes share the cores that are left rather than add to them.',
      "- Other processes, cores busy: the machine's busy time during the round (/proc/stat) less that of the gatherql processes, the services and the load generator,",
      "  per second: whatever else ran on the machine meanwhile (near 0 when it was quiet). The higher it is, the less the row's figures say.",
    ].join('\n'),
  faults: [],
  columns: [
    // (b)'s columns, the server's CPU being all gatherql processes' here; then what runs beside them.
    ...THROUGHPUT_COLUMNS.map((column) => (column.key === 'cpuUs' ? { ...column, label: 'gatherql CPU µs / request' } : column)),
    ...SERVICES.map(({ name, key }) => ({ key, label: `${name} CPU µs / request`, digits: 0 })),
    { key: 'allCpuUs', label: 'all server-side CPU µs / request', digits: 0 },
    { key: 'processes', label: 'gatherql processes', digits: 0 },
    { key: 'loadCpuUs', label: 'load generator CPU µs / request', digits: 0 },
    { key: 'otherCores', label: 'other processes, cores busy', digits: 2 },
  ],
  ratioKey: 'rps',
  higherIsBetter: true,
  ratioServers: ['gatherql-executing', 'gatherql'],
  fullRunOnly: true,
  async measure(server, ctx) {
    await expectAnswer(server.url, POSTS_BODY, tenPostsWithAuthors);
    const processes = server.pids().length;
    const measured = await warmThenMeasure(server, ctx, POSTS_BODY);
    const { cpuUsPerRequest, serviceCpuUsPerRequest, loadCpuUsPerRequest, otherCores } = measured;
    const services = SERVICES.map(({ name, key }) => [key, serviceCpuUsPerRequest[name] ?? null] as const);
    const all = cpuUsPerRequest === null ? null : services.reduce((total, [, value]) => total + (value ?? 0), cpuUsPerRequest);
    return { ...throughputValues(measured), processes, ...Object.fromEntries(services), allCpuUs: all, loadCpuUs: loadCpuUsPerRequest, otherCores };
  },
};

import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../db/connect.js';
import { migrateToLatest } from '../db/migrate.js';
import { insertPost, insertUser } from './helpers/fixtures.js';
import { startSimulator } from '../simulator/simulator.js';
import { startOtlpReceiver } from './helpers/otlp-receiver.js';
import { buildBundle, runServerToExit, startServerProcess } from './helpers/server-process.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'gatherql-server-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('server.ts as a process', () => {
  it('runs as npm start runs it: bundled by scripts/build.mjs, then plain Node, bundled country facts and their notice included', async () => {
    await buildBundle();
    // What the licence of the bundled country facts (ODbL) asks for, beside the bundle.
    expect(readFileSync(join(root, 'dist', 'NOTICE.md'), 'utf8')).toContain('Contains information from [world-countries]');
    expect(readFileSync(join(root, 'dist', 'world-countries.LICENSE.md'), 'utf8')).toContain('ODC Open Database License (ODbL)');
    const sim = await startSimulator();
    try {
      const server = await startServerProcess(
        {
          DATABASE_URL: ':memory:',
          OPEN_METEO_GEOCODING_URL: sim.geocodingUrl,
          OPEN_METEO_FORECAST_URL: sim.forecastUrl,
          REST_COUNTRIES_URL: sim.countriesUrl,
        },
        30_000,
        'bundle',
      );
      const response = await fetch(`${server.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          query: '{ cities(names: ["Berlin"]) { ... on City { country { ... on Country { name freshness { state } } } } } posts(first: 1) { totalCount } }',
        }),
      });
      // (extensions.cost too: the geocoding look-up spent from the client's upstream budget.)
      expect((await response.json()).data).toEqual({ cities: [{ country: { name: 'Germany', freshness: { state: 'BUNDLED' } } }], posts: { totalCount: 0 } });
      expect(server.stdout()).toContain('country facts bundled (world-countries 5.1.0');
      expect(await server.stop()).toBe(0);
    } finally {
      await sim.close();
    }
  });

  it('runs its bundle from another folder too, tracing chunk included, and names the version it carries', async () => {
    // scripts/build.mjs ran in the test above; the tracing SDK is a chunk of its own, loaded only now.
    const moved = join(root, 'dist', 'moved');
    mkdirSync(moved, { recursive: true });
    for (const file of readdirSync(join(root, 'dist'))) if (file.endsWith('.mjs')) copyFileSync(join(root, 'dist', file), join(moved, file));
    const receiver = await startOtlpReceiver();
    try {
      const server = await startServerProcess(
        { DATABASE_URL: ':memory:', OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json', OTEL_SERVICE_NAME: 'gatherql-bundle' },
        30_000,
        'moved-bundle',
      );
      const response = await fetch(`${server.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query: '{ posts(first: 1) { totalCount } }' }),
      });
      expect(response.status).toBe(200);
      // Shutting down flushes the spans still batched.
      expect(await server.stop()).toBe(0);
      const { version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string };
      const request = receiver.spans().find((span) => span.kind === 'server');
      expect(request?.resource).toMatchObject({ 'service.name': 'gatherql-bundle', 'service.version': version });
    } finally {
      await receiver.close();
      rmSync(moved, { recursive: true, force: true });
    }
  });

  it("refuses to start from a bundle that lacks the background thread's files, naming the missing one", async () => {
    // A report would load them only once it runs: a build that forgot one must fail at start, not then.
    const incomplete = join(root, 'dist', 'incomplete');
    mkdirSync(incomplete, { recursive: true });
    for (const file of readdirSync(join(root, 'dist')))
      if (file.endsWith('.mjs') && file !== 'got-attempt.mjs') copyFileSync(join(root, 'dist', file), join(incomplete, file));
    try {
      const result = await runServerToExit({ DATABASE_URL: ':memory:' }, 60_000, 'incomplete-bundle');
      expect(result.code).toBe(1);
      expect(result.stderr + result.stdout).toContain(`the background thread's code is missing: ${join(incomplete, 'got-attempt.mjs')}`);
    } finally {
      rmSync(incomplete, { recursive: true, force: true });
    }
  });

  it('seeds an empty embedded database once, serves, and exits 0 on SIGTERM', async () => {
    const env = { DATABASE_URL: `file:${join(dir, 'first.sqlite')}` };
    const first = await startServerProcess(env);
    expect(first.stdout()).toContain('seeded demo data');
    expect(first.stdout()).toContain('AUTH_SECRET is not set');

    const health = await fetch(`${first.url}/health`);
    expect(health.status).toBe(200);
    const response = await fetch(`${first.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ posts(first: 3) { totalCount edges { node { title author { username } } } } }' }),
    });
    const { data } = (await response.json()) as any;
    expect(data.posts.totalCount).toBe(24);
    expect(data.posts.edges).toHaveLength(3);
    expect(data.posts.edges[0].node.author.username).toMatch(/\w+/);

    expect(await first.stop('SIGTERM')).toBe(0);
    expect(first.stdout()).toContain('"msg":"stopped"');

    const second = await startServerProcess(env);
    expect(second.stdout()).not.toContain('seeded demo data');
    expect(await second.stop('SIGINT')).toBe(0);
  });

  it('cuts a client that never finishes its headers after 10 s with a 408', async () => {
    const server = await startServerProcess({ DATABASE_URL: ':memory:' });
    try {
      const { port } = new URL(server.url);
      const started = Date.now();
      const answer = await new Promise<string>((resolve, reject) => {
        let received = '';
        const socket = connect(Number(port), '127.0.0.1', () => socket.write('POST /graphql HTTP/1.1\r\nHost: 127.0.0.1\r\n'));
        socket.on('data', (chunk) => (received += chunk));
        socket.on('close', () => resolve(received));
        socket.on('error', reject);
      });
      const waited = Date.now() - started;
      expect(answer).toMatch(/^HTTP\/1\.1 408 /);
      expect(waited).toBeGreaterThanOrEqual(9_000);
      expect(waited).toBeLessThan(20_000);
    } finally {
      await server.stop();
    }
  });

  it('closes connections over MAX_CONNECTIONS as they arrive, and takes new ones once others close', async () => {
    const server = await startServerProcess({ DATABASE_URL: ':memory:', MAX_CONNECTIONS: '2' });
    const { port } = server;
    const open = () =>
      new Promise<Socket>((resolve, reject) => {
        const socket = connect(port, '127.0.0.1', () => resolve(socket));
        socket.on('error', reject);
      });
    /** What the server says to a GET /health on this socket; '' when it closes the connection instead. */
    const health = (socket: Socket) =>
      new Promise<string>((resolve) => {
        let received = '';
        socket.on('data', (chunk) => {
          received += chunk;
          if (received.includes('\r\n\r\n')) resolve(received);
        });
        socket.on('close', () => resolve(received));
        socket.on('error', () => resolve(received));
        socket.write('GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
      });
    try {
      const [first, second] = [await open(), await open()];
      const third = await open();
      expect(await health(third)).toBe('');
      expect(await health(first)).toMatch(/^HTTP\/1\.1 200 /);
      first.destroy();
      second.destroy();
      // Once the server has seen them close (no fixed wait: a busy machine takes its time), a new one is taken.
      await expect.poll(async () => health(await open()), { timeout: 20_000 }).toMatch(/^HTTP\/1\.1 200 /);
      // The warning reaches stdout when the logger flushes, not at the refusal itself.
      await expect.poll(() => server.stdout()).toContain('connection refused: MAX_CONNECTIONS open already');
    } finally {
      await server.stop();
    }
  });

  it('closes a connection whose client stopped reading its answer after SOCKET_TIMEOUT_S', async () => {
    // About 30 MB of answer: more than the kernel buffers of both ends hold, so the server's writes stall.
    const file = join(dir, 'large.sqlite');
    const database = openDatabase(`file:${file}`);
    await migrateToLatest(database.db);
    const authorId = await insertUser(database.db, { username: 'prolific' });
    for (let n = 0; n < 100; n += 1) await insertPost(database.db, { authorId, content: 'x'.repeat(100_000) });
    await database.close();
    const server = await startServerProcess({ DATABASE_URL: `file:${file}`, SOCKET_TIMEOUT_S: '2', UPSTREAM_TIMEOUT_MS: '100', REQUEST_DEADLINE_MS: '1000' });
    try {
      const page = 'posts(first: 100) { edges { node { content } } }';
      const body = JSON.stringify({ query: `{ a: ${page} b: ${page} c: ${page} }` });
      const socket = connect(server.port, '127.0.0.1');
      socket.write(`POST /graphql HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
      socket.pause();
      const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()));
      // The buffers fill while the writes still count as activity; the 2 s of silence come after,
      // and then the server says it closed the connection.
      await expect.poll(() => server.stdout(), { timeout: 25_000, interval: 100 }).toContain('connection closed: nothing moved on it for SOCKET_TIMEOUT_S');
      let received = 0;
      socket.on('data', (chunk: Buffer) => (received += chunk.length));
      socket.resume();
      await closed;
      // The server gave up on the stalled answer: the client got what the buffers held, not all of it.
      expect(received).toBeGreaterThan(0);
      expect(received).toBeLessThan(30_000_000);
      // A reading client gets the whole of the same answer.
      const whole = await fetch(`${server.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
      expect((await whole.text()).length).toBeGreaterThan(30_000_000);
    } finally {
      await server.stop();
    }
  });

  it.each([
    [{ PORT: 'abc' }, 'gatherql: PORT is invalid: expected an integer from 0 to 65535'],
    [{ DATABASE_URL: 'mysql://x' }, 'gatherql: DATABASE_URL is invalid: expected file:PATH, :memory: or postgres://…'],
    [{ RATE_LIMIT_PER_MINUTE: '-1' }, 'gatherql: RATE_LIMIT_PER_MINUTE is invalid: expected an integer from 0 to 1000000'],
    [{ NODE_ENV: 'production' }, 'gatherql: AUTH_SECRET is required when NODE_ENV=production: expected at least 32 characters'],
    [{ SOCKET_TIMEOUT_S: '5' }, 'gatherql: SOCKET_TIMEOUT_S is invalid: expected more than the longest upstream wait (REQUEST_DEADLINE_MS = 5 s)'],
    [
      { PERSISTED_DOCUMENTS: 'only', PERSISTED_DOCUMENTS_PATH: 'no/such.json' },
      'gatherql: PERSISTED_DOCUMENTS_PATH is invalid: expected the id -> document JSON that codegen writes (npm run codegen); no file at no/such.json',
    ],
  ])('refuses to start on bad configuration %j with one clear line and exit code 1', async (env, line) => {
    const result = await runServerToExit({ DATABASE_URL: ':memory:', ...env });
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(`${line}\n`);
    expect(result.stdout).toBe('');
  });

  it('says which database it cannot reach, without a stack trace', async () => {
    const result = await runServerToExit({ DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none', LOG_LEVEL: 'silent' });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^gatherql: cannot start: .*ECONNREFUSED.*\n$/);
  });
});

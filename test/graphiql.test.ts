import { readFileSync } from 'node:fs';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FIRST_QUERY } from '../gateway.js';
import { pageEncodingFor } from '../plugins/use-graphiql-page.js';
import { TEST_AUTH_SECRET } from './helpers/auth.js';
import { docBlocks } from './helpers/doc-blocks.js';
import { startGateway, type TestGateway } from './helpers/gateway.js';
import { startServerProcess } from './helpers/server-process.js';

describe('GraphiQL', () => {
  let gateway: TestGateway;
  beforeAll(async () => {
    gateway = await startGateway();
  });
  afterAll(() => gateway?.close());

  it('is served to a browser at /graphql with every asset inline, nothing from a CDN', async () => {
    const response = await gateway.yoga.fetch('http://gatherql.test/graphql', { headers: { accept: 'text/html' } });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/text\/html/);
    const page = await response.text();
    expect(page).toContain('<title>gatherql</title>');
    expect(page.length).toBeGreaterThan(100_000); // the inlined GraphiQL bundle
    const external = [...page.matchAll(/<(?:script|link)[^>]+(?:src|href)=["'](https?:)?\/\/[^"']+/g)].map((m) => m[0]);
    expect(external).toEqual([]);
  });

  it('sends the page compressed to a client that accepts it, brotli first, and the same page either way', async () => {
    const load = async (acceptEncoding?: string) => {
      const response = await gateway.yoga.fetch('http://gatherql.test/graphql', {
        headers: { accept: 'text/html', ...(acceptEncoding && { 'accept-encoding': acceptEncoding }) },
      });
      expect(response.headers.get('vary')).toMatch(/accept-encoding/i);
      return { encoding: response.headers.get('content-encoding'), body: Buffer.from(await response.arrayBuffer()) };
    };
    const plain = await load();
    expect(plain.encoding).toBeNull();
    expect(plain.body.toString()).toContain('<title>gatherql</title>');
    const br = await load('gzip, deflate, br');
    expect(br.encoding).toBe('br');
    expect(brotliDecompressSync(br.body).equals(plain.body)).toBe(true);
    expect(br.body.length).toBeLessThan(plain.body.length / 3);
    const gzip = await load('gzip');
    expect(gzip.encoding).toBe('gzip');
    expect(gunzipSync(gzip.body).equals(plain.body)).toBe(true);
    expect(gzip.body.length).toBeLessThan(plain.body.length / 3);
  });

  it.each([
    [null, 'identity'],
    ['', 'identity'],
    ['gzip, deflate, br, zstd', 'br'],
    ['gzip;q=1.0, br;q=0', 'gzip'],
    ['deflate', 'identity'],
    ['*', 'br'],
    ['*;q=0, gzip', 'gzip'],
    ['identity', 'identity'],
  ] as const)('picks an encoding for Accept-Encoding %j: %s', (header, expected) => {
    expect(pageEncodingFor(header)).toBe(expected);
  });

  it('opens with the query that docs/accounts-and-posts.md says it opens with, and the page carries it', async () => {
    const shown = docBlocks('docs/accounts-and-posts.md').find((block) => block.lang === 'graphql' && block.code.startsWith('query LatestPosts'));
    const query = FIRST_QUERY.replace(/^#.*\n/gm, '').trimEnd();
    expect(shown?.code).toBe(query);
    const page = await (await gateway.yoga.fetch('http://gatherql.test/graphql', { headers: { accept: 'text/html' } })).text();
    expect(page).toContain(JSON.stringify(FIRST_QUERY).slice(1, -1));
  });

  it('leaves introspection on', async () => {
    const { body } = await gateway.query('{ __schema { queryType { name } } __type(name: "Post") { fields { name } } }');
    expect(body.data.__schema.queryType.name).toBe('Query');
    expect(body.data.__type.fields.map((f: any) => f.name)).toContain('author');
  });
});

describe('GraphiQL under hostile load', () => {
  it('serves the page as an asset, not an operation: page views spend nothing of the rate limit', async () => {
    const gateway = await startGateway({ RATE_LIMIT_PER_MINUTE: '2' });
    try {
      const load = () => gateway.yoga.fetch('http://gatherql.test/graphql', { headers: { accept: 'text/html' } });
      const operation = () => gateway.query('{ __typename }');
      for (let view = 0; view < 5; view += 1) {
        const page = await load();
        expect(page.status).toBe(200);
        expect(page.headers.get('ratelimit-remaining')).toBeNull();
      }
      // The client's two operations are all still there, then spent; the page still opens.
      expect((await operation()).headers.get('ratelimit-remaining')).toBe('1');
      expect((await operation()).status).toBe(200);
      expect((await operation()).status).toBe(429);
      expect((await load()).status).toBe(200);
    } finally {
      await gateway.close();
    }
  });

  it('does not hold a copy of the 9 MB page for every client that stops reading it', async () => {
    const server = await startServerProcess({ DATABASE_URL: ':memory:', AUTH_SECRET: TEST_AUTH_SECRET, RATE_LIMIT_PER_MINUTE: '0' });
    const sockets: Socket[] = [];
    try {
      const before = rssMiB(server.child.pid!);
      // Each client reads the first bytes (so the server has queued the whole page for it), then nothing more.
      await Promise.all(
        Array.from({ length: 40 }, () => {
          const socket = connect(server.port, '127.0.0.1');
          sockets.push(socket);
          socket.write('GET /graphql HTTP/1.1\r\nHost: gatherql.test\r\nAccept: text/html\r\n\r\n');
          return new Promise<void>((resolve) => socket.once('data', () => resolve(void socket.pause())));
        }),
      );
      // Rendered per request, 40 pages held until read cost about a gigabyte here.
      expect(rssMiB(server.child.pid!) - before).toBeLessThan(200);
    } finally {
      for (const socket of sockets) socket.destroy();
      await server.stop();
    }
  });
});

function rssMiB(pid: number): number {
  return Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) / 1024;
}

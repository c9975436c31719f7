import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runServerToExit, startServerProcess } from './helpers/server-process.js';

const dir = mkdtempSync(join(tmpdir(), 'gatherql-server-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('server.ts as a process', () => {
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

  it.each([
    [{ PORT: 'abc' }, 'gatherql: PORT is invalid: expected an integer from 0 to 65535'],
    [{ DATABASE_URL: 'mysql://x' }, 'gatherql: DATABASE_URL is invalid: expected file:PATH, :memory: or postgres://…'],
    [{ RATE_LIMIT_PER_MINUTE: '-1' }, 'gatherql: RATE_LIMIT_PER_MINUTE is invalid: expected an integer from 0 to 1000000'],
    [{ NODE_ENV: 'production' }, 'gatherql: AUTH_SECRET is required when NODE_ENV=production: expected at least 32 characters'],
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

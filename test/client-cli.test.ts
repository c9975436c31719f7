import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { simWeatherAt } from '../simulator/cities.js';
import { type Simulator, startSimulator } from '../simulator/simulator.js';
import { type ServerProcess, startServerProcess } from './helpers/server-process.js';
import { freePort } from './services/free-port.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const run = promisify(execFile);

interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `client/cli.ts` as `npm run client` would, against the given endpoint. */
async function cli(url: string, ...args: string[]): Promise<CliRun> {
  return cliWith({}, url, ...args);
}

async function cliWith(env: Record<string, string>, url: string, ...args: string[]): Promise<CliRun> {
  try {
    const { stdout, stderr } = await run(process.execPath, ['--import', 'tsx', 'client/cli.ts', ...args], {
      cwd: root,
      env: { PATH: process.env.PATH ?? '', GATHERQL_URL: url, ...env },
      timeout: 30_000,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code?: unknown; stdout?: string; stderr?: string };
    if (typeof failed.code !== 'number') throw error;
    return { code: failed.code, stdout: failed.stdout ?? '', stderr: failed.stderr ?? '' };
  }
}

describe('npm run client against a real server', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gatherql-client-'));
  let server: ServerProcess;
  let sim: Simulator;
  let url: string;
  beforeAll(async () => {
    // Lima's geocoding always fails, so that one row shows an upstream error.
    sim = await startSimulator({ faults: [{ endpoint: 'geocoding', city: 'Lima', fault: { kind: 'status', status: 503 } }] });
    // A fresh embedded database is seeded with the demo posts on start.
    server = await startServerProcess({
      DATABASE_URL: `file:${join(dir, 'client.sqlite')}`,
      OPEN_METEO_GEOCODING_URL: sim.geocodingUrl,
      OPEN_METEO_FORECAST_URL: sim.forecastUrl,
    });
    url = `${server.url}/graphql`;
  });
  afterAll(async () => {
    await server?.stop();
    await sim?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('prints the weather of each city as a row, a failing city included, from the simulator', async () => {
    const result = await cli(url, 'weather', 'Berlin', 'paris', 'Atlantis', 'Lima');
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const [header, ...rows] = result.stdout.trimEnd().split('\n');
    expect(header).toMatch(/^CITY +PLACE +WEATHER +CONDITIONS$/);
    const berlin = simWeatherAt(52.52, 13.41);
    expect(rows[0]).toMatch(new RegExp(`^Berlin +Berlin, Germany +${berlin.temperature_2m.toFixed(1)} °C, wind \\d+ km/h +\\S`));
    expect(rows[1]).toMatch(/^paris +Paris, France +-?\d+\.\d °C/);
    expect(rows[2]).toMatch(/^Atlantis +CITY_NOT_FOUND +No place called "Atlantis" is known$/);
    expect(rows[3]).toMatch(/^Lima +UPSTREAM_UNAVAILABLE +/);
    expect(rows).toHaveLength(4);
  });

  it('asks for at least one city', async () => {
    const result = await cli(url, 'weather');
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('name at least one city');
  });

  it('prints the newest posts as a table and how to get the next page', async () => {
    const first = await cli(url, 'posts', '--first', '3');
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    const lines = first.stdout.split('\n');
    expect(lines[0]).toMatch(/^TITLE +AUTHOR +DATE$/);
    expect(lines[1]).toMatch(/^On GraphQL, part 5 +Margaret Hamilton +2026-01-14$/);
    expect(lines[2]).toMatch(/^On SQL, part 5 +Linus Torvalds +2026-01-14$/);
    expect(lines[3]).toMatch(/^On batching, part 5 +Grace Hopper +2026-01-13$/);
    expect(first.stdout).toContain('3 of 24 posts');

    const cursor = /posts --after (\S+)/.exec(first.stdout)?.[1];
    expect(cursor).toBeDefined();
    const next = await cli(url, 'posts', '--first', '1', '--after', cursor!);
    expect(next.code).toBe(0);
    expect(next.stdout.split('\n')[1]).toMatch(/^On caching, part 5 +Ada Lovelace +2026-01-13$/);
  });

  it('prints request errors with their code and exits 1', async () => {
    const result = await cli(url, 'posts', '--after', 'not-a-cursor');
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(/^error BAD_USER_INPUT: .*cursor.* \(at posts\)\n$/);
  });

  it('exits 2 with the usage on an unknown command or a bad argument', async () => {
    const unknown = await cli(url, 'wether');
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('unknown command: wether');
    expect(unknown.stderr).toMatch(/posts \[--first N\] \[--after CURSOR\]/);

    const bad = await cli(url, 'posts', '--first', 'many');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--first must be an integer from 1 to 100, not "many"');
  });

  it('signs in with the password from the environment and prints a token that works', async () => {
    const result = await cliWith({ GATHERQL_PASSWORD: 'gatherql-demo' }, url, 'sign-in', 'ADA');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^signed in as ada \(user\)\nexport GATHERQL_TOKEN=[\w-]+\.[\w-]+\.[\w-]+\n$/);
    const token = /GATHERQL_TOKEN=(\S+)/.exec(result.stdout)![1]!;
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ query: '{ viewer { username } }' }),
    });
    expect(((await response.json()) as any).data.viewer.username).toBe('ada');
  });

  it('refuses a wrong password with exit 1, and a password argument is not a thing', async () => {
    const wrong = await cliWith({ GATHERQL_PASSWORD: 'not the password' }, url, 'sign-in', 'ada');
    expect(wrong).toMatchObject({ code: 1, stdout: '', stderr: 'Unknown username or wrong password\n' });
    const noPassword = await cli(url, 'sign-in', 'ada', 'gatherql-demo');
    expect(noPassword.code).toBe(2);
    expect(noPassword.stderr).toContain('sign-in takes exactly one username');
  });

  it('says which server it cannot reach and exits 1', async () => {
    const nowhere = `http://127.0.0.1:${await freePort()}/graphql`;
    const result = await cli(nowhere, 'posts');
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(new RegExp(`^gatherql client: cannot reach ${nowhere}: .*ECONNREFUSED`));
  });
});

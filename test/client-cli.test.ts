import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { simWeatherAt } from '../simulator/cities.js';
import { type Simulator, startSimulator } from '../simulator/simulator.js';
import { SERVER_START_MS, type ServerProcess, startServerProcess } from './helpers/server-process.js';
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
      // The CLI compiles first, as a server process does.
      timeout: SERVER_START_MS,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code?: unknown; stdout?: string; stderr?: string };
    if (typeof failed.code !== 'number') throw error;
    return { code: failed.code, stdout: failed.stdout ?? '', stderr: failed.stderr ?? '' };
  }
}

/** Runs `client/cli.ts` in the background, for a command that prints as it goes. */
function spawnCli(url: string, ...args: string[]) {
  const child = spawn(process.execPath, ['--import', 'tsx', 'client/cli.ts', ...args], { cwd: root, env: { PATH: process.env.PATH ?? '', GATHERQL_URL: url } });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk) => (stdout += chunk));
  child.stderr.on('data', (chunk) => (stderr += chunk));
  const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
  return { child, stdout: () => stdout, stderr: () => stderr, exited };
}

// Lima's geocoding always fails, so that one row shows an upstream error.
const LIMA_FAILS = [{ endpoint: 'geocoding' as const, city: 'Lima', fault: { kind: 'status' as const, status: 503 } }];

describe('npm run client against a real server that runs trusted documents only', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gatherql-client-'));
  let server: ServerProcess;
  let sim: Simulator;
  let url: string;
  beforeAll(async () => {
    sim = await startSimulator({ faults: LIMA_FAILS });
    // The client's manifest, and one operation of this test's own to check a token with.
    const manifest = JSON.parse(readFileSync(join(root, 'client', 'generated', 'persisted-documents.json'), 'utf8'));
    writeFileSync(join(dir, 'manifest.json'), JSON.stringify({ ...manifest, 'x-viewer': '{ viewer { username } }' }));
    // A fresh embedded database is seeded with the demo posts on start.
    server = await startServerProcess({
      DATABASE_URL: `file:${join(dir, 'client.sqlite')}`,
      OPEN_METEO_GEOCODING_URL: sim.geocodingUrl,
      OPEN_METEO_FORECAST_URL: sim.forecastUrl,
      OPEN_METEO_AIR_QUALITY_URL: sim.airQualityUrl,
      REST_COUNTRIES_URL: sim.countriesUrl,
      PERSISTED_DOCUMENTS: 'only',
      PERSISTED_DOCUMENTS_PATH: join(dir, 'manifest.json'),
      // Short, so that a watched city's change arrives within a few seconds.
      WEATHER_CACHE_TTL_S: '2',
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
      body: JSON.stringify({ documentId: 'x-viewer' }),
    });
    expect(((await response.json()) as any).data.viewer.username).toBe('ada');
  });

  it('is the only one that gets answers here: the same query as text is refused, and says why', async () => {
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ viewer { username } }' }),
    });
    expect(response.status).toBe(400);
    expect(((await response.json()) as any).errors[0].extensions.code).toBe('PERSISTED_QUERY_ONLY');
  });

  it('prints where each place is at once, then each weather line as its part of the answer arrives', async () => {
    // Neither city was asked for before, and their forecasts go out in one call, which is held.
    sim.setFaults([...LIMA_FAILS, { endpoint: 'forecast', city: 'Tokyo', fault: { kind: 'hold' } }]);
    const { child, stdout, stderr, exited } = spawnCli(url, 'cities', 'Tokyo', 'Madrid', 'Atlantis');
    try {
      await expect.poll(stdout, { timeout: 20_000 }).toMatch(/Atlantis +CITY_NOT_FOUND: No place called "Atlantis" is known\n/);
      await expect.poll(() => sim.held(), { timeout: 20_000 }).toBe(1);
      expect(stdout()).toMatch(/^NAME +PLACE\nTokyo +Tokyo, Japan\nMadrid +Madrid, Spain\nAtlantis +CITY_NOT_FOUND: .*\n$/);
      sim.release();
      expect(await exited).toBe(0);
    } finally {
      child.kill();
      sim.setFaults(LIMA_FAILS);
    }
    expect(stderr()).toBe('');
    const weather = stdout().split('\n').slice(4).filter(Boolean);
    expect(weather.sort()).toEqual([expect.stringMatching(/^Madrid: -?\d+\.\d °C, \S/), expect.stringMatching(/^Tokyo: -?\d+\.\d °C, \S/)]);
  });

  it("watches a city's weather: its value at once, a line when it changes, until Ctrl-C (exit 0)", async () => {
    sim.setWeather('Helsinki', { temperature_2m: -3, time: '2026-01-10T09:00' });
    const { child, stdout, stderr, exited } = spawnCli(url, 'watch', 'Helsinki');
    try {
      await expect.poll(stdout, { timeout: 20_000 }).toMatch(/^\d\d:\d\d:\d\d Helsinki: -3\.0 °C, wind \d+ km\/h, .+ \(observed 09:00 UTC\)\n$/);
      sim.setWeather('Helsinki', { temperature_2m: -1.5, time: '2026-01-10T09:15' });
      await expect.poll(() => stdout().split('\n').filter(Boolean).length, { timeout: 30_000 }).toBe(2);
      expect(stdout().split('\n')[1]).toMatch(/^\d\d:\d\d:\d\d Helsinki: -1\.5 °C, .+ \(observed 09:15 UTC\)$/);
      child.kill('SIGINT');
      expect(await exited).toBe(0);
    } finally {
      child.kill();
      sim.clearWeather();
    }
    expect(stderr()).toBe('');
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

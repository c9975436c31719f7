import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Simulator, startSimulator } from '../simulator/simulator.js';
import { TEST_AUTH_SECRET } from './helpers/auth.js';
import { startServerProcess, type ServerProcess } from './helpers/server-process.js';
import { findPostgresBin, startPostgres, type ThrowawayPostgres } from './services/postgres.js';

// PostgreSQL stops under a running gateway process and comes back: the gateway stays up,
// says so on /ready, answers SQL-backed fields with a masked error, keeps serving what needs
// no database, and recovers by itself. The server is this file's own, so that it can be
// stopped without taking the run's shared one along.

const bin = findPostgresBin();
if (!bin && process.env.CI) throw new Error('CI=true but no PostgreSQL server binaries under /usr/lib/postgresql: install the postgresql package');
if (!bin) console.warn('\n[gatherql] PostgreSQL server binaries not found: the database outage suite is SKIPPED (apt-get install postgresql)\n');

interface Answer {
  status: number;
  text: string;
  body: { data?: any; errors?: { message: string; extensions?: { code?: string } }[] };
  requestId: string | null;
}

describe.skipIf(!bin)('PostgreSQL stopped under a gateway process', () => {
  let postgres: ThrowawayPostgres;
  let sim: Simulator;
  let server: ServerProcess;
  beforeAll(async () => {
    postgres = await startPostgres(bin!);
    sim = await startSimulator();
    server = await startServerProcess({
      DATABASE_URL: postgres.url,
      AUTH_SECRET: TEST_AUTH_SECRET,
      RATE_LIMIT_PER_MINUTE: '0',
      OPEN_METEO_GEOCODING_URL: sim.geocodingUrl,
      OPEN_METEO_FORECAST_URL: sim.forecastUrl,
      UPSTREAM_TIMEOUT_MS: '10000',
      REQUEST_DEADLINE_MS: '30000',
    });
  });
  afterAll(async () => {
    await server?.stop('SIGTERM');
    await sim?.close();
    postgres?.stop();
  });

  const graphql = async (query: string, variables: Record<string, unknown> = {}, token?: string): Promise<Answer> => {
    const response = await fetch(`${server.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(token && { authorization: `Bearer ${token}` }) },
      body: JSON.stringify({ query, variables }),
    });
    const text = await response.text();
    return { status: response.status, text, body: JSON.parse(text), requestId: response.headers.get('x-request-id') };
  };
  const ready = async () => {
    const response = await fetch(`${server.url}/ready`);
    return { status: response.status, body: (await response.json()) as { checks: Record<string, string> } };
  };

  const SIGN_UP = `mutation { signUp(input: { username: "outage", email: "outage@example.com", password: "long enough password" }) {
    ... on AuthPayload { token } } }`;
  const POSTS = '{ posts(first: 5) { totalCount edges { node { title author { username } } } } }';
  const VIEWER = '{ viewer { username } }';
  const CREATE = 'mutation($title: String!) { createPost(input: { title: $title, content: "words", published: true }) { __typename } }';
  const WEATHER = '{ weather(cities: ["Berlin"]) { __typename ... on CityWeather { city } } }';

  /** What a client must never see of an outage: where the database is, what the driver said, a stack. */
  const expectMasked = (answer: Answer) => {
    expect(answer.body.errors).toEqual([expect.objectContaining({ message: 'Unexpected error.', extensions: { code: 'INTERNAL_SERVER_ERROR' } })]);
    const port = new URL(postgres.url).port;
    for (const secret of ['postgres://', `:${port}`, 'ECONNREFUSED', 'terminating connection', 'stack', '    at ']) expect(answer.text).not.toContain(secret);
  };

  it('turns /ready 503 and masks SQL errors while the database is down, serves the rest, and recovers with no restart', async () => {
    const pid = server.child.pid;
    const token = (await graphql(SIGN_UP)).body.data.signUp.token as string;
    expect((await graphql(CREATE, { title: 'before' }, token)).body.data.createPost.__typename).toBe('PostPayload');
    expect(await ready()).toEqual({ status: 200, body: { status: 'ready', checks: { database: 'ok' } } });

    postgres.pause();
    expect(await ready()).toEqual({ status: 503, body: { status: 'unavailable', checks: { database: 'unreachable' } } });
    // A field that needs SQL fails alone (HTTP 200, `data` null at its path)...
    const failed = await graphql(POSTS);
    expect(failed.status).toBe(200);
    expect(failed.body.data).toBeNull();
    expectMasked(failed);
    // ...but a signed-in request needs the database before any field runs (the viewer's role
    // is read on every request), so it fails as a whole: HTTP 500, nothing executed.
    for (const answer of [await graphql(VIEWER, {}, token), await graphql(CREATE, { title: 'during' }, token)]) {
      expect(answer.status).toBe(500);
      expectMasked(answer);
    }
    // The operator sees the cause, under the id the client was given.
    const logged = server
      .stdout()
      .split('\n')
      .filter((line) => line.includes(`"requestId":"${failed.requestId}"`) && line.includes('unexpected error'));
    expect(logged).toHaveLength(1);
    expect((await fetch(`${server.url}/health`)).status).toBe(200);
    expect((await graphql(WEATHER)).body.data).toEqual({ weather: [{ __typename: 'CityWeather', city: 'Berlin' }] });

    postgres.resume();
    await expect.poll(async () => (await ready()).status, { timeout: 10_000, interval: 100 }).toBe(200);
    expect((await graphql(CREATE, { title: 'after' }, token)).body.data.createPost.__typename).toBe('PostPayload');
    expect((await graphql(VIEWER, {}, token)).body).toEqual({ data: { viewer: { username: 'outage' } } });
    const posts = (await graphql(POSTS)).body.data.posts;
    expect(posts.edges.map((edge: any) => edge.node.title)).toEqual(['after', 'before']);
    expect(server.child.exitCode).toBeNull();
    expect(server.child.pid).toBe(pid);
  });
});

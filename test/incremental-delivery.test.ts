import { afterEach, describe, expect, it } from 'vitest';
import { counterValue } from '../metrics.js';
import { startSimulator } from '../simulator/simulator.js';
import { startGateway, type TestGateway } from './helpers/gateway.js';
import { captureLogs } from './helpers/log-capture.js';
import { eventsOf, mergeAll, MergedAnswer, partsOf } from './helpers/parts.js';
import { simulatorEnv, startWeatherHarness, TEST_POLICY, type WeatherHarness } from './helpers/weather.js';

// Lima's forecast is held in these tests. Forecasts go out in batches (20 places a call), so
// the cities asked together wait for it together; air quality is a call of its own, and
// comes as soon as it is done.
const NAMES = ['Berlin', 'Lima', 'Atlantis'];
const PLACE = 'name location { name country latitude longitude }';
const WEATHER = 'weather { __typename ... on CityWeather { temperatureC windSpeedKmh conditions stale } ... on WeatherError { code } }';
const AIR = 'airQuality { __typename ... on AirQuality { usAqi category } ... on UpstreamError { code } }';
const DEFERRED = `query Cities($names: [String!]!) {
  cities(names: $names) {
    __typename
    ... on City { ${PLACE} ... @defer(label: "weather") { ${WEATHER} } ... @defer(label: "air") { ${AIR} } }
    ... on CityError { name code }
  }
}`;
const WHOLE = `query Cities($names: [String!]!) {
  cities(names: $names) { __typename ... on City { ${PLACE} ${WEATHER} ${AIR} } ... on CityError { name code } }
}`;

let harness: WeatherHarness | undefined;
let gateway: TestGateway | undefined;
afterEach(async () => {
  await harness?.close();
  await gateway?.close();
  harness = gateway = undefined;
});

const post = (g: TestGateway, query: string, accept: string, variables: Record<string, unknown> = { names: NAMES }) =>
  g.yoga.fetch('http://gatherql.test/graphql', {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept },
    body: JSON.stringify({ query, variables }),
  });

/** The same query without @defer, on a gateway and simulator of its own: the answer the parts must add up to. */
async function wholeAnswer(query = WHOLE, variables: Record<string, unknown> = { names: NAMES }) {
  const sim = await startSimulator();
  const g = await startGateway(simulatorEnv(sim), { sources: { policy: TEST_POLICY } });
  try {
    const { body } = await g.query(query, variables);
    expect(body.errors).toBeUndefined();
    return body;
  } finally {
    await g.close();
    await sim.close();
  }
}

type City = Record<string, unknown>;
const cities = (merged: MergedAnswer) => (merged.result.data?.cities ?? []) as City[];

async function withLimaHeld(env: Record<string, string> = {}, logger?: ReturnType<typeof captureLogs>['logger']) {
  harness = await startWeatherHarness(env, {}, logger ? { logger } : {});
  harness.sim.setFaults([{ endpoint: 'forecast', city: 'Lima', fault: { kind: 'hold' } }]);
  return harness;
}

describe('@defer on cities', () => {
  it('sends the places as soon as geocoding is done, each deferred part as it completes, and adds up to the whole answer', async () => {
    const { gateway: g, sim } = await withLimaHeld();
    const response = await post(g, DEFERRED, 'multipart/mixed');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^multipart\/mixed/);
    expect(response.headers.get('server-timing')).toMatch(/total;dur=[\d.]+;desc="until the first part"$/);
    const parts = await partsOf(response);
    const merged = new MergedAnswer();

    // The first part needs no forecast: it arrives while Lima's forecast call is held.
    const [first] = await Promise.all([parts.next(), expect.poll(() => sim.held(), { timeout: 20_000 }).toBe(1)]);
    merged.add(first.value!);
    expect(merged.hasNext).toBe(true);
    expect(cities(merged).map((city) => city.name)).toEqual(['Berlin', 'Lima', 'Atlantis']);
    expect(cities(merged)[0]).toEqual({
      __typename: 'City',
      name: 'Berlin',
      location: { name: 'Berlin', country: 'Germany', latitude: expect.any(Number), longitude: expect.any(Number) },
    });
    expect(cities(merged)[2]).toEqual({ __typename: 'CityError', name: 'Atlantis', code: 'CITY_NOT_FOUND' });

    // Air quality is not held: its parts come while the forecast still is.
    while (
      !cities(merged)
        .slice(0, 2)
        .every((city) => 'airQuality' in city)
    )
      merged.add((await parts.next()).value!);
    expect(sim.held()).toBe(1);
    expect(cities(merged).some((city) => 'weather' in city)).toBe(false);

    sim.release();
    await mergeAll(parts, merged);
    expect(merged.hasNext).toBe(false);
    expect(merged.result).toEqual(await wholeAnswer());
  });

  it('streams over server-sent events when the client asks for them, to the same answer', async () => {
    const { gateway: g, sim } = await withLimaHeld();
    const response = await post(g, DEFERRED, 'text/event-stream');
    expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const events = eventsOf(response);
    const [first] = await Promise.all([events.next(), expect.poll(() => sim.held(), { timeout: 20_000 }).toBe(1)]);
    const merged = new MergedAnswer().add(first.value!);
    expect(cities(merged).map((city) => city.name)).toEqual(NAMES);
    sim.release();
    expect((await mergeAll(events, merged)).result).toEqual(await wholeAnswer());
  });

  it('answers a client that reads only JSON in one piece, once every part is done', async () => {
    harness = await startWeatherHarness();
    const response = await post(harness.gateway, DEFERRED, 'application/graphql-response+json');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^application\/graphql-response\+json/);
    expect(await response.json()).toEqual(await wholeAnswer());
  });

  it('streams the items of a list with @stream', async () => {
    harness = await startWeatherHarness();
    const streamed = `query ($names: [String!]!) { cities(names: $names) @stream(initialCount: 1) { __typename ... on City { name } ... on CityError { name code } } }`;
    const payloads = [];
    for await (const payload of await partsOf(await post(harness.gateway, streamed, 'multipart/mixed'))) payloads.push(payload);
    expect(payloads[0]!.data).toEqual({ cities: [{ __typename: 'City', name: 'Berlin' }] });
    expect(payloads.length).toBeGreaterThan(1);
    const merged = payloads.reduce((answer, payload) => answer.add(payload), new MergedAnswer());
    expect(merged.result).toEqual(await wholeAnswer(streamed.replace('@stream(initialCount: 1)', '')));
  });

  it('logs one line per answer in parts, after the last part, with the time to the first', async () => {
    const logs = captureLogs('info');
    const { gateway: g, sim } = await withLimaHeld({}, logs.logger);
    const parts = await partsOf(await post(g, DEFERRED, 'multipart/mixed'));
    await Promise.all([parts.next(), expect.poll(() => sim.held(), { timeout: 20_000 }).toBe(1)]);
    const requestLines = () => logs.lines().filter((line) => line.msg === 'request');
    // Not while parts are still to come: the line tells of the whole answer.
    expect(requestLines()).toEqual([]);
    sim.release();
    await mergeAll(parts);
    await expect.poll(requestLines).toHaveLength(1);
    const [line] = requestLines();
    expect(line).toMatchObject({ operationName: 'Cities', status: 200, errors: 0, parts: expect.any(Number) });
    expect(line!.parts).toBeGreaterThanOrEqual(3);
    expect(line!.durationMs).toBeGreaterThanOrEqual(line!.firstPartMs);
  });

  it('keeps the answer the parts add up to in the response cache, and serves it whole', async () => {
    // A clock that stands still: the kept answer cannot expire between the requests, however slow the machine.
    const now = Date.UTC(2026, 10, 25, 9);
    harness = await startWeatherHarness({}, { now: () => now });
    const g = harness.gateway;
    const read = async () => (await mergeAll(await partsOf(await post(g, DEFERRED, 'multipart/mixed')))).result;
    const hits = () => counterValue(g.metrics.cacheEvents, { cache: 'responses', event: 'hit' });
    // The first answer reads values fetched just now (LIVE): not kept. The second reads them from the caches.
    await read();
    const kept = await read();
    const forecasts = harness.sim.calls().forecast;
    expect(await read()).toEqual(kept);
    expect(await hits()).toBe(1);
    expect(harness.sim.calls().forecast).toBe(forecasts);
  });

  it('does not share an answer in parts with an identical request in flight: each gets every part', async () => {
    const { gateway: g, sim } = await withLimaHeld();
    const read = async () => (await mergeAll(await partsOf(await post(g, DEFERRED, 'multipart/mixed')))).result;
    const both = Promise.all([read(), read()]);
    await expect.poll(() => sim.held(), { timeout: 20_000 }).toBe(1);
    sim.release();
    const [one, two] = await both;
    expect(one).toEqual(two);
    expect(cities(new MergedAnswer().add({ data: one.data }))[1]).toHaveProperty('weather');
  });
});

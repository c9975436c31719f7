import { once, setMaxListeners } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { airQualityUpstream } from './air-quality.js';
import { emptyCalls, noteTraceContext, type SimulatorCalls } from './calls.js';
import { countriesUpstream } from './countries-api.js';
import { ENDPOINTS, type Endpoint, FaultBook, type FaultRule, faultRule, faultRules } from './faults.js';
import { forecastUpstream } from './forecast.js';
import { geocodingUpstream } from './geocoding.js';
import { drip, JSON_TYPE, readJson, sendJson } from './http.js';
import type { Answer, Upstream } from './upstream.js';
import { WeatherBook, type WeatherOverride, weatherRule } from './weather-overrides.js';

// Part of the simulator's API (benchmarks read the counts over HTTP), defined beside the counting.
export type { SimulatorCalls, TraceContextSeen } from './calls.js';

const UPSTREAMS: Record<Endpoint, Upstream> = {
  geocoding: geocodingUpstream,
  forecast: forecastUpstream,
  'air-quality': airQualityUpstream,
  countries: countriesUpstream,
};

/** How to start a simulator; every field is optional. */
export interface SimulatorOptions {
  /** Always a loopback address unless you mean otherwise. Default 127.0.0.1. */
  host?: string;
  /** 0 (default) picks a free port; so do the other ports. */
  geocodingPort?: number;
  forecastPort?: number;
  airQualityPort?: number;
  countriesPort?: number;
  faults?: FaultRule[];
  /** For fault probabilities; tests may pass a seeded one. */
  random?: () => number;
  /**
   * Also find synthetic places named `Sim <number>` (see syntheticCity), so that a benchmark
   * can ask for cities no cache has seen. Off by default: other names stay not found.
   */
  syntheticNames?: boolean;
}

/** A running simulator: the base URL of each upstream it stands in for, and its controls. */
export interface Simulator {
  geocodingUrl: string;
  forecastUrl: string;
  airQualityUrl: string;
  countriesUrl: string;
  calls(): SimulatorCalls;
  /** Replaces the active fault rules. */
  setFaults(rules: FaultRule[]): void;
  addFault(rule: FaultRule): void;
  resetFaults(): void;
  resetCalls(): void;
  /** Calls waiting on a `hold` fault right now. */
  held(): number;
  /** Answers every held call, and lets later `hold` faults through at once until the faults are set again. */
  release(): void;
  /** Sets a known city's current weather from now on (see WeatherOverride); throws for an unknown city. */
  setWeather(city: string, current: WeatherOverride): void;
  /** Every city back to the simulator's own weather. */
  clearWeather(): void;
  close(): Promise<void>;
}

/**
 * A local stand-in for the gateway's upstreams (Open-Meteo geocoding, forecast and air
 * quality, REST Countries v5, and its retired versions' notice): real HTTP on one loopback port each (the real APIs are four
 * hosts, so per-host policies behave as in production), the documented response shapes for
 * tables of real cities and countries, faults on demand, and call counts. Another process
 * drives it over HTTP on any of its ports: GET /__sim/calls, POST /__sim/faults (a JSON array
 * of rules), DELETE /__sim/faults, POST /__sim/weather (one city's current weather),
 * DELETE /__sim/weather, POST /__sim/reset.
 */
export async function startSimulator(options: SimulatorOptions = {}): Promise<Simulator> {
  const host = options.host ?? '127.0.0.1';
  const book = new FaultBook(options.random);
  const weather = new WeatherBook();
  book.set(options.faults ?? []);
  const stopping = new AbortController();
  // Every delayed or dripping answer listens for the close; hundreds at once are expected.
  setMaxListeners(0, stopping.signal);
  let calls = emptyCalls();
  let held = 0;
  let gate = openableGate();

  const answer = async (req: IncomingMessage, res: ServerResponse, upstream: Upstream, reply: Answer) => {
    const chosen = book.choose(reply.facts);
    res.on('close', () => {
      if (!res.writableFinished) calls.abandoned += 1;
    });
    if (chosen.hold) {
      held += 1;
      await Promise.race([gate.opened, once(stopping.signal, 'abort')]).finally(() => (held -= 1));
      if (res.destroyed || stopping.signal.aborted) return;
    }
    if (chosen.delayMs > 0) {
      try {
        await sleep(chosen.delayMs, undefined, { signal: stopping.signal });
      } catch {
        return;
      }
      if (res.destroyed) return;
    }
    const { status, body, headers = {} } = reply;
    const fault = chosen.fault;
    switch (fault?.kind) {
      case undefined:
        return sendJson(res, status, body, headers);
      case 'status':
        return sendJson(res, fault.status, upstream.errorBody(fault.status, fault.reason ?? `Simulated HTTP ${fault.status}`), {
          ...(fault.retryAfterS === undefined ? {} : { 'retry-after': String(fault.retryAfterS) }),
        });
      case 'hang':
        return; // the socket stays open until the client gives up or the simulator closes
      case 'reset':
        return req.socket.resetAndDestroy();
      case 'malformed-json': {
        const text = JSON.stringify(body);
        res.writeHead(status, { ...JSON_TYPE, ...headers });
        return res.end(text.slice(0, Math.max(1, Math.floor(text.length / 2))));
      }
      case 'wrong-types':
        return sendJson(res, status, reply.corrupt(chosen), headers);
      case 'oversized':
        res.writeHead(status, { ...JSON_TYPE, ...headers });
        return res.end(JSON.stringify(body) + ' '.repeat(fault.bytes));
      case 'slow-drip':
        return drip(res, status, headers, JSON.stringify(body), fault.chunkIntervalMs, fault.chunkBytes ?? 8, stopping.signal);
    }
  };

  const control = async (url: URL, req: IncomingMessage, res: ServerResponse) => {
    const route = `${req.method} ${url.pathname}`;
    if (route === 'GET /__sim/calls') return sendJson(res, 200, calls);
    if (route === 'POST /__sim/reset') {
      book.clear();
      weather.clear();
      calls = emptyCalls();
      return sendJson(res, 200, { reset: true });
    }
    if (route === 'DELETE /__sim/faults') {
      book.clear();
      return sendJson(res, 200, { rules: 0 });
    }
    if (route === 'POST /__sim/faults') {
      const body = await readJson(req);
      // One rule or a list of rules; checked as whichever it is, so that the reason names the field.
      const parsed = (Array.isArray(body) ? faultRules : faultRule.transform((rule) => [rule])).safeParse(body);
      if (!parsed.success) {
        const reason = parsed.error.issues.map((issue) => `${issue.path.join('.') || 'body'}: ${issue.message}`).join('; ');
        return sendJson(res, 400, { error: true, reason });
      }
      book.set(parsed.data);
      return sendJson(res, 200, { rules: parsed.data.length });
    }
    if (route === 'POST /__sim/weather') {
      const parsed = weatherRule.safeParse(await readJson(req));
      if (!parsed.success) {
        const reason = parsed.error.issues.map((issue) => `${issue.path.join('.') || 'body'}: ${issue.message}`).join('; ');
        return sendJson(res, 400, { error: true, reason });
      }
      try {
        weather.set(parsed.data.city, parsed.data.current);
      } catch (error) {
        return sendJson(res, 400, { error: true, reason: (error as Error).message });
      }
      return sendJson(res, 200, { city: parsed.data.city });
    }
    if (route === 'DELETE /__sim/weather') {
      weather.clear();
      return sendJson(res, 200, { cities: 0 });
    }
    return sendJson(res, 404, { error: true, reason: `No simulator control route ${route}` });
  };

  const serve = (endpoint: Endpoint, upstream: Upstream) => (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://simulator');
    const work = async () => {
      if (url.pathname.startsWith('/__sim/')) return control(url, req, res);
      noteTraceContext(calls, endpoint, req.headers);
      if (req.method !== 'GET') return sendJson(res, 405, upstream.errorBody(405, 'Only GET is supported'));
      if (!(upstream.routes?.(url.pathname) ?? url.pathname === upstream.path))
        return sendJson(res, 404, upstream.errorBody(404, `Not found: ${url.pathname}`));
      const reply = upstream.handle(url, { calls, syntheticNames: options.syntheticNames ?? false, headers: req.headers, weather });
      if (reply.facts === undefined) return sendJson(res, reply.status, reply.body, reply.headers);
      return answer(req, res, upstream, reply);
    };
    work().catch(() => res.destroy());
  };

  const ports: Record<Endpoint, number | undefined> = {
    geocoding: options.geocodingPort,
    forecast: options.forecastPort,
    'air-quality': options.airQualityPort,
    countries: options.countriesPort,
  };
  const servers: Server[] = [];
  const urls = {} as Record<Endpoint, string>;
  for (const endpoint of ENDPOINTS) {
    const server = createServer(serve(endpoint, UPSTREAMS[endpoint]));
    servers.push(server);
    server.listen(ports[endpoint] ?? 0, host);
    await once(server, 'listening');
    urls[endpoint] = `http://${host}:${(server.address() as AddressInfo).port}`;
  }

  return {
    geocodingUrl: urls.geocoding,
    forecastUrl: urls.forecast,
    airQualityUrl: urls['air-quality'],
    countriesUrl: urls.countries,
    calls: () => structuredClone(calls),
    setFaults: (rules) => {
      book.set(faultRules.parse(rules));
      // Calls held by the old rules go on; new ones wait for the next release.
      gate.open();
      gate = openableGate();
    },
    addFault: (rule) => book.add(faultRule.parse(rule)),
    resetFaults: () => book.clear(),
    held: () => held,
    release: () => gate.open(),
    setWeather: (city, current) => weather.set(city, current),
    clearWeather: () => weather.clear(),
    resetCalls: () => {
      calls = emptyCalls();
    },
    async close() {
      stopping.abort();
      await Promise.all(
        servers.map((server) => {
          const closed = new Promise<void>((resolve) => server.close(() => resolve()));
          server.closeAllConnections();
          return closed;
        }),
      );
    },
  };
}

function openableGate(): { opened: Promise<void>; open(): void } {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { opened, open };
}

import { once, setMaxListeners } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { findCityByName, findCityNear, simNameKey, syntheticCity } from './cities.js';
import { type ChosenFaults, type Endpoint, FaultBook, type FaultRule, faultRule, faultRules } from './faults.js';
import { CURRENT_UNITS, forecastEntry, geocodingEntry, parseCoordinates } from './responses.js';

export interface SimulatorOptions {
  /** Always a loopback address unless you mean otherwise. Default 127.0.0.1. */
  host?: string;
  /** 0 (default) picks a free port. */
  geocodingPort?: number;
  forecastPort?: number;
  faults?: FaultRule[];
  /** For fault probabilities; tests may pass a seeded one. */
  random?: () => number;
  /**
   * Also find synthetic places named `Sim <number>` (see syntheticCity), so that a benchmark
   * can ask for cities no cache has seen. Off by default: other names stay not found.
   */
  syntheticNames?: boolean;
}

/** What the simulator was asked, since it started or was last reset. */
export interface SimulatorCalls {
  geocoding: number;
  forecast: number;
  /** Geocoding calls by the `name` parameter exactly as sent. */
  geocodingByName: Record<string, number>;
  /** Forecast calls that included a city, by its name in the table ("lat,lon" for other places). */
  forecastByCity: Record<string, number>;
  /** Locations per forecast call, in arrival order. */
  forecastBatchSizes: number[];
  /** Calls whose client went away before the answer was complete (a hang cut by a timeout). */
  abandoned: number;
}

export interface OpenMeteoSimulator {
  geocodingUrl: string;
  forecastUrl: string;
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
  close(): Promise<void>;
}

const JSON_TYPE = { 'content-type': 'application/json; charset=utf-8' };

/**
 * A local stand-in for Open-Meteo's geocoding and forecast APIs: real HTTP on two loopback
 * ports (the real APIs are two hosts, so per-host policies behave as in production), the
 * documented response shapes for a table of real cities, faults on demand, and call counts.
 * Another process drives it over HTTP: GET /__sim/calls, POST /__sim/faults (a JSON array of
 * rules), DELETE /__sim/faults, POST /__sim/reset.
 */
export async function startOpenMeteoSimulator(options: SimulatorOptions = {}): Promise<OpenMeteoSimulator> {
  const host = options.host ?? '127.0.0.1';
  const book = new FaultBook(options.random);
  book.set(options.faults ?? []);
  const stopping = new AbortController();
  // Every delayed or dripping answer listens for the close; hundreds at once are expected.
  setMaxListeners(0, stopping.signal);
  let calls = emptyCalls();
  let held = 0;
  let gate = openableGate();

  const answer = async (req: IncomingMessage, res: ServerResponse, chosen: ChosenFaults, body: unknown, corrupt: (city?: string) => unknown) => {
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
    const fault = chosen.fault;
    switch (fault?.kind) {
      case undefined:
        return sendJson(res, 200, body);
      case 'status':
        res.writeHead(fault.status, { ...JSON_TYPE, ...(fault.retryAfterS === undefined ? {} : { 'retry-after': String(fault.retryAfterS) }) });
        return res.end(JSON.stringify({ error: true, reason: `Simulated HTTP ${fault.status}` }));
      case 'hang':
        return; // the socket stays open until the client gives up or the simulator closes
      case 'reset':
        return req.socket.resetAndDestroy();
      case 'malformed-json': {
        const text = JSON.stringify(body);
        res.writeHead(200, JSON_TYPE);
        return res.end(text.slice(0, Math.max(1, Math.floor(text.length / 2))));
      }
      case 'wrong-types':
        return sendJson(res, 200, corrupt(chosen.city));
      case 'oversized':
        res.writeHead(200, JSON_TYPE);
        return res.end(JSON.stringify(body) + ' '.repeat(fault.bytes));
      case 'slow-drip':
        return drip(res, JSON.stringify(body), fault.chunkIntervalMs, fault.chunkBytes ?? 8, stopping.signal);
    }
  };

  const geocoding = (url: URL, req: IncomingMessage, res: ServerResponse) => {
    const name = url.searchParams.get('name');
    calls.geocoding += 1;
    if (name !== null) calls.geocodingByName[name] = (calls.geocodingByName[name] ?? 0) + 1;
    if (!name) return sendJson(res, 400, { error: true, reason: "Parameter 'name' is required" });
    const city = findCityByName(name) ?? (options.syntheticNames ? syntheticCity(name) : undefined);
    const chosen = book.choose({ endpoint: 'geocoding', cities: [simNameKey(name), ...(city ? [simNameKey(city.name)] : [])] });
    const generation = { generationtime_ms: 0.4 };
    // No `results` key at all is how Open-Meteo says "nothing found".
    const body = city ? { results: [geocodingEntry(city)], ...generation } : generation;
    return answer(req, res, chosen, body, () =>
      city ? { results: [{ ...geocodingEntry(city), name: 42, latitude: String(city.latitude) }], ...generation } : { results: 'none', ...generation },
    );
  };

  const forecast = (url: URL, req: IncomingMessage, res: ServerResponse) => {
    calls.forecast += 1;
    const parsed = parseCoordinates(url);
    if (typeof parsed === 'string') return sendJson(res, 400, { error: true, reason: parsed });
    calls.forecastBatchSizes.push(parsed.length);
    const cities = parsed.map(([latitude, longitude]) => findCityNear(latitude, longitude));
    parsed.forEach(([latitude, longitude], index) => {
      const key = cities[index]?.name ?? `${latitude},${longitude}`;
      calls.forecastByCity[key] = (calls.forecastByCity[key] ?? 0) + 1;
    });
    const chosen = book.choose({ endpoint: 'forecast', cities: cities.flatMap((city) => (city ? [simNameKey(city.name)] : [])) });
    const fields = (url.searchParams.get('current') ?? '').split(',').filter((field) => field in CURRENT_UNITS);
    const entries = parsed.map(([latitude, longitude], index) => forecastEntry(latitude, longitude, fields, parsed.length > 1 ? index : undefined));
    // One location answers an object, several an array in request order.
    const shape = (list: unknown[]) => (list.length === 1 ? list[0] : list);
    return answer(req, res, chosen, shape(entries), (city) =>
      shape(
        entries.map((entry, index) =>
          city === undefined || (cities[index] && simNameKey(cities[index].name) === city)
            ? { ...entry, current: { ...entry.current, temperature_2m: 'warm', weather_code: '3' } }
            : entry,
        ),
      ),
    );
  };

  const control = async (url: URL, req: IncomingMessage, res: ServerResponse) => {
    const route = `${req.method} ${url.pathname}`;
    if (route === 'GET /__sim/calls') return sendJson(res, 200, calls);
    if (route === 'POST /__sim/reset') {
      book.clear();
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
    return sendJson(res, 404, { error: true, reason: `No simulator control route ${route}` });
  };

  const serve = (endpoint: Endpoint) => (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://simulator');
    const work = url.pathname.startsWith('/__sim/')
      ? control(url, req, res)
      : req.method !== 'GET'
        ? sendJson(res, 405, { error: true, reason: 'Only GET is supported' })
        : endpoint === 'geocoding' && url.pathname === '/v1/search'
          ? geocoding(url, req, res)
          : endpoint === 'forecast' && url.pathname === '/v1/forecast'
            ? forecast(url, req, res)
            : sendJson(res, 404, { error: true, reason: `Not found: ${url.pathname}` });
    void Promise.resolve(work).catch(() => res.destroy());
  };

  const servers = [createServer(serve('geocoding')), createServer(serve('forecast'))] as const;
  const listen = async (server: Server, port: number) => {
    server.listen(port, host);
    await once(server, 'listening');
    return `http://${host}:${(server.address() as AddressInfo).port}`;
  };
  const geocodingUrl = await listen(servers[0], options.geocodingPort ?? 0);
  const forecastUrl = await listen(servers[1], options.forecastPort ?? 0);

  return {
    geocodingUrl,
    forecastUrl,
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

function emptyCalls(): SimulatorCalls {
  return { geocoding: 0, forecast: 0, geocodingByName: {}, forecastByCity: {}, forecastBatchSizes: [], abandoned: 0 };
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, JSON_TYPE);
  res.end(JSON.stringify(body));
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  let text = '';
  for await (const chunk of req) {
    text += chunk;
    if (text.length > 65_536) return undefined;
  }
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

async function drip(res: ServerResponse, text: string, intervalMs: number, chunkBytes: number, signal: AbortSignal): Promise<void> {
  res.writeHead(200, JSON_TYPE);
  for (let at = 0; at < text.length; at += chunkBytes) {
    if (res.destroyed) return;
    res.write(text.slice(at, at + chunkBytes));
    try {
      await sleep(intervalMs, undefined, { signal });
    } catch {
      return;
    }
  }
  res.end();
}

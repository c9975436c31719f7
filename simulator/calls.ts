/** What the simulator was asked, since it started or was last reset. */
export interface SimulatorCalls {
  geocoding: number;
  forecast: number;
  airQuality: number;
  countries: number;
  /** Geocoding calls by the `name` parameter exactly as sent. */
  geocodingByName: Record<string, number>;
  /** Forecast calls that included a city, by its name in the table ("lat,lon" for other places). */
  forecastByCity: Record<string, number>;
  /** Air quality calls that included a city, keyed as forecastByCity. */
  airQualityByCity: Record<string, number>;
  /** Countries calls by path (`/countries/v5`, `/countries/v5/codes.alpha_2/DE`, `/v3.1/alpha`…), refused ones too. */
  countriesByPath: Record<string, number>;
  /** The `offset` of each countries list call that passed the key and parameter checks, in arrival order. */
  countriesOffsets: number[];
  /** Countries calls refused for their key (none, or one the simulator does not take): HTTP 401. */
  countriesUnauthorized: number;
  /** Locations per forecast call that passed the parameter checks, in arrival order. */
  forecastBatchSizes: number[];
  /** Locations per air quality call that passed the parameter checks, in arrival order. */
  airQualityBatchSizes: number[];
  /** Calls whose client went away before the answer was complete (a hang cut by a timeout). */
  abandoned: number;
  /** The W3C trace context of the latest calls that sent one (at most TRACE_CONTEXTS_KEPT), in arrival order. */
  traceContexts: TraceContextSeen[];
}

/** What one call said of the trace it belongs to. */
export interface TraceContextSeen {
  /** The API it was sent to: geocoding, forecast, air-quality or countries. */
  upstream: string;
  traceparent: string;
  tracestate: string | null;
}

/** Enough for any test to find its calls; a benchmark's millions of calls must not grow the list. */
export const TRACE_CONTEXTS_KEPT = 200;

/** No calls yet. */
export function emptyCalls(): SimulatorCalls {
  return {
    geocoding: 0,
    forecast: 0,
    airQuality: 0,
    countries: 0,
    geocodingByName: {},
    forecastByCity: {},
    airQualityByCity: {},
    countriesByPath: {},
    countriesOffsets: [],
    countriesUnauthorized: 0,
    forecastBatchSizes: [],
    airQualityBatchSizes: [],
    abandoned: 0,
    traceContexts: [],
  };
}

/** Adds one to `counts[key]`. */
export function countOne(counts: Record<string, number>, key: string): void {
  counts[key] = (counts[key] ?? 0) + 1;
}

/** Keeps the trace context a call arrived with, if it had one. */
export function noteTraceContext(calls: SimulatorCalls, upstream: string, headers: Record<string, string | string[] | undefined>): void {
  const { traceparent, tracestate } = headers;
  if (typeof traceparent !== 'string') return;
  calls.traceContexts.push({ upstream, traceparent, tracestate: typeof tracestate === 'string' ? tracestate : null });
  if (calls.traceContexts.length > TRACE_CONTEXTS_KEPT) calls.traceContexts.shift();
}

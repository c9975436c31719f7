import type { IncomingHttpHeaders } from 'node:http';
import type { SimulatorCalls } from './calls.js';
import type { CallFacts, FaultTarget } from './faults.js';
import type { WeatherBook } from './weather-overrides.js';

// The contract between the simulator's core (ports, faults, counts) and each simulated API.

/** What a handler needs besides the URL. */
export interface UpstreamContext {
  /** The counts to add this call to; passed per call because a reset replaces them. */
  calls: SimulatorCalls;
  /** See SimulatorOptions.syntheticNames. */
  syntheticNames: boolean;
  /** The request's headers (an API key, for an API that wants one). */
  headers: IncomingHttpHeaders;
  /** The current weather tests have set per city (see Simulator.setWeather). */
  weather: WeatherBook;
}

/** A parameter error, answered at once (the real APIs check parameters before any work): no faults apply. */
export interface Refusal {
  facts?: undefined;
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

/** An answer that the core sends after applying the faults chosen for `facts`. */
export interface Answer {
  facts: CallFacts;
  status: number;
  body: unknown;
  headers?: Record<string, string>;
  /** The body with wrong types: only the target's entry, or every entry when the target names none. */
  corrupt(target: FaultTarget): unknown;
}

/** One simulated API: the path it answers, how, and what its error bodies look like. */
export interface Upstream {
  path: string;
  /** Whether it answers this path, for an API with more paths than `path` (any other is a 404). */
  routes?: (pathname: string) => boolean;
  handle(url: URL, context: UpstreamContext): Refusal | Answer;
  /** An error body in this API's own style, for status faults and unknown routes. */
  errorBody(status: number, reason: string): unknown;
}

import { z } from 'zod';
import { findCityByName, simNameKey, syntheticCity } from './cities.js';

/** The upstreams the simulator stands in for, one loopback port each. */
export const ENDPOINTS = ['geocoding', 'forecast', 'air-quality', 'countries'] as const;
export type Endpoint = (typeof ENDPOINTS)[number];

const fault = z.discriminatedUnion('kind', [
  /** Answer normally, this much later. Adds up with the other faults of a call. */
  z.object({ kind: z.literal('latency'), ms: z.number().int().min(0).max(120_000) }),
  /**
   * Answer normally once the simulator is released (`release()`), however long that takes:
   * a test that needs calls to be in flight waits for them to be held, rather than for a
   * latency that a busy machine may outlast. Adds up with the other faults of a call.
   */
  z.object({ kind: z.literal('hold') }),
  /**
   * Answer this HTTP status (500, 502, 503, 429…) with the upstream's own style of error body,
   * whose reason is `reason` when given (e.g. Open-Meteo's "Minutely API request limit exceeded.").
   */
  z.object({
    kind: z.literal('status'),
    status: z.number().int().min(400).max(599),
    retryAfterS: z.number().int().min(0).optional(),
    reason: z.string().min(1).max(500).optional(),
  }),
  /** Accept the request and never answer. */
  z.object({ kind: z.literal('hang') }),
  /** Reset the connection (TCP RST) without answering. */
  z.object({ kind: z.literal('reset') }),
  /** The usual status (200) with a body cut off in the middle of the JSON. */
  z.object({ kind: z.literal('malformed-json') }),
  /** The usual status (200) with valid JSON whose fields have the wrong types (for a city or country, only its entry). */
  z.object({ kind: z.literal('wrong-types') }),
  /** The usual status (200) with the real answer padded by this many bytes of whitespace (still valid JSON). */
  z.object({
    kind: z.literal('oversized'),
    bytes: z
      .number()
      .int()
      .min(1)
      .max(64 * 1024 * 1024),
  }),
  /** The usual status (200) at once, then the body a few bytes at a time. */
  z.object({ kind: z.literal('slow-drip'), chunkIntervalMs: z.number().int().min(1).max(60_000), chunkBytes: z.number().int().min(1).optional() }),
]);

export const faultRule = z.object({
  /** Only calls to this endpoint; every endpoint when absent. */
  endpoint: z.enum(ENDPOINTS).optional(),
  /**
   * Only calls about this city: a geocoding search for it (or an alias), a forecast or air
   * quality call that includes its coordinates, or a countries call that includes its country
   * code. Every call when absent.
   */
  city: z.string().min(1).optional(),
  /**
   * Only countries calls that include this ISO 3166-1 alpha-2 code (any case). Other endpoints
   * know no country, so a rule that names one never matches them.
   */
  country: z
    .string()
    .regex(/^[A-Za-z]{2}$/u, 'expected an ISO 3166-1 alpha-2 code')
    .optional(),
  /** Only the first n matching calls; every one when absent (503 once, then 200: times 1). */
  times: z.number().int().min(1).optional(),
  /** The chance that a matching call gets the fault, e.g. 0.01 for "1% of calls". */
  probability: z.number().min(0).max(1).optional(),
  fault,
});

export type Fault = z.infer<typeof fault>;
export type FaultRule = z.infer<typeof faultRule>;
export const faultRules = z.array(faultRule);

/** What one incoming call is about, for matching rules. */
export interface CallFacts {
  endpoint: Endpoint;
  /** simNameKey of every city the call concerns (the name asked, the known city it matched). */
  cities: string[];
  /** Uppercase country codes a countries call asks for; absent for the other endpoints. */
  countries?: string[];
}

/** Whose entry a `wrong-types` fault corrupts; nothing named means the whole body. */
export interface FaultTarget {
  /** simNameKey of the city the chosen fault's rule named. */
  city?: string;
  /** The country the chosen fault's rule named, or the country of the city it named; uppercase. */
  country?: string;
}

export interface ChosenFaults extends FaultTarget {
  /** Total latency to add before answering. */
  delayMs: number;
  /** Wait for the simulator's release before answering. */
  hold?: boolean;
  /** The first non-latency fault that applies, if any. */
  fault?: Fault;
}

interface ActiveRule {
  rule: FaultRule;
  left: number;
  city?: string;
  /** The named city's country, so that the rule also finds countries calls about it. */
  cityCountry?: string;
  country?: string;
}

/** The active fault rules, in order; each call takes what applies to it and uses up `times`. */
export class FaultBook {
  #rules: ActiveRule[] = [];

  constructor(private readonly random: () => number = Math.random) {}

  set(rules: FaultRule[]): void {
    this.#rules = rules.map((rule) => {
      const place = rule.city === undefined ? undefined : (findCityByName(rule.city) ?? syntheticCity(rule.city));
      return {
        rule,
        left: rule.times ?? Number.POSITIVE_INFINITY,
        ...(rule.city ? { city: simNameKey(rule.city) } : {}),
        ...(place ? { cityCountry: place.countryCode } : {}),
        ...(rule.country ? { country: rule.country.toUpperCase() } : {}),
      };
    });
  }

  add(rule: FaultRule): void {
    this.set([...this.#rules.map((active) => active.rule), rule]);
  }

  clear(): void {
    this.#rules = [];
  }

  choose(call: CallFacts): ChosenFaults {
    const chosen: ChosenFaults = { delayMs: 0 };
    for (const active of this.#rules) {
      const { rule } = active;
      if (active.left <= 0) continue;
      if (rule.endpoint && rule.endpoint !== call.endpoint) continue;
      if (!matches(active, call)) continue;
      const delays = rule.fault.kind === 'latency' || rule.fault.kind === 'hold';
      if (!delays && chosen.fault) continue;
      if (rule.probability !== undefined && this.random() >= rule.probability) continue;
      active.left -= 1;
      if (rule.fault.kind === 'latency') chosen.delayMs += rule.fault.ms;
      else if (rule.fault.kind === 'hold') chosen.hold = true;
      else {
        chosen.fault = rule.fault;
        if (active.city) chosen.city = active.city;
        const country = active.country ?? active.cityCountry;
        if (country) chosen.country = country;
      }
    }
    return chosen;
  }
}

function matches(active: ActiveRule, call: CallFacts): boolean {
  const asks = (code: string | undefined) => code !== undefined && (call.countries ?? []).includes(code);
  if (active.city && !call.cities.includes(active.city) && !asks(active.cityCountry)) return false;
  return !active.country || asks(active.country);
}

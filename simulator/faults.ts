import { z } from 'zod';
import { simNameKey } from './cities.js';

export type Endpoint = 'geocoding' | 'forecast';

const fault = z.discriminatedUnion('kind', [
  /** Answer normally, this much later. Adds up with the other faults of a call. */
  z.object({ kind: z.literal('latency'), ms: z.number().int().min(0).max(120_000) }),
  /**
   * Answer normally once the simulator is released (`release()`), however long that takes:
   * a test that needs calls to be in flight waits for them to be held, rather than for a
   * latency that a busy machine may outlast. Adds up with the other faults of a call.
   */
  z.object({ kind: z.literal('hold') }),
  /** Answer this HTTP status (500, 502, 503, 429…) with an Open-Meteo style error body. */
  z.object({ kind: z.literal('status'), status: z.number().int().min(400).max(599), retryAfterS: z.number().int().min(0).optional() }),
  /** Accept the request and never answer. */
  z.object({ kind: z.literal('hang') }),
  /** Reset the connection (TCP RST) without answering. */
  z.object({ kind: z.literal('reset') }),
  /** 200 with a body cut off in the middle of the JSON. */
  z.object({ kind: z.literal('malformed-json') }),
  /** 200 with valid JSON whose fields have the wrong types (for a city, only its entry). */
  z.object({ kind: z.literal('wrong-types') }),
  /** 200 with the real answer padded by this many bytes of whitespace (still valid JSON). */
  z.object({ kind: z.literal('oversized'), bytes: z.number().int().min(1).max(64 * 1024 * 1024) }),
  /** 200 at once, then the body a few bytes at a time. */
  z.object({ kind: z.literal('slow-drip'), chunkIntervalMs: z.number().int().min(1).max(60_000), chunkBytes: z.number().int().min(1).optional() }),
]);

export const faultRule = z.object({
  /** Only calls to this endpoint; both when absent. */
  endpoint: z.enum(['geocoding', 'forecast']).optional(),
  /**
   * Only calls about this city: a geocoding search for it (or an alias), or a forecast call
   * that includes its coordinates. Every call when absent.
   */
  city: z.string().min(1).optional(),
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
}

export interface ChosenFaults {
  /** Total latency to add before answering. */
  delayMs: number;
  /** Wait for the simulator's release before answering. */
  hold?: boolean;
  /** The first non-latency fault that applies, if any. */
  fault?: Fault;
  /** The city the chosen fault's rule was about, when it named one. */
  city?: string;
}

/** The active fault rules, in order; each call takes what applies to it and uses up `times`. */
export class FaultBook {
  #rules: { rule: FaultRule; left: number; city?: string }[] = [];

  constructor(private readonly random: () => number = Math.random) {}

  set(rules: FaultRule[]): void {
    this.#rules = rules.map((rule) => ({
      rule,
      left: rule.times ?? Number.POSITIVE_INFINITY,
      ...(rule.city ? { city: simNameKey(rule.city) } : {}),
    }));
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
      if (active.city && !call.cities.includes(active.city)) continue;
      const delays = rule.fault.kind === 'latency' || rule.fault.kind === 'hold';
      if (!delays && chosen.fault) continue;
      if (rule.probability !== undefined && this.random() >= rule.probability) continue;
      active.left -= 1;
      if (rule.fault.kind === 'latency') chosen.delayMs += rule.fault.ms;
      else if (rule.fault.kind === 'hold') chosen.hold = true;
      else {
        chosen.fault = rule.fault;
        if (active.city) chosen.city = active.city;
      }
    }
    return chosen;
  }
}

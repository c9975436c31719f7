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
  /** Countries calls by each code asked, uppercase; a code asked twice in one call counts twice. */
  countriesByCode: Record<string, number>;
  /** Locations per forecast call that passed the parameter checks, in arrival order. */
  forecastBatchSizes: number[];
  /** Locations per air quality call that passed the parameter checks, in arrival order. */
  airQualityBatchSizes: number[];
  /** Codes per countries call that passed the parameter checks, as sent (duplicates and unknown codes too). */
  countriesBatchSizes: number[];
  /** Calls whose client went away before the answer was complete (a hang cut by a timeout). */
  abandoned: number;
}

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
    countriesByCode: {},
    forecastBatchSizes: [],
    airQualityBatchSizes: [],
    countriesBatchSizes: [],
    abandoned: 0,
  };
}

/** Adds one to `counts[key]`. */
export function countOne(counts: Record<string, number>, key: string): void {
  counts[key] = (counts[key] ?? 0) + 1;
}

import type { SimulatorCalls } from '../../simulator/simulator.js';

/** What a server asked of the upstreams between two readings of the simulator's counts. */
export interface UpstreamUse {
  /** Calls to all four APIs (geocoding, forecast, air quality, countries), hedges and retries included. */
  calls: number;
  /**
   * Open-Meteo quota units as Open-Meteo counts them: one per geocoding call, and one per
   * location of a forecast or air-quality call (a call for 20 locations spends 20). Every
   * attempt counts, as it does at Open-Meteo. REST Countries is not Open-Meteo and costs none.
   */
  openMeteoUnits: number;
  geocoding: number;
  forecast: number;
  airQuality: number;
  countries: number;
}

const sum = (values: number[]) => values.reduce((total, value) => total + value, 0);

/**
 * The difference between two readings. The batch sizes are lists in arrival order since the
 * last reset, so the calls since `before` are the tail after its length.
 */
export function upstreamUse(before: SimulatorCalls, after: SimulatorCalls): UpstreamUse {
  const geocoding = after.geocoding - before.geocoding;
  const forecast = after.forecast - before.forecast;
  const airQuality = after.airQuality - before.airQuality;
  const countries = after.countries - before.countries;
  const locations =
    sum(after.forecastBatchSizes.slice(before.forecastBatchSizes.length)) + sum(after.airQualityBatchSizes.slice(before.airQualityBatchSizes.length));
  return { calls: geocoding + forecast + airQuality + countries, openMeteoUnits: geocoding + locations, geocoding, forecast, airQuality, countries };
}

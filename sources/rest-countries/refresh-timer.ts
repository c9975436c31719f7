import { COUNTRY_REFRESH } from './dataset-refresh.js';
import type { CountryFacts } from './service.js';

/**
 * Runs the dataset refresh every COUNTRY_REFRESH.intervalMs in this process, until stopped.
 * Only the timing lives here: a scheduler that runs COUNTRY_REFRESH by its name and interval
 * replaces this file and calls the same `refresh()`. Without a key there is nothing to refresh.
 * Returns the function that stops it.
 */
export function startCountryRefreshTimer(countries: Pick<CountryFacts, 'mode' | 'refresh'>): () => void {
  if (countries.mode !== 'live') return () => {};
  const timer = setInterval(() => void countries.refresh(), COUNTRY_REFRESH.intervalMs);
  // A timer alone must not keep the process alive.
  timer.unref();
  return () => clearInterval(timer);
}

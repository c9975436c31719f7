import type { Logger } from 'pino';
import type { Config } from './config.js';
import type { Metrics } from './metrics.js';
import type { UpstreamAttempt } from './sources/kit/http.js';
import { BUNDLED_DATASET } from './sources/rest-countries/bundled.js';
import { COUNTRY_REFRESH, type RefreshOutcome } from './sources/rest-countries/dataset-refresh.js';
import { CountriesRefusal } from './sources/rest-countries/refusals.js';
import { safeUrl } from './tracing/safe-url.js';

// What the log tells an operator about the upstreams: where each one is, where country facts
// come from, and what to change when an upstream's answer says a setting is wrong.

/** Node's codes for "no network here": no DNS, or nothing listening. */
const OFFLINE_CODES = new Set(['ENOTFOUND', 'ECONNREFUSED', 'EAI_AGAIN']);

/** The start-up line: each upstream's base URL (credentials hidden), and whether country facts are live or bundled. */
export function logUpstreams(logger: Logger, config: Config): void {
  // As configured (no trailing slash), with any credentials hidden.
  const shown = (url: string) => safeUrl(new URL(url)).replace(/\/$/, '');
  const urls = {
    geocoding: shown(config.geocodingUrl),
    forecast: shown(config.forecastUrl),
    airQuality: shown(config.airQualityUrl),
    countries: shown(config.restCountriesUrl),
  };
  const countries = config.restCountriesApiKey
    ? `live from REST Countries v5 at ${urls.countries}`
    : `bundled (${BUNDLED_DATASET.package} ${BUNDLED_DATASET.version}; set REST_COUNTRIES_API_KEY for REST Countries v5)`;
  logger.info(
    { upstreams: urls, countryFacts: config.restCountriesApiKey ? 'live' : 'bundled' },
    `upstreams: geocoding ${urls.geocoding}, forecast ${urls.forecast}, air quality ${urls.airQuality}; country facts ${countries}`,
  );
}

/**
 * Hears the process's first upstream attempt only: when it failed for want of a network, says
 * once how to run without one. Later failures are the circuits' and the errors' to report.
 */
export function offlineHint(logger: Logger): (attempt: UpstreamAttempt) => void {
  let heard = false;
  return (attempt) => {
    if (heard) return;
    heard = true;
    if (attempt.errorCode === undefined || !OFFLINE_CODES.has(attempt.errorCode)) return;
    logger.warn(
      { source: attempt.source, code: attempt.errorCode },
      `the first upstream call failed for want of a network (${attempt.errorCode}): \`npm run dev:sim\` runs the gateway against a local simulator of its upstreams, offline`,
    );
  };
}

/**
 * Counts every refresh of the countries dataset, and logs a change of its result once: a key
 * that stays refused is one warning, not one a day, and the load that mends it one line.
 */
export function countriesRefreshLog(logger: Logger, metrics: Metrics): (outcome: RefreshOutcome, error: unknown) => void {
  let lastLogged: RefreshOutcome['result'] | null = null;
  return (outcome, error) => {
    metrics.countryRefreshes.inc({ result: outcome.result });
    if (outcome.result === lastLogged || outcome.result === 'current') return;
    lastLogged = outcome.result;
    const facts = { task: COUNTRY_REFRESH.name, result: outcome.result, countries: outcome.countries };
    if (outcome.ok) {
      logger.info(
        { ...facts, fetchedAt: new Date(outcome.fetchedAt!).toISOString() },
        `countries dataset ${outcome.result === 'loaded' ? 'loaded from REST Countries' : "taken from another instance's load"}`,
      );
    } else if (error instanceof CountriesRefusal) {
      logger.warn({ ...facts, ...(error.upstreamMessage && { upstreamMessage: error.upstreamMessage }) }, error.advice);
    } else {
      logger.warn(facts, `countries dataset refresh failed (${outcome.message}); the last dataset, or the bundled one, answers meanwhile`);
    }
  };
}

import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../config.js';

describe('loadConfig', () => {
  it('serves a laptop with no environment at all', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      port: 4000,
      host: '127.0.0.1',
      databaseUrl: 'file:./data/gatherql.sqlite',
      redisUrl: null,
      geocodingUrl: 'https://geocoding-api.open-meteo.com',
      forecastUrl: 'https://api.open-meteo.com',
      airQualityUrl: 'https://air-quality-api.open-meteo.com',
      restCountriesUrl: 'https://restcountries.com',
      restCountriesApiKey: null,
      upstreamTimeoutMs: 3000,
      requestDeadlineMs: 5000,
      weatherMaxCities: 50,
      weatherCacheTtlS: 300,
      airQualityCacheTtlS: 900,
      countryCacheTtlS: 86_400,
      staleWhileRevalidateS: 60,
      openMeteoQuota: { minute: 600, hour: 5000, day: 10_000 },
      restCountriesQuota: null,
      rateLimitPerMinute: 100,
      upstreamBudgetPerMinute: 200,
      corsOrigins: '*',
      corsCredentials: false,
      trustProxy: false,
      logLevel: 'info',
      maxConnections: 10_000,
      socketTimeoutMs: 60_000,
      production: false,
      authSecretGenerated: true,
    });
    expect(config.authSecret.length).toBeGreaterThanOrEqual(32);
  });

  it('reads every variable', () => {
    const config = loadConfig({
      PORT: '8080',
      HOST: '0.0.0.0',
      DATABASE_URL: 'postgres://u:p@db:5432/app',
      REDIS_URL: 'redis://cache:6379',
      OPEN_METEO_GEOCODING_URL: 'http://127.0.0.1:9000/',
      OPEN_METEO_FORECAST_URL: 'http://127.0.0.1:9001',
      OPEN_METEO_AIR_QUALITY_URL: 'http://127.0.0.1:9002',
      REST_COUNTRIES_URL: 'http://127.0.0.1:9003/',
      REST_COUNTRIES_API_KEY: 'mirror-key',
      UPSTREAM_TIMEOUT_MS: '500',
      REQUEST_DEADLINE_MS: '1500',
      WEATHER_MAX_CITIES: '7',
      WEATHER_CACHE_TTL_S: '60',
      AIR_QUALITY_CACHE_TTL_S: '120',
      COUNTRY_CACHE_TTL_S: '3600',
      STALE_WHILE_REVALIDATE_S: '0',
      OPEN_METEO_QUOTA: 'OFF',
      REST_COUNTRIES_QUOTA: ' 10/minute, 100/day ',
      RATE_LIMIT_PER_MINUTE: '0',
      UPSTREAM_BUDGET_PER_MINUTE: '50',
      CORS_ORIGINS: 'https://app.example, http://localhost:5173',
      CORS_CREDENTIALS: 'yes',
      TRUST_PROXY: 'true',
      AUTH_SECRET: 'x'.repeat(32),
      LOG_LEVEL: 'warn',
      MAX_CONNECTIONS: '50',
      SOCKET_TIMEOUT_S: '20',
      NODE_ENV: 'production',
    });
    expect(config).toMatchObject({
      port: 8080,
      host: '0.0.0.0',
      databaseUrl: 'postgres://u:p@db:5432/app',
      redisUrl: 'redis://cache:6379',
      geocodingUrl: 'http://127.0.0.1:9000',
      forecastUrl: 'http://127.0.0.1:9001',
      airQualityUrl: 'http://127.0.0.1:9002',
      restCountriesUrl: 'http://127.0.0.1:9003',
      restCountriesApiKey: 'mirror-key',
      upstreamTimeoutMs: 500,
      requestDeadlineMs: 1500,
      weatherMaxCities: 7,
      weatherCacheTtlS: 60,
      airQualityCacheTtlS: 120,
      countryCacheTtlS: 3600,
      staleWhileRevalidateS: 0,
      openMeteoQuota: null,
      restCountriesQuota: { minute: 10, day: 100 },
      rateLimitPerMinute: 0,
      upstreamBudgetPerMinute: 50,
      corsOrigins: ['https://app.example', 'http://localhost:5173'],
      corsCredentials: true,
      trustProxy: true,
      authSecret: 'x'.repeat(32),
      authSecretGenerated: false,
      logLevel: 'warn',
      maxConnections: 50,
      socketTimeoutMs: 20_000,
      production: true,
    });
  });

  it('treats an empty value as unset', () => {
    expect(loadConfig({ PORT: '', LOG_LEVEL: ' ' }).port).toBe(4000);
  });

  it.each([
    ['PORT', 'abc', /^PORT is invalid: expected an integer from 0 to 65535$/],
    ['PORT', '70000', /^PORT is invalid/],
    ['DATABASE_URL', 'mysql://x', /^DATABASE_URL is invalid: expected file:PATH, :memory: or postgres:\/\/…$/],
    ['RATE_LIMIT_PER_MINUTE', '-1', /^RATE_LIMIT_PER_MINUTE is invalid: expected an integer from 0/],
    ['UPSTREAM_TIMEOUT_MS', '1.5', /^UPSTREAM_TIMEOUT_MS is invalid/],
    ['OPEN_METEO_FORECAST_URL', 'ftp://x', /^OPEN_METEO_FORECAST_URL is invalid: expected an http\(s\) URL$/],
    ['REDIS_URL', 'localhost:6379', /^REDIS_URL is invalid/],
    ['TRUST_PROXY', 'maybe', /^TRUST_PROXY is invalid: expected true or false$/],
    ['LOG_LEVEL', 'loud', /^LOG_LEVEL is invalid: expected one of fatal, error/],
    ['AUTH_SECRET', 'short', /^AUTH_SECRET is invalid: expected at least 32 characters$/],
    ['MAX_CONNECTIONS', '0', /^MAX_CONNECTIONS is invalid: expected an integer from 1/],
    // The default request deadline may keep a request waiting 5 s: a client silent that long is not stalled.
    ['SOCKET_TIMEOUT_S', '5', /^SOCKET_TIMEOUT_S is invalid: expected more than the longest upstream wait \(REQUEST_DEADLINE_MS = 5 s\)$/],
    ['REQUEST_DEADLINE_MS', '2999', /^REQUEST_DEADLINE_MS is invalid: expected at least UPSTREAM_TIMEOUT_MS \(3000\)$/],
    ['OPEN_METEO_QUOTA', '600/minutes', /^OPEN_METEO_QUOTA is invalid: expected off, or limits such as 600\/minute,5000\/hour,10000\/day \("600\/minutes" is not COUNT\/minute, COUNT\/hour or COUNT\/day\)$/],
    ['OPEN_METEO_QUOTA', '10/minute,20/minute', /^OPEN_METEO_QUOTA is invalid: .*minute is given twice/],
    ['REST_COUNTRIES_QUOTA', '0/day', /^REST_COUNTRIES_QUOTA is invalid: .*a day limit must be at least 1/],
    ['REST_COUNTRIES_URL', 'ftp://x', /^REST_COUNTRIES_URL is invalid: expected an http\(s\) URL$/],
    ['CORS_ORIGINS', 'https://app.example/path', /^CORS_ORIGINS is invalid: expected \* or origins such as .*\("https:\/\/app\.example\/path" is not an origin\)$/],
    ['CORS_ORIGINS', ',', /^CORS_ORIGINS is invalid: expected \* or origins/],
    ['CORS_CREDENTIALS', 'true', /^CORS_CREDENTIALS is invalid: expected false while CORS_ORIGINS is \*/],
    ['UPSTREAM_BUDGET_PER_MINUTE', '-5', /^UPSTREAM_BUDGET_PER_MINUTE is invalid: expected an integer from 0/],
  ])('rejects %s=%s with one line that names it', (name, value, message) => {
    expect(() => loadConfig({ [name]: value })).toThrowError(ConfigError);
    expect(() => loadConfig({ [name]: value })).toThrowError(message);
  });

  it('never repeats a secret value in its error', () => {
    let thrown: unknown;
    try {
      loadConfig({ AUTH_SECRET: 'hunter2-is-secret' });
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(ConfigError);
    expect(String(thrown)).toMatch(/^ConfigError: AUTH_SECRET is invalid/);
    expect(String(thrown)).not.toContain('hunter2');
  });

  it('requires AUTH_SECRET in production', () => {
    expect(() => loadConfig({ NODE_ENV: 'production' })).toThrowError(/AUTH_SECRET is required when NODE_ENV=production/);
  });
});

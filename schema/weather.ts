import { claimCities } from '../resolvers/city-allowance.js';
import type { WeatherErrorCode as Code } from '../resolvers/places.js';
import { currentWeather, type CityWeather as CityWeatherRecord, type WeatherFailure } from '../resolvers/weather.js';
import type { GeoLocation } from '../sources/open-meteo/geocoding.js';
import { builder } from './builder.js';
import { ErrorInterface } from './error-interface.js';
import { Freshness } from './freshness.js';
import { DateTime } from './scalars.js';

const codes: Record<Code, { description?: string }> = {
  INVALID_CITY: { description: 'Empty, too long, or not a plausible place name.' },
  CITY_NOT_FOUND: {},
  UPSTREAM_TIMEOUT: {},
  UPSTREAM_UNAVAILABLE: { description: 'Connection failed, 5xx after retries, or the circuit is open.' },
  UPSTREAM_BAD_RESPONSE: { description: 'The upstream answered with something that is not the documented shape.' },
  RATE_LIMITED: { description: 'The upstream said 429 and no cached value could stand in.' },
  QUOTA_EXHAUSTED: { description: "The gateway's own budget for this upstream is spent, so it did not call; no cached value could stand in." },
};

export const WeatherErrorCode = builder.enumType('WeatherErrorCode', { values: codes });

export const Location = builder.objectRef<GeoLocation>('Location').implement({
  fields: (t) => ({
    name: t.exposeString('name'),
    country: t.exposeString('country', { nullable: true }),
    countryCode: t.exposeString('countryCode', {
      nullable: true,
      description: 'ISO 3166-1 alpha-2 code of the country, e.g. "FR"; null where geocoding gives none.',
    }),
    latitude: t.exposeFloat('latitude'),
    longitude: t.exposeFloat('longitude'),
    timezone: t.exposeString('timezone', { nullable: true }),
  }),
});

export const CityWeather = builder.objectRef<CityWeatherRecord>('CityWeather').implement({
  fields: (t) => ({
    city: t.exposeString('city', { description: 'The city exactly as the client asked for it.' }),
    location: t.expose('location', { type: Location }),
    temperatureC: t.exposeFloat('temperatureC'),
    apparentTemperatureC: t.exposeFloat('apparentTemperatureC', { nullable: true }),
    relativeHumidity: t.exposeFloat('relativeHumidity', { nullable: true }),
    windSpeedKmh: t.exposeFloat('windSpeedKmh'),
    weatherCode: t.exposeInt('weatherCode', { description: 'WMO weather interpretation code.' }),
    conditions: t.exposeString('conditions', { description: 'Plain words for weatherCode, e.g. "Partly cloudy".' }),
    observedAt: t.expose('observedAt', { type: DateTime }),
    stale: t.exposeBoolean('stale', {
      description: 'True when the value is past its time to live: the upstream failed just now, or a refresh is under way.',
    }),
    freshness: t.expose('freshness', { type: Freshness }),
  }),
});

export const WeatherError = builder.objectRef<WeatherFailure>('WeatherError').implement({
  interfaces: [ErrorInterface],
  fields: (t) => ({
    city: t.exposeString('city'),
    code: t.expose('code', { type: WeatherErrorCode }),
    retryAfterSeconds: t.exposeInt('retryAfterSeconds', {
      nullable: true,
      description: 'Seconds until asking again can succeed, when known (a quota window, a Retry-After, an open circuit).',
    }),
  }),
});

export const WeatherResult = builder.unionType('WeatherResult', {
  types: [CityWeather, WeatherError],
  resolveType: (result) => (result.kind === 'CityWeather' ? CityWeather : WeatherError),
});

builder.queryField('weather', (t) =>
  t.field({
    type: [WeatherResult],
    description: [
      'Current weather for each city, fetched concurrently. One result per input',
      'city, in input order. A failing city never fails the others.',
      'More cities than the configured maximum (default 50) is BAD_USER_INPUT.',
    ].join('\n'),
    args: { cities: t.arg.stringList({ required: true }) },
    resolve: (_root, args, ctx) => currentWeather(ctx, claimCities(ctx, args.cities)),
  }),
);

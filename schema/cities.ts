import { cityAirQuality, cityCountry, type CityFailure, type CityRecord, cityWeather, gatherCities } from '../resolvers/cities.js';
import { claimCities } from '../resolvers/city-allowance.js';
import { AirQualityResult } from './air-quality.js';
import { builder } from './builder.js';
import { CountryResult } from './country.js';
import { ErrorInterface } from './error-interface.js';
import { Location, WeatherErrorCode, WeatherResult } from './weather.js';

export const City = builder.objectRef<CityRecord>('City').implement({
  description: 'A place that geocoding found, with what each upstream API says about it.',
  fields: (t) => ({
    name: t.exposeString('name', { description: 'The name exactly as the client asked for it.' }),
    location: t.expose('location', { type: Location }),
    weather: t.field({ type: WeatherResult, resolve: (city, _args, ctx) => cityWeather(ctx, city) }),
    airQuality: t.field({ type: AirQualityResult, resolve: (city, _args, ctx) => cityAirQuality(ctx, city) }),
    country: t.field({ type: CountryResult, resolve: (city, _args, ctx) => cityCountry(ctx, city) }),
  }),
});

export const CityError = builder.objectRef<CityFailure>('CityError').implement({
  description: 'A name that could not be placed: invalid, not found, or geocoding failed.',
  interfaces: [ErrorInterface],
  fields: (t) => ({
    name: t.exposeString('name'),
    code: t.expose('code', { type: WeatherErrorCode }),
    retryAfterSeconds: t.exposeInt('retryAfterSeconds', {
      nullable: true,
      description: 'Seconds until asking again can succeed, when known (a quota window, a Retry-After, an open circuit).',
    }),
  }),
});

export const CityResult = builder.unionType('CityResult', {
  types: [City, CityError],
  resolveType: (result) => (result.kind === 'City' ? City : CityError),
});

builder.queryField('cities', (t) =>
  t.field({
    type: [CityResult],
    description: [
      'Everything the gateway gathers about each named place, one result per name, in',
      'input order: where it is, its current weather, its air quality and its country.',
      'Each part comes from its own upstream API and fails on its own; a name that',
      'geocoding cannot place is a CityError. Same limits and name rules as `weather`.',
    ].join('\n'),
    args: { names: t.arg.stringList({ required: true }) },
    resolve: (_root, args, ctx) => gatherCities(ctx, claimCities(ctx, args.names)),
  }),
);

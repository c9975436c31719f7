import type { CountryRecord } from '../resolvers/cities.js';
import type { Country as CountryValue } from '../sources/rest-countries/countries.js';
import { builder } from './builder.js';
import { Freshness } from './freshness.js';
import { UpstreamError } from './upstream-error.js';

export const Currency = builder.objectRef<CountryValue['currencies'][number]>('Currency').implement({
  fields: (t) => ({
    code: t.exposeString('code', { description: 'ISO 4217 code, e.g. "EUR".' }),
    name: t.exposeString('name'),
    symbol: t.exposeString('symbol', { nullable: true }),
  }),
});

export const Country = builder.objectRef<CountryRecord>('Country').implement({
  description:
    'Facts about a country: from REST Countries v5, or from the bundled world-countries dataset (ODbL-1.0, https://github.com/mledoze/countries) when freshness.state is BUNDLED.',
  fields: (t) => ({
    code: t.exposeString('code', { description: 'ISO 3166-1 alpha-2 code, e.g. "FR".' }),
    name: t.exposeString('name'),
    officialName: t.exposeString('officialName'),
    capitals: t.exposeStringList('capitals'),
    region: t.exposeString('region', { nullable: true }),
    subregion: t.exposeString('subregion', { nullable: true }),
    population: t.exposeInt('population', { nullable: true }),
    currencies: t.expose('currencies', { type: [Currency] }),
    languages: t.exposeStringList('languages'),
    flag: t.exposeString('flag', { nullable: true, description: 'The flag as an emoji, e.g. "🇫🇷".' }),
    freshness: t.expose('freshness', { type: Freshness }),
  }),
});

export const CountryResult = builder.unionType('CountryResult', {
  types: [Country, UpstreamError],
  resolveType: (result) => (result.kind === 'Country' ? Country : UpstreamError),
});

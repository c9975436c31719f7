// Mercurius on Fastify as its docs recommend for speed: graphql-jit after the first run of a
// query, and Mercurius loaders to batch authors and each part of a city (one call per part for
// all the cities of a request). With `cached`, mercurius-cache keeps resolver and loader results.
import Fastify from 'fastify';
import mercurius from 'mercurius';
import mercuriusCacheModule from 'mercurius-cache';
import { cityPartsBatched } from './city-parts.js';
import { fetchCities, fetchUpstreams, fetchWeather } from './fetch-upstreams.js';
import { announce, commonResolvers, openPeerDatabase, type PostRow, type PeerSettings, peerSettings, postEdges, typeDefs, unionResolvers } from './shared.js';
import type { CityPlace } from './upstream.js';

// A CommonJS module whose types say `export default`: under NodeNext the plugin is its `default`
// (fastify-plugin sets it on every plugin for that reason).
const mercuriusCache = mercuriusCacheModule.default;

/** A TTL in seconds for results without an error object: failures are not kept, as in gatherql. */
function unlessError(ttlS: number) {
  const failed = (value: { __typename?: string }) => ['WeatherError', 'UpstreamError', 'CityError'].includes(value?.__typename ?? '');
  return (result: unknown) => ((Array.isArray(result) ? result.some(failed) : failed(result as { __typename?: string })) ? 0 : ttlS);
}

/** mercurius-cache's policy: every field keeps gatherql's freshness rule for what it answers. */
function cachePolicy({ ttl }: PeerSettings) {
  const answerS = ttl.answerMs / 1000;
  return {
    Query: { posts: { ttl: answerS }, weather: { ttl: unlessError(ttl.weatherS) }, cities: { ttl: unlessError(ttl.geocodingS) } },
    Post: { author: { ttl: answerS } },
    City: { weather: { ttl: unlessError(ttl.weatherS) }, airQuality: { ttl: unlessError(ttl.airQualityS) }, country: { ttl: unlessError(ttl.countryS) } },
  };
}

export async function serveMercurius(name: string, options: { cached: boolean }) {
  const settings = peerSettings();
  const db = openPeerDatabase(settings.databaseFile);
  const api = fetchUpstreams(settings);
  const parts = cityPartsBatched(api);
  const cities = (queries: { obj: CityPlace }[]) => queries.map(({ obj }) => obj);

  const app = Fastify({ logger: false });
  await app.register(mercurius, {
    schema: typeDefs,
    jit: 1,
    graphiql: false,
    resolvers: {
      ...unionResolvers('resolveType'),
      ...commonResolvers,
      Query: {
        weather: (_root: unknown, args: { cities: string[] }) => fetchWeather(api, args.cities),
        cities: (_root: unknown, args: { names: string[] }) => fetchCities(api, args.names),
        posts: (_root: unknown, args: { first: number }) => postEdges(db.postsPage(args.first + 1), args.first),
      },
    } as never,
    loaders: {
      Post: { author: async (queries: { obj: PostRow }[]) => db.usersByIds(queries.map(({ obj }) => obj.author_id)) },
      City: {
        weather: (queries: { obj: CityPlace }[]) => parts.weather(cities(queries)),
        airQuality: (queries: { obj: CityPlace }[]) => parts.airQuality(cities(queries)),
        country: (queries: { obj: CityPlace }[]) => parts.country(cities(queries)),
      },
    },
  });
  if (options.cached) await app.register(mercuriusCache, { policy: cachePolicy(settings) });
  const address = await app.listen({ port: settings.port, host: '127.0.0.1' });
  announce(name, `${address}/graphql`);
  process.on('SIGTERM', () => void app.close().then(() => process.exit(0)));
}

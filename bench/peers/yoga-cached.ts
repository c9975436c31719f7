// Peer: graphql-yoga as its docs recommend for speed: DataLoaders made per request (authors by
// id; geocoding deduplicated by name; forecast and air quality batched into one call per API;
// countries one call per code, side by side, as REST Countries v5 has no call for several)
// and @graphql-yoga/plugin-response-cache, which keeps whole answers for the shortest TTL among
// the schema coordinates and types they contain.
import { createServer } from 'node:http';
import { useResponseCache } from '@graphql-yoga/plugin-response-cache';
import DataLoader from 'dataloader';
import { createSchema, createYoga } from 'graphql-yoga';
import { cityPartsBatched } from './city-parts.js';
import { fetchUpstreams, type Upstreams } from './fetch-upstreams.js';
import { announce, commonResolvers, openPeerDatabase, type PostRow, peerSettings, postEdges, typeDefs, type UserRow, unionResolvers } from './shared.js';
import { type CityPlace, cityFailure, cityOf, type GeocodingAnswer, weatherError, weatherOf } from './upstream.js';

const settings = peerSettings();
const db = openPeerDatabase(settings.databaseFile);
const api = fetchUpstreams(settings);

const cityKey = (city: CityPlace) => `${city.name}@${city.location.latitude},${city.location.longitude}`;

/** Made per request, so that nothing a loader holds outlives the request that asked for it. */
function createLoaders(upstreams: Upstreams) {
  const parts = cityPartsBatched(upstreams);
  return {
    userById: new DataLoader<number, UserRow | null>(async (ids) => db.usersByIds(ids)),
    // Geocoding takes one name per call: the loader only removes duplicates.
    placeByName: new DataLoader<string, GeocodingAnswer>((names) => Promise.all(names.map((name) => upstreams.geocode(name).catch((error: Error) => error)))),
    weatherByCity: new DataLoader(parts.weather, { cacheKeyFn: cityKey }),
    airQualityByCity: new DataLoader(parts.airQuality, { cacheKeyFn: cityKey }),
    countryByCity: new DataLoader(parts.country, { cacheKeyFn: cityKey }),
  };
}

type Context = { loaders: ReturnType<typeof createLoaders> };

/** The City or CityError for a name, through the request's loaders. */
const placeOf = (name: string, { loaders }: Context) =>
  loaders.placeByName.load(name).then(
    (answer) => cityOf(name, answer),
    (error: unknown) => cityFailure(name, error),
  );

const { ttl } = settings;
const yoga = createYoga<Context>({
  logging: false,
  graphiql: false,
  context: () => ({ loaders: createLoaders(api) }),
  schema: createSchema<Context>({
    typeDefs,
    resolvers: {
      ...unionResolvers('__resolveType'),
      ...commonResolvers,
      Query: {
        weather: (_root: unknown, args: { cities: string[] }, ctx: Context) =>
          Promise.all(
            args.cities.map(async (city) => {
              const place = await placeOf(city, ctx);
              if (place.__typename !== 'City') return place.code === 'CITY_NOT_FOUND' ? weatherOf(city, null, null) : weatherError(city, place.message);
              return ctx.loaders.weatherByCity.load(place);
            }),
          ),
        cities: (_root: unknown, args: { names: string[] }, ctx: Context) => Promise.all(args.names.map((name) => placeOf(name, ctx))),
        posts: (_root: unknown, args: { first: number }) => postEdges(db.postsPage(args.first + 1), args.first),
      },
      City: {
        weather: (city: CityPlace, _args: unknown, ctx: Context) => ctx.loaders.weatherByCity.load(city),
        airQuality: (city: CityPlace, _args: unknown, ctx: Context) => ctx.loaders.airQualityByCity.load(city),
        country: (city: CityPlace, _args: unknown, ctx: Context) => ctx.loaders.countryByCity.load(city),
      },
      Post: { ...commonResolvers.Post, author: (post: PostRow, _args: unknown, ctx: Context) => ctx.loaders.userById.load(post.author_id) },
    },
  }),
  plugins: [
    useResponseCache({
      // Every answer is public: the peers have no signed-in users.
      session: () => null,
      ttl: ttl.answerMs,
      ttlPerSchemaCoordinate: {
        // Answers of upstream values live as long as their shortest-lived value may (gatherql's TTLs).
        'Query.weather': ttl.weatherS * 1000,
        'Query.cities': Math.min(ttl.geocodingS, ttl.weatherS, ttl.airQualityS, ttl.countryS) * 1000,
        // An answer with a failure in it is not kept, as in gatherql.
        WeatherError: 0,
        UpstreamError: 0,
        CityError: 0,
      },
    }),
  ],
});

const server = createServer(yoga);
server.listen(settings.port, '127.0.0.1', () => {
  const address = server.address();
  announce('yoga-cached', `http://127.0.0.1:${typeof address === 'object' && address ? address.port : settings.port}/graphql`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));

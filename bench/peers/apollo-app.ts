// Apollo Server 4 as its docs recommend: a RESTDataSource per API made per request on the
// server's cache (apollo-data-sources.ts) and a per-request DataLoader for authors. With
// `cached`, the data sources get TTLs and whole answers are kept by the response cache plugin
// for as long as the cache-control hints allow: `defaultMaxAge`, and 0 for an answer with an
// error object in it (gatherql keeps none of those either).
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginCacheControl } from '@apollo/server/plugin/cacheControl';
import { startStandaloneServer } from '@apollo/server/standalone';
import responseCachePlugin from '@apollo/server-plugin-response-cache';
import DataLoader from 'dataloader';
import { type DataSources, dataSources } from './apollo-data-sources.js';
import { announce, commonResolvers, openPeerDatabase, type PostRow, peerSettings, postEdges, typeDefs, type UserRow, unionResolvers } from './shared.js';
import { airQualityOf, type CityPlace, cityFailure, cityOf, countryOf, upstreamError, weatherError, weatherOf } from './upstream.js';

interface Context {
  dataSources: DataSources;
  userById: DataLoader<number, UserRow | null>;
}

/** The part of GraphQLResolveInfo that Apollo's cache control adds. */
interface CacheControlInfo {
  cacheControl: { setCacheHint(hint: { maxAge: number }): void };
}

const ERRORS = ['WeatherError', 'UpstreamError', 'CityError'];

/** Marks the answer uncacheable when a value is an error object; returns the value. */
function uncachedIfError<T extends { __typename: string } | { __typename: string }[]>(value: T, info: CacheControlInfo): T {
  if ((Array.isArray(value) ? value : [value]).some((item) => ERRORS.includes(item.__typename))) info.cacheControl.setCacheHint({ maxAge: 0 });
  return value;
}

export async function serveApollo(name: string, options: { cached: boolean }) {
  const settings = peerSettings();
  const db = openPeerDatabase(settings.databaseFile);
  const server = new ApolloServer<Context>({
    typeDefs,
    resolvers: {
      ...unionResolvers('__resolveType'),
      ...commonResolvers,
      Query: {
        weather: async (_root: unknown, args: { cities: string[] }, { dataSources }: Context, info: CacheControlInfo) =>
          uncachedIfError(
            await Promise.all(
              args.cities.map(async (city) => {
                try {
                  const place = cityOf(city, await dataSources.geocoding.search(city));
                  if (place.__typename !== 'City') return weatherOf(city, null, null);
                  return weatherOf(city, place.location, await dataSources.forecast.at(place.location));
                } catch (error) {
                  return weatherError(city, error);
                }
              }),
            ),
            info,
          ),
        cities: async (_root: unknown, args: { names: string[] }, { dataSources }: Context, info: CacheControlInfo) =>
          uncachedIfError(
            await Promise.all(
              args.names.map((name) =>
                dataSources.geocoding.search(name).then(
                  (answer) => cityOf(name, answer),
                  (error: unknown) => cityFailure(name, error),
                ),
              ),
            ),
            info,
          ),
        posts: (_root: unknown, args: { first: number }) => postEdges(db.postsPage(args.first + 1), args.first),
      },
      City: {
        weather: (city: CityPlace, _args: unknown, { dataSources }: Context, info: CacheControlInfo) =>
          dataSources.forecast.at(city.location).then(
            (forecast) => uncachedIfError(weatherOf(city.name, city.location, forecast), info),
            (error: unknown) => uncachedIfError(weatherError(city.name, error), info),
          ),
        airQuality: (city: CityPlace, _args: unknown, { dataSources }: Context, info: CacheControlInfo) =>
          dataSources.airQuality.at(city.location).then(
            (entry) => airQualityOf(entry),
            (error: unknown) => uncachedIfError(upstreamError('air-quality', error), info),
          ),
        country: async (city: CityPlace, _args: unknown, { dataSources }: Context, info: CacheControlInfo) => {
          const code = city.location.countryCode;
          try {
            return uncachedIfError(countryOf(code, code ? await dataSources.countries.byCode(code) : undefined), info);
          } catch (error) {
            return uncachedIfError(upstreamError('countries', error), info);
          }
        },
      },
      Post: { ...commonResolvers.Post, author: (post: PostRow, _args: unknown, ctx: Context) => ctx.userById.load(post.author_id) },
    },
    plugins: options.cached ? [ApolloServerPluginCacheControl({ defaultMaxAge: settings.ttl.answerMs / 1000 }), responseCachePlugin()] : [],
  });

  const { url } = await startStandaloneServer(server, {
    listen: { port: settings.port, host: '127.0.0.1' },
    context: async () => ({
      dataSources: dataSources(settings, server.cache, options.cached),
      userById: new DataLoader<number, UserRow | null>(async (ids) => db.usersByIds(ids)),
    }),
  });
  announce(name, url.replace(/\/$/, ''));
  process.on('SIGTERM', () => void server.stop().then(() => process.exit(0)));
}

// Peer: Apollo Server 4 as its docs recommend: RESTDataSource per request for each REST
// API (request deduplication and HTTP caching built in) and a per-request DataLoader for
// authors.
import { RESTDataSource } from '@apollo/datasource-rest';
import { ApolloServer } from '@apollo/server';
import { startStandaloneServer } from '@apollo/server/standalone';
import DataLoader from 'dataloader';
import {
  announce,
  CURRENT_FIELDS,
  cityWeather,
  type ForecastAnswer,
  type GeocodingAnswer,
  openPeerDatabase,
  type PostRow,
  peerSettings,
  postEdges,
  typeDefs,
  type UserRow,
  weatherError,
} from './shared.js';

const settings = peerSettings();
const db = openPeerDatabase(settings.databaseFile);

class GeocodingAPI extends RESTDataSource {
  override baseURL = `${settings.geocodingUrl}/`;
  search(city: string) {
    return this.get<GeocodingAnswer>('v1/search', { params: { name: city, count: '1', language: 'en', format: 'json' } });
  }
}

class ForecastAPI extends RESTDataSource {
  override baseURL = `${settings.forecastUrl}/`;
  current(latitude: number, longitude: number) {
    return this.get<ForecastAnswer>('v1/forecast', {
      params: { latitude: String(latitude), longitude: String(longitude), current: CURRENT_FIELDS },
    });
  }
}

interface Context {
  dataSources: { geocoding: GeocodingAPI; forecast: ForecastAPI };
  userById: DataLoader<number, UserRow | null>;
}

const server = new ApolloServer<Context>({
  typeDefs,
  resolvers: {
    Query: {
      weather: (_root: unknown, args: { cities: string[] }, ctx: Context) =>
        Promise.all(
          args.cities.map(async (city) => {
            try {
              const geocoding = await ctx.dataSources.geocoding.search(city);
              const place = geocoding.results?.[0];
              const forecast = place ? await ctx.dataSources.forecast.current(place.latitude, place.longitude) : null;
              return cityWeather(city, geocoding, forecast);
            } catch (error) {
              return weatherError(city, error);
            }
          }),
        ),
      posts: (_root: unknown, args: { first: number }) => postEdges(db.postsPage(args.first + 1), args.first),
    },
    WeatherResult: { __resolveType: (value: { __typename: string }) => value.__typename },
    Post: {
      createdAt: (post: PostRow) => post.created_at,
      author: (post: PostRow, _args: unknown, ctx: Context) => ctx.userById.load(post.author_id),
    },
    User: { displayName: (user: UserRow) => user.display_name },
  },
});

const { url } = await startStandaloneServer(server, {
  listen: { port: settings.port, host: '127.0.0.1' },
  context: async () => {
    const { cache } = server;
    return {
      dataSources: { geocoding: new GeocodingAPI({ cache }), forecast: new ForecastAPI({ cache }) },
      userById: new DataLoader<number, UserRow | null>(async (ids) => db.usersByIds(ids)),
    };
  },
});
announce('apollo', url.replace(/\/$/, ''));
process.on('SIGTERM', () => void server.stop().then(() => process.exit(0)));

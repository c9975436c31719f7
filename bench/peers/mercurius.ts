// Peer: Mercurius on Fastify as its docs recommend for speed: graphql-jit after the
// first run of a query, and Mercurius loaders to batch authors.
import Fastify from 'fastify';
import mercurius from 'mercurius';
import {
  announce,
  cityWeather,
  type ForecastAnswer,
  forecastPath,
  type GeocodingAnswer,
  geocodingPath,
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

async function getJson<T>(url: string): Promise<T> {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`upstream answered ${response.status}`);
  return (await response.json()) as T;
}

const app = Fastify({ logger: false });
await app.register(mercurius, {
  schema: typeDefs,
  jit: 1,
  graphiql: false,
  resolvers: {
    Query: {
      weather: (_root: unknown, args: { cities: string[] }) =>
        Promise.all(
          args.cities.map(async (city) => {
            try {
              const geocoding = await getJson<GeocodingAnswer>(settings.geocodingUrl + geocodingPath(city));
              const place = geocoding.results?.[0];
              const forecast = place
                ? await getJson<ForecastAnswer>(settings.forecastUrl + forecastPath(place.latitude, place.longitude))
                : null;
              return cityWeather(city, geocoding, forecast);
            } catch (error) {
              return weatherError(city, error);
            }
          }),
        ),
      posts: (_root: unknown, args: { first: number }) => postEdges(db.postsPage(args.first + 1), args.first),
    },
    WeatherResult: { resolveType: (value: { __typename: string }) => value.__typename },
    Post: { createdAt: (post: PostRow) => post.created_at },
    User: { displayName: (user: UserRow) => user.display_name },
  } as never,
  loaders: {
    Post: {
      author: async (queries: { obj: PostRow }[]) => db.usersByIds(queries.map(({ obj }) => obj.author_id)),
    },
  },
});
const address = await app.listen({ port: settings.port, host: '127.0.0.1' });
announce('mercurius', `${address}/graphql`);
process.on('SIGTERM', () => void app.close().then(() => process.exit(0)));

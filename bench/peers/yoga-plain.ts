// Peer: plain graphql-yoga with the simplest resolvers a tutorial would write: no
// DataLoader, no cache, one fetch per upstream call, one SQL query per author.
import { createServer } from 'node:http';
import { createSchema, createYoga } from 'graphql-yoga';
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

const yoga = createYoga({
  logging: false,
  graphiql: false,
  schema: createSchema({
    typeDefs,
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
      WeatherResult: { __resolveType: (value: { __typename: string }) => value.__typename },
      Post: {
        createdAt: (post: PostRow) => post.created_at,
        author: (post: PostRow) => db.userById(post.author_id),
      },
      User: { displayName: (user: UserRow) => user.display_name },
    },
  }),
});

const server = createServer(yoga);
server.listen(settings.port, '127.0.0.1', () => {
  const address = server.address();
  announce('yoga-plain', `http://127.0.0.1:${typeof address === 'object' && address ? address.port : settings.port}/graphql`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));

// Peer: Mercurius on Fastify as its docs recommend for speed: graphql-jit after the
// first run of a query, and Mercurius loaders to batch authors.
import Fastify from 'fastify';
import mercurius from 'mercurius';
import { announce, fetchWeather, openPeerDatabase, type PostRow, peerSettings, postEdges, typeDefs, type UserRow } from './shared.js';

const settings = peerSettings();
const db = openPeerDatabase(settings.databaseFile);

const app = Fastify({ logger: false });
await app.register(mercurius, {
  schema: typeDefs,
  jit: 1,
  graphiql: false,
  resolvers: {
    Query: {
      weather: (_root: unknown, args: { cities: string[] }) => fetchWeather(settings, args.cities),
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

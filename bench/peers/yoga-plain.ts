// Peer: plain graphql-yoga with the simplest resolvers a tutorial would write: no
// DataLoader, no cache, one fetch per upstream call, one SQL query per author.
import { createServer } from 'node:http';
import { createSchema, createYoga } from 'graphql-yoga';
import { announce, fetchWeather, openPeerDatabase, type PostRow, peerSettings, postEdges, typeDefs, type UserRow } from './shared.js';

const settings = peerSettings();
const db = openPeerDatabase(settings.databaseFile);

const yoga = createYoga({
  logging: false,
  graphiql: false,
  schema: createSchema({
    typeDefs,
    resolvers: {
      Query: {
        weather: (_root: unknown, args: { cities: string[] }) => fetchWeather(settings, args.cities),
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

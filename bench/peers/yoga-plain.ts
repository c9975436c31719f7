// Peer: plain graphql-yoga with the simplest resolvers a tutorial would write: no DataLoader,
// no cache, one fetch per upstream call, one SQL query per author. The plain baseline.
import { createServer } from 'node:http';
import { createSchema, createYoga } from 'graphql-yoga';
import { cityPartsOneByOne } from './city-parts.js';
import { fetchCities, fetchUpstreams, fetchWeather } from './fetch-upstreams.js';
import { announce, commonResolvers, openPeerDatabase, type PostRow, peerSettings, postEdges, typeDefs, unionResolvers } from './shared.js';

const settings = peerSettings();
const db = openPeerDatabase(settings.databaseFile);
const api = fetchUpstreams(settings);

const yoga = createYoga({
  logging: false,
  graphiql: false,
  schema: createSchema({
    typeDefs,
    resolvers: {
      ...unionResolvers('__resolveType'),
      ...commonResolvers,
      Query: {
        weather: (_root: unknown, args: { cities: string[] }) => fetchWeather(api, args.cities),
        cities: (_root: unknown, args: { names: string[] }) => fetchCities(api, args.names),
        posts: (_root: unknown, args: { first: number }) => postEdges(db.postsPage(args.first + 1), args.first),
      },
      City: cityPartsOneByOne(api),
      Post: { ...commonResolvers.Post, author: (post: PostRow) => db.userById(post.author_id) },
    },
  }),
});

const server = createServer(yoga);
server.listen(settings.port, '127.0.0.1', () => {
  const address = server.address();
  announce('yoga-plain', `http://127.0.0.1:${typeof address === 'object' && address ? address.port : settings.port}/graphql`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));

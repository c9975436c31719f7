// Peer: the Apollo peer with RESTDataSource TTLs and the response cache plugin (see apollo-app.ts).
import { serveApollo } from './apollo-app.js';

await serveApollo('apollo-cached', { cached: true });

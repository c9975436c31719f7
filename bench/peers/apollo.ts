// Peer: Apollo Server 4 with RESTDataSources and DataLoader, no response cache and no TTLs (see apollo-app.ts).
import { serveApollo } from './apollo-app.js';

await serveApollo('apollo', { cached: false });

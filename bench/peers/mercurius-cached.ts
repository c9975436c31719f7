// Peer: the Mercurius peer with mercurius-cache on its resolvers and loaders (see mercurius-app.ts).
import { serveMercurius } from './mercurius-app.js';

await serveMercurius('mercurius-cached', { cached: true });

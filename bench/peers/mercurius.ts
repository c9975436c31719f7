// Peer: Mercurius with graphql-jit and loaders, no cache (see mercurius-app.ts).
import { serveMercurius } from './mercurius-app.js';

await serveMercurius('mercurius', { cached: false });

import type { CORSOptions } from 'graphql-yoga';
import type { Config } from '../config.js';

/** How long a browser may keep a preflight's answer, in seconds. */
export const PREFLIGHT_MAX_AGE_S = 600;

/**
 * Yoga's CORS settings from CORS_ORIGINS and CORS_CREDENTIALS. With `*` (the default) any
 * page may read answers but never send credentials: gatherql authenticates with a bearer
 * token that a page must hold itself, never with a cookie, so a foreign page has no
 * authority to borrow. With a list, only those origins get CORS headers at all; another
 * origin gets none (not even `null`, which sandboxed pages could match).
 */
export function corsOptions(config: Pick<Config, 'corsOrigins' | 'corsCredentials'>, exposedHeaders: string[]) {
  const common = { exposedHeaders, maxAge: PREFLIGHT_MAX_AGE_S, credentials: config.corsCredentials };
  const { corsOrigins } = config;
  if (corsOrigins === '*') return { ...common, origin: '*' } satisfies CORSOptions;
  return (request: Request): CORSOptions | false => {
    const origin = request.headers.get('origin');
    return origin !== null && corsOrigins.includes(origin) ? { ...common, origin: [origin] } : false;
  };
}

import { isIP } from 'node:net';
import { requestSlot } from '../request-slots.js';

export interface ClientKeyOptions {
  /**
   * The user id an Authorization header proves, null without one; rejects a header that
   * proves nothing. A signed-in user is keyed by that id.
   */
  userIdOf: (authorization: string | null) => Promise<number | null>;
  /** Believe the right-most X-Forwarded-For address, the one the proxy in front wrote (only behind one). */
  trustProxy: boolean;
}

/** What the server adapter passes along: on node:http, the incoming message and its socket. */
export interface ServerContextWithSocket {
  req?: { socket?: { remoteAddress?: string | undefined } };
}

/** Names the client of a request: `user:<id>`, `ip:<address>` or `ip:unknown`. Memoised per request. */
export type ClientKeyFn = (request: Request, serverContext: unknown) => Promise<string>;

/**
 * Builds the function that names clients, for rate limits and logs. A valid bearer token
 * wins (a user keeps one budget across networks, and many users behind one NAT do not
 * share one); an invalid token counts as no token here, since the request fails with 401
 * later anyway. Requests that carry no socket (in-process `yoga.fetch`) are `ip:unknown`.
 */
export function createClientKey(options: ClientKeyOptions): ClientKeyFn {
  const keys = requestSlot<Promise<string>>('client key');
  return (request, serverContext) => {
    let key = keys.get(request);
    if (!key) {
      key = resolve(options, request, serverContext as ServerContextWithSocket | undefined);
      keys.set(request, key);
    }
    return key;
  };
}

function resolve(options: ClientKeyOptions, request: Request, serverContext: ServerContextWithSocket | undefined): Promise<string> {
  return keyOf(options, request.headers.get('authorization'), clientAddress(request, serverContext, options.trustProxy));
}

async function keyOf(options: ClientKeyOptions, authorization: string | null, address: string | null): Promise<string> {
  const userId = await options.userIdOf(authorization).catch(() => null);
  if (userId !== null) return `user:${userId}`;
  return `ip:${address ?? 'unknown'}`;
}

/**
 * Names the client of a WebSocket connection as createClientKey names that of a request: by
 * the token it was opened with (`connectionParams.authorization`), else by the address of its
 * upgrade request (X-Forwarded-For only when trusted).
 */
export function connectionClientKey(
  options: ClientKeyOptions,
  authorization: string | null,
  upgrade: { headers: Record<string, string | string[] | undefined>; socket?: { remoteAddress?: string | undefined } },
): Promise<string> {
  const forwarded = upgrade.headers['x-forwarded-for'];
  return keyOf(
    options,
    authorization,
    addressOf(Array.isArray(forwarded) ? forwarded.join(',') : forwarded, upgrade.socket?.remoteAddress, options.trustProxy),
  );
}

/**
 * The key of a request without a valid token, `ip:<address>` or `ip:unknown`, from its
 * X-Forwarded-For header (believed only with `trustProxy`) and its socket's address. For
 * whoever reads Node's request itself (the lane of kept answers) as for createClientKey.
 */
export function anonymousClientKey(forwardedFor: string | null | undefined, socketAddress: string | undefined, trustProxy: boolean): string {
  return `ip:${addressOf(forwardedFor, socketAddress, trustProxy) ?? 'unknown'}`;
}

/** The address a request came from, normalised; null when it cannot be known. */
export function clientAddress(request: Request, serverContext: ServerContextWithSocket | undefined, trustProxy: boolean): string | null {
  return addressOf(request.headers.get('x-forwarded-for'), serverContext?.req?.socket?.remoteAddress, trustProxy);
}

/**
 * Behind a trusted proxy, the right-most X-Forwarded-For address: the one that proxy wrote,
 * the address it was connected from. What is left of it is what the client sent, which it
 * may make up (a proxy that appends, as nginx's `$proxy_add_x_forwarded_for` does, keeps it),
 * and a key it picks would give it a new budget each time.
 */
function addressOf(forwardedFor: string | null | undefined, socketAddress: string | undefined, trustProxy: boolean): string | null {
  if (trustProxy && forwardedFor) {
    const forwarded = forwardedFor.slice(forwardedFor.lastIndexOf(',') + 1).trim();
    const address = forwarded && normalise(forwarded);
    if (address) return address;
  }
  return socketAddress ? normalise(socketAddress) : null;
}

function normalise(address: string): string | null {
  const lower = address.toLowerCase();
  // A dual-stack socket reports IPv4 clients as ::ffff:a.b.c.d (a header may spell it in capitals); one client, one key.
  const plain = lower.startsWith('::ffff:') && isIP(lower.slice(7)) === 4 ? lower.slice(7) : lower;
  return isIP(plain) ? plain : null;
}

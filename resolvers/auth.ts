import { errors as joseErrors, jwtVerify, SignJWT } from 'jose';
import { LRUCache } from 'lru-cache';
import type { Role } from '../db/database.js';
import type { UserRecord } from '../db/records.js';
import { RequestError } from './errors.js';

/** Who is asking: taken from a verified bearer token, never from the request body. */
export interface Viewer {
  id: number;
  role: Role;
}

/** Tokens are short-lived: a leaked one is worth an hour at most. */
export const TOKEN_TTL_SECONDS = 3600;
const ISSUER = 'gatherql';
const ALGORITHM = 'HS256';

/** Tokens verified lately, kept at most: a few megabytes for as many signed-in clients. */
export const VERIFIED_TOKENS_KEPT = 10_000;

/**
 * AUTH_SECRET, and the tokens it has verified lately with the user each names, each until its
 * expiry: one request asks for its viewer more than once (its rate-limit key, its context),
 * and a client sends the same token for an hour. Verifying an HMAC through WebCrypto goes
 * through the thread pool and back each time; a token found here costs a map look-up. Only
 * good tokens are kept, so made-up ones cannot push them out faster than clients bring them.
 * One per gateway (created with it, never shared between two).
 */
export interface TokenKey {
  readonly secret: Uint8Array;
  readonly verified: LRUCache<string, VerifiedToken>;
}

/** A token verified lately: the user it names, and when it expires (`Date.now()` ms). */
interface VerifiedToken {
  id: number;
  expiresAtMs: number;
}

export function tokenKey(secret: string): TokenKey {
  return { secret: new TextEncoder().encode(secret), verified: new LRUCache({ max: VERIFIED_TOKENS_KEPT }) };
}

/** Signs a bearer token for a user: HS256 with AUTH_SECRET, subject = user id, with an expiry. */
export function signToken(key: TokenKey, user: Pick<UserRecord, 'id'>, ttlSeconds = TOKEN_TTL_SECONDS): Promise<string> {
  return new SignJWT({})
    .setProtectedHeader({ alg: ALGORITHM, typ: 'JWT' })
    .setSubject(String(user.id))
    .setIssuer(ISSUER)
    .setAudience(ISSUER)
    .setIssuedAt()
    .setExpirationTime(`${ttlSeconds}s`)
    .sign(key.secret);
}

const unauthenticated = (message: string) => new RequestError('UNAUTHENTICATED', message, { http: { status: 401, headers: { 'WWW-Authenticate': 'Bearer' } } });

/**
 * The user id a request's Authorization header proves, or null when it sends none.
 * A header that is present but tampered, expired or malformed is UNAUTHENTICATED:
 * never silently anonymous, never signed in.
 */
export async function userIdFromAuthorization(key: TokenKey, authorization: string | null): Promise<number | null> {
  if (authorization === null || authorization.trim() === '') return null;
  const match = /^Bearer\s+([A-Za-z0-9_.-]{1,4096})\s*$/i.exec(authorization);
  if (!match) throw unauthenticated('The Authorization header must be "Bearer <token>"');
  const token = match[1]!;
  const known = key.verified.get(token);
  // Read on jose's clock (Date.now): the cache's own TTL runs on another and only frees memory.
  if (known !== undefined && Date.now() < known.expiresAtMs) return known.id;
  try {
    const { payload } = await jwtVerify(token, key.secret, { algorithms: [ALGORITHM], issuer: ISSUER, audience: ISSUER });
    const id = Number(payload.sub);
    if (!Number.isSafeInteger(id) || id <= 0) throw unauthenticated('The bearer token names no user');
    // Kept until the second jose would call it expired, and not a moment longer.
    const expiresAtMs = (payload.exp ?? 0) * 1000;
    const leftMs = expiresAtMs - Date.now();
    if (leftMs > 0) key.verified.set(token, { id, expiresAtMs }, { ttl: leftMs });
    return id;
  } catch (error) {
    if (error instanceof RequestError) throw error;
    if (error instanceof joseErrors.JWTExpired) throw unauthenticated('The bearer token has expired: log in again');
    throw unauthenticated('The bearer token is not valid');
  }
}

/** Turns a proven user id into the viewer, with the role as the database has it now. */
export function toViewer(user: UserRecord | null): Viewer {
  if (!user) throw unauthenticated('The account of this bearer token no longer exists');
  return { id: user.id, role: user.role };
}

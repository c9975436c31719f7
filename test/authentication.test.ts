import { SignJWT } from 'jose';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { signToken, tokenKey, userIdFromAuthorization } from '../resolvers/auth.js';
import { truncateAll } from './helpers/databases.js';
import { insertUser } from './helpers/fixtures.js';
import { startGateway, type TestGateway } from './helpers/gateway.js';

const SECRET = 'test-secret-that-is-long-enough-to-sign';

describe('bearer tokens', () => {
  let gateway: TestGateway;
  let ada: number;
  beforeAll(async () => {
    gateway = await startGateway({ AUTH_SECRET: SECRET });
  });
  afterAll(() => gateway?.close());
  beforeEach(async () => {
    await truncateAll(gateway.database.db, 'sqlite');
    ada = await insertUser(gateway.database.db, { username: 'ada', role: 'ADMIN' });
  });

  const viewer = (authorization?: string) => gateway.query('{ viewer { username role email } }', {}, authorization ? { authorization } : {});

  it('signs the viewer in from a valid token, with the role the database holds', async () => {
    const token = await signToken(tokenKey(SECRET), { id: ada });
    const { status, body } = await viewer(`Bearer ${token}`);
    expect(status).toBe(200);
    expect(body.data.viewer).toEqual({ username: 'ada', role: 'ADMIN', email: 'ada@example.com' });
  });

  it('is anonymous without an Authorization header', async () => {
    const { body } = await viewer();
    expect(body.data.viewer).toBeNull();
  });

  it.each([
    ['a token signed with another secret', async () => signToken(tokenKey('another-secret-that-is-long-enough!!'), { id: 1 })],
    [
      'a tampered payload',
      async () => {
        const [header, , signature] = (await signToken(tokenKey(SECRET), { id: 1 })).split('.');
        return `${header}.${Buffer.from(JSON.stringify({ sub: '2', iss: 'gatherql', aud: 'gatherql', exp: 9999999999 })).toString('base64url')}.${signature}`;
      },
    ],
    ['an expired token', async () => signToken(tokenKey(SECRET), { id: 1 }, -10)],
    ['an unsigned token', async () => `${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from('{"sub":"1"}').toString('base64url')}.`],
    [
      'a token of another algorithm',
      async () =>
        new SignJWT({})
          .setProtectedHeader({ alg: 'HS512' })
          .setSubject('1')
          .setIssuer('gatherql')
          .setAudience('gatherql')
          .setExpirationTime('1h')
          .sign(tokenKey(SECRET).secret),
    ],
    ['garbage', async () => 'not.a.token'],
  ])('refuses %s with UNAUTHENTICATED and HTTP 401', async (_name, makeToken) => {
    const { status, body, headers } = await viewer(`Bearer ${await makeToken()}`);
    expect(status).toBe(401);
    expect(headers.get('www-authenticate')).toBe('Bearer');
    expect(body.data ?? null).toBeNull();
    expect(body.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
  });

  it('refuses an Authorization header that is not a bearer token', async () => {
    const { status, body } = await viewer('Basic YWRhOnB3');
    expect(status).toBe(401);
    expect(body.errors?.[0]?.message).toMatch(/Bearer <token>/);
  });

  it('refuses the token of an account that no longer exists', async () => {
    const token = await signToken(tokenKey(SECRET), { id: ada });
    await gateway.database.db.deleteFrom('users').where('id', '=', ada).execute();
    const { status, body } = await viewer(`Bearer ${token}`);
    expect(status).toBe(401);
    expect(body.errors?.[0]?.message).toMatch(/no longer exists/);
  });
});

describe('tokens verified lately', () => {
  const refusal = (key: ReturnType<typeof tokenKey>, token: string) =>
    userIdFromAuthorization(key, `Bearer ${token}`).then(
      () => 'accepted',
      (error: Error) => error.message,
    );

  it('answers a token verified before without verifying it again, and only with the key that verified it', async () => {
    const key = tokenKey(SECRET);
    const token = await signToken(key, { id: 7 });
    expect(await userIdFromAuthorization(key, `Bearer ${token}`)).toBe(7);
    // Another gateway's key has its own list: the token is not its to accept.
    expect(await refusal(tokenKey('another-secret-that-is-long-enough!!'), token)).toBe('The bearer token is not valid');
    // With the secret's bytes changed, only the list can still accept this token; a new one is verified and refused.
    key.secret.fill(0);
    expect(await userIdFromAuthorization(key, `Bearer ${token}`)).toBe(7);
    expect(await refusal(key, await signToken(tokenKey(SECRET), { id: 8 }))).toBe('The bearer token is not valid');
  });

  it('keeps no refused token, and a kept token no longer than until it expires', async () => {
    const key = tokenKey(SECRET);
    const [header, payload] = (await signToken(key, { id: 1 })).split('.');
    const forged = `${header}.${payload}.${'A'.repeat(43)}`;
    expect(await refusal(key, forged)).toBe('The bearer token is not valid');
    expect(key.verified.size).toBe(0);
    const token = await signToken(key, { id: 9 }, 1);
    expect(await userIdFromAuthorization(key, `Bearer ${token}`)).toBe(9);
    // Once its second is over, it has expired, kept or not. A timer may fire a little before
    // the wall clock gets there: wait until the wall clock says so.
    const exp = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()).exp as number;
    while (Date.now() < exp * 1000) await new Promise((resolve) => setTimeout(resolve, exp * 1000 - Date.now() + 1));
    expect(await refusal(key, token)).toBe('The bearer token has expired: log in again');
  });
});

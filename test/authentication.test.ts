import { SignJWT } from 'jose';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { signToken, tokenKey } from '../resolvers/auth.js';
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
          .sign(tokenKey(SECRET)),
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

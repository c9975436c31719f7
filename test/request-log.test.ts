import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signToken, tokenKey } from '../resolvers/auth.js';
import { insertUser } from './helpers/fixtures.js';
import { startGateway, type TestGateway } from './helpers/gateway.js';
import { type HttpGateway, serveOverHttp } from './helpers/http.js';
import { captureLogs, type LogCapture } from './helpers/log-capture.js';

const AUTH_SECRET = 'test-secret-that-is-long-enough-to-sign';
const PASSWORD = 'hunter2-correct-horse-battery';
const INLINE = 'inline-literal-secret';

const requestLines = (logs: LogCapture, requestId: string) => logs.lines().filter((line) => line.msg === 'request' && line.requestId === requestId);

describe('request log over real HTTP', () => {
  let logs: LogCapture;
  let gateway: TestGateway;
  let http: HttpGateway;
  let token: string;
  let adaId: number;
  beforeAll(async () => {
    logs = captureLogs('trace');
    gateway = await startGateway({ RATE_LIMIT_PER_MINUTE: '0', AUTH_SECRET }, { logger: logs.logger });
    adaId = await insertUser(gateway.database.db, { username: 'ada' });
    token = await signToken(tokenKey(AUTH_SECRET), { id: adaId });
    http = await serveOverHttp(gateway);
  });
  afterAll(async () => {
    await http?.close();
    await gateway?.close();
  });

  it('writes one info line per request with id, operation, status, duration, errors and client', async () => {
    const response = await http.post('query LatestPosts { posts(first: 1) { totalCount } }');
    expect(response.status).toBe(200);
    const [line, ...more] = requestLines(logs, response.headers.get('x-request-id')!);
    expect(more).toEqual([]);
    expect(line).toMatchObject({ level: 30, method: 'POST', path: '/graphql', operationName: 'LatestPosts', status: 200, errors: 0, client: 'ip:127.0.0.1' });
    expect(line!.durationMs).toBeGreaterThanOrEqual(0);
  });

  it('names a signed-in client by user id, and counts the GraphQL errors of a failed request', async () => {
    const signedIn = await http.post('{ viewer { username } }', {}, { authorization: `Bearer ${token}` });
    expect(requestLines(logs, signedIn.headers.get('x-request-id')!)[0]).toMatchObject({ client: `user:${adaId}`, operationName: null, errors: 0 });

    const invalid = await http.post('{ nope }');
    expect(invalid.status).toBe(400);
    expect(requestLines(logs, invalid.headers.get('x-request-id')!)[0]).toMatchObject({ status: 400, errors: 1 });
  });

  it('names every operation of a batch', async () => {
    const response = await fetch(`${http.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify([{ query: 'query A { __typename }' }, { query: '{ __typename }' }, { query: 'query C { __typename }' }]),
    });
    expect(response.status).toBe(200);
    expect(requestLines(logs, response.headers.get('x-request-id')!)[0]).toMatchObject({ operationName: 'A,anonymous,C' });
  });

  it('logs probes and scrapes too, at debug', async () => {
    const health = await fetch(`${http.url}/health`);
    const metrics = await fetch(`${http.url}/metrics`);
    await metrics.text();
    expect(requestLines(logs, health.headers.get('x-request-id')!)).toEqual([expect.objectContaining({ level: 20, path: '/health', status: 200 })]);
    expect(requestLines(logs, metrics.headers.get('x-request-id')!)).toEqual([expect.objectContaining({ level: 20, path: '/metrics' })]);
  });

  it('never writes the Authorization header, tokens, variables or the query text', async () => {
    await http.post('query Find($name: String!) { userByUsername(username: $name) { id } }', { name: PASSWORD }, { authorization: `Bearer ${token}` });
    await http.post(
      'query Find($name: String!) { userByUsername(username: $name) { id } }',
      { name: PASSWORD, password: PASSWORD },
      { authorization: 'Bearer not-a-valid-token-but-still-a-secret' },
    );
    await http.post(`{ userByUsername(username: "${INLINE}") { id } }`);
    const text = logs.text();
    expect(text).toContain('"operationName":"Find"');
    for (const secret of [PASSWORD, token, token.split('.')[2]!, 'not-a-valid-token-but-still-a-secret', INLINE]) {
      expect(text).not.toContain(secret);
    }
    expect(text.toLowerCase()).not.toContain('authorization');
  });
});

describe('unexpected errors in the log', () => {
  let logs: LogCapture;
  let gateway: TestGateway;
  let token: string;
  beforeAll(async () => {
    logs = captureLogs('info');
    gateway = await startGateway({ RATE_LIMIT_PER_MINUTE: '0', AUTH_SECRET }, { logger: logs.logger });
    token = await signToken(tokenKey(AUTH_SECRET), { id: await insertUser(gateway.database.db, { username: 'ada' }) });
    // A broken database: every statement from now on fails with an error nobody expected.
    await gateway.database.close();
  });
  afterAll(() => gateway?.close());

  it.each([
    // A field error leaves the rest of the result (data with a null); a context error fails the whole request.
    ['in a resolver', {}, 200],
    ['while building the context', { authorization: 'Bearer TOKEN' }, 500],
  ])('masks one %s for the client and logs it once, with its stack and the request id', async (_where, headers, expectedStatus) => {
    const withToken = Object.fromEntries(Object.entries(headers).map(([name, value]) => [name, value.replace('TOKEN', token)]));
    const {
      status,
      headers: responseHeaders,
      body,
    } = await gateway.query('mutation Q($secret: String!) { logIn(username: "ada", password: $secret) { __typename } }', { secret: PASSWORD }, withToken);
    expect(body.errors).toEqual([
      expect.objectContaining({ message: 'Unexpected error.', extensions: expect.objectContaining({ code: 'INTERNAL_SERVER_ERROR' }) }),
    ]);
    expect(JSON.stringify(body)).not.toMatch(/destroyed|at .*\.js/);
    expect(status).toBe(expectedStatus);

    const requestId = responseHeaders.get('x-request-id')!;
    const errors = logs.lines().filter((line) => line.level === 50 && line.requestId === requestId);
    expect(errors).toHaveLength(1);
    expect(errors[0]!.msg).toMatch(/^unexpected error: /);
    expect(errors[0]!.err.stack).toMatch(/\n\s+at /);
    expect(requestLines(logs, requestId)[0]).toMatchObject({ errors: 1 });
    expect(logs.text()).not.toContain(PASSWORD);
    expect(logs.text()).not.toContain(token);
  });

  it('logs expected errors (a bad token) below error level', async () => {
    const { status, headers } = await gateway.query('{ viewer { id } }', {}, { authorization: 'Bearer nonsense' });
    expect(status).toBe(401);
    expect(logs.lines().filter((line) => line.level >= 40 && line.requestId === headers.get('x-request-id'))).toEqual([]);
  });
});

import { connect } from 'node:net';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_AUTH_SECRET } from './helpers/auth.js';
import { useHttpGateway } from './helpers/http.js';
import { startServerProcess, type ServerProcess } from './helpers/server-process.js';

// Malformed HTTP around a GraphQL request: whatever arrives, the answer is the client's
// error (4xx, or a GraphQL error that is not masked), never a 5xx. The body-level limits
// (size, batch, depth, cost, malformed JSON, content type) are in query-limits.test.ts.

const suite = useHttpGateway();

const send = async (path: string, init: RequestInit = {}) => {
  const response = await fetch(`${suite.http.url}${path}`, init);
  return { status: response.status, text: await response.text() };
};
const form = (body: string) => ({ method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body });

describe('malformed GraphQL-over-HTTP requests', () => {
  it.each([
    ['GET with variables that are not JSON', '/graphql?query=%7B__typename%7D&variables=%7Bbad', {}, 400],
    ['GET with extensions that are not JSON', '/graphql?query=%7B__typename%7D&extensions=nope', {}, 400],
    ['a form body with variables that are not JSON', '/graphql', form('query=%7B__typename%7D&variables=%7B'), 400],
    ['a form body with extensions that are not JSON', '/graphql', form('query=%7B__typename%7D&extensions=%5B'), 400],
  ])('answers %s with 400 BAD_REQUEST', async (_name, path, init, status) => {
    const { status: got, text } = await send(path, init);
    expect(got).toBe(status);
    expect(JSON.parse(text).errors).toEqual([expect.objectContaining({ extensions: { code: 'BAD_REQUEST' } })]);
  });

  it.each([
    ['a mutation over GET', 405, '/graphql?query=mutation%7BlogIn(username:%22a%22,password:%22b%22)%7B__typename%7D%7D', {}],
    ['PUT', 405, '/graphql', { method: 'PUT', headers: { 'content-type': 'application/json' }, body: '{"query":"{__typename}"}' }],
    ['a JSON body that is null', 400, '/graphql', { method: 'POST', headers: { 'content-type': 'application/json' }, body: 'null' }],
    ['a batch with a null operation', 400, '/graphql', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '[null]' }],
    [
      'a batch with a number for an operation',
      400,
      '/graphql',
      { method: 'POST', headers: { 'content-type': 'application/json' }, body: '[{"query":"{__typename}"},1]' },
    ],
    ['a query that is not a string', 400, '/graphql', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"query":42}' }],
    [
      'a __proto__ parameter',
      400,
      '/graphql',
      { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"query":"{__typename}","__proto__":{"a":1}}' },
    ],
    ['multipart that is not multipart', 400, '/graphql', { method: 'POST', headers: { 'content-type': 'multipart/form-data; boundary=b' }, body: 'garbage' }],
    [
      'bytes that are not UTF-8',
      400,
      '/graphql',
      { method: 'POST', headers: { 'content-type': 'application/json' }, body: new Uint8Array([0xff, 0xfe, 0, 0x7b]) },
    ],
    [
      'an Accept the server cannot produce',
      406,
      '/graphql',
      { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/xml' }, body: '{"query":"{__typename}"}' },
    ],
    ['a 100 kB query string', 431, `/graphql?query=${'a'.repeat(100_000)}`, {}],
    ['a documentId that is a number', 400, '/graphql', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"documentId":7}' }],
    [
      'a documentId that is an object',
      400,
      '/graphql',
      { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"documentId":{"__proto__":{"a":1}}}' },
    ],
    ['an unknown documentId', 404, '/graphql', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"documentId":"sha256:00"}' }],
    [
      'a documentId of 500 kB',
      404,
      '/graphql',
      { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ documentId: 'a'.repeat(500_000) }) },
    ],
    ['a documentId that names a property of every object', 404, '/graphql?documentId=constructor', {}],
    [
      'a persistedQuery that is a string',
      400,
      '/graphql',
      { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"extensions":{"persistedQuery":"abc"}}' },
    ],
  ])('answers %s with %i', async (_name, status, path, init) => {
    expect((await send(path, init as RequestInit)).status).toBe(status);
  });
});

describe('any request to /graphql', () => {
  const jsonText = fc.jsonValue({ maxDepth: 2 }).map((value) => JSON.stringify(value));
  const param = fc.oneof(fc.string({ maxLength: 40 }), jsonText, fc.constantFrom('{', '[', '{ __typename }', '{ posts(first: 1) { totalCount } }'));
  const documentId = fc.oneof(
    fc.string({ maxLength: 70 }),
    fc.constantFrom('__proto__', 'sha256:', `sha256:${'0'.repeat(64)}`, '7b468078ad55684ff703ab3db0c54aa3ec3c68aa529be8b844a9f5b28b5cf750'),
  );
  const params = fc.dictionary(
    fc.constantFrom('query', 'variables', 'operationName', 'extensions', 'operations', 'map', 'documentId'),
    fc.oneof(param, documentId),
    { maxKeys: 4 },
  );
  const body = fc.oneof(
    fc.string({ unit: 'binary', maxLength: 200 }),
    jsonText,
    params.map((fields) => JSON.stringify(fields)),
    params.map((fields) => new URLSearchParams(fields).toString()),
  );
  const contentType = fc.constantFrom(
    'application/json',
    'application/graphql',
    'application/x-www-form-urlencoded',
    'multipart/form-data; boundary=b',
    'text/plain',
    'application/json; charset=latin1',
    undefined,
  );
  const accept = fc.constantFrom('application/json', 'application/graphql-response+json', '*/*', 'text/event-stream', 'multipart/mixed', 'text/html');

  it('gets a 4xx or a GraphQL answer, never a 5xx or a masked error, whatever its method, type, query string and body', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom('GET', 'POST'), contentType, accept, params, body, async (method, type, acceptType, query, payload) => {
        const { status, text } = await send(`/graphql?${new URLSearchParams(query)}`, {
          method,
          headers: { accept: acceptType, ...(type ? { 'content-type': type } : {}) },
          ...(method === 'POST' ? { body: payload } : {}),
        });
        expect(status).toBeLessThan(500);
        // Streamed answers (event-stream, multipart) are 200 whatever happened: read the body too.
        expect(text).not.toContain('INTERNAL_SERVER_ERROR');
      }),
      { numRuns: 300 },
    );
  });
});

describe('a Host header that is not a host, against server.ts', () => {
  let server: ServerProcess;
  beforeAll(async () => {
    server = await startServerProcess({ DATABASE_URL: ':memory:', AUTH_SECRET: TEST_AUTH_SECRET, RATE_LIMIT_PER_MINUTE: '0' });
  });
  afterAll(() => server?.stop());

  /** Sends one request with the Host header as given (fetch would refuse to), and reads the status line and body. */
  const raw = (host: string, path = '/graphql') =>
    new Promise<{ status: number; text: string }>((resolve, reject) => {
      const { port } = new URL(server.url);
      const socket = connect(Number(port), '127.0.0.1');
      const body = '{"query":"{ __typename }"}';
      socket.write(
        `POST ${path} HTTP/1.1\r\nHost: ${host}\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`,
      );
      let text = '';
      socket.on('data', (chunk) => (text += chunk));
      socket.on('error', reject);
      socket.on('end', () => resolve({ status: Number(text.split(' ')[1]), text }));
    });

  it.each(['a b', 'x:99999', '[::1', 'undefined:undefined', '%%'])('answers Host %j with 400 and no stack trace', async (host) => {
    for (const path of ['/graphql', '/health']) {
      const { status, text } = await raw(host, path);
      expect(status).toBe(400);
      expect(text).toContain('BAD_REQUEST');
      expect(text).toMatch(/\r\nx-request-id: [0-9a-f-]{36}\r\n/i);
      expect(text).not.toMatch(/\bat .*(\.js|\.ts)|node_modules|Invalid URL/);
    }
    expect((await raw('gatherql.example:8080')).status).toBe(200);
  });
});

describe('GraphQL at its endpoint path alone', () => {
  const limited = useHttpGateway(() => ({ RATE_LIMIT_PER_MINUTE: '2' }));
  const post = (path: string) =>
    fetch(`${limited.http.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"query":"{ __typename }"}' });

  it('answers 404 where Yoga would also serve GraphQL but the rate limit would not see it, and counts nothing there', async () => {
    for (const path of ['/graphql/', '//graphql', '/x?a=/graphql', '/graphql/?query=x', '/health/graphql']) {
      const response = await post(path);
      expect(response.status, path).toBe(404);
      expect((await response.json()).errors[0].extensions.code).toBe('NOT_FOUND');
      // The headers every response carries.
      expect(response.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
      expect(response.headers.get('server-timing')).toMatch(/^total;dur=\d+\.\d\d$/);
      expect(response.headers.get('x-processing-time')).toMatch(/^\d+\.\d+s$/);
    }
    const named = await fetch(`${limited.http.url}/graphql/`, { method: 'POST', headers: { 'x-request-id': 'trace-42' }, body: '{}' });
    expect(named.headers.get('x-request-id')).toBe('trace-42');
    // The client's two points of the minute are all still there, and then spent.
    expect((await post('/graphql')).status).toBe(200);
    expect((await post('/graphql')).status).toBe(200);
    expect((await post('/graphql')).status).toBe(429);
  });
});

import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { parse } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorCodes, execute, type ExecuteOptions, TransportError } from '../client/execute.js';
import { LatestPostsDocument } from '../client/generated/graphql.js';
import { startGateway, type TestGateway } from './helpers/gateway.js';

describe('client/execute.ts', () => {
  let gateway: TestGateway;
  let options: ExecuteOptions;
  beforeAll(async () => {
    gateway = await startGateway({}, { seed: true });
    options = { url: 'http://gatherql.test/graphql', fetch: async (input, init) => gateway.yoga.fetch(new Request(input, init)) };
  });
  afterAll(() => gateway?.close());

  it('returns the typed data of a generated document', async () => {
    const result = await execute(LatestPostsDocument, { first: 2 }, options);
    expect(result.status).toBe(200);
    expect(result.errors).toEqual([]);
    // Typed access, no casts: a field missing from the operation would not compile.
    const [first, second] = result.data!.posts.edges.map((edge) => edge.node);
    expect(first).toMatchObject({ title: 'On GraphQL, part 5', author: { username: 'margaret', displayName: 'Margaret Hamilton' } });
    expect(second!.createdAt < first!.createdAt).toBe(true);
    expect(result.data!.posts.totalCount).toBe(24);
  });

  it('pages with the cursor it was given', async () => {
    const page = await execute(LatestPostsDocument, { first: 2 }, options);
    const next = await execute(LatestPostsDocument, { first: 2, after: page.data!.posts.pageInfo.endCursor }, options);
    expect(next.data!.posts.edges[0]!.node.title).toBe('On batching, part 5');
  });

  it('resolves with request errors and their codes rather than throwing', async () => {
    const invalid = await execute(LatestPostsDocument, { after: 'not-a-cursor' }, options);
    expect(invalid.data).toBeNull();
    expect(errorCodes(invalid)).toEqual(['BAD_USER_INPUT']);
    expect(invalid.errors[0]!.path).toEqual(['posts']);

    const anonymous = await execute(LatestPostsDocument, {}, { ...options, token: 'tampered' });
    expect(anonymous.status).toBe(401);
    expect(errorCodes(anonymous)).toEqual(['UNAUTHENTICATED']);

    const unknownField = parse('{ nope }') as TypedDocumentNode<{ nope: string }, Record<string, never>>;
    const rejected = await execute(unknownField, {}, options);
    expect(rejected.status).toBe(400);
    expect(rejected.data).toBeNull();
    expect(rejected.errors[0]!.message).toMatch(/nope/);
  });

  it.each([
    ['a refused connection', () => Promise.reject(new TypeError('fetch failed', { cause: new Error('connect ECONNREFUSED') })), 'network', null],
    ['an HTML error page', async () => new Response('<h1>Bad gateway</h1>', { status: 502, headers: { 'content-type': 'text/html' } }), 'http', 502],
    ['malformed JSON', async () => new Response('{"data":', { headers: { 'content-type': 'application/json' } }), 'bad-response', 200],
    ['JSON that is not GraphQL', async () => Response.json({ ok: true }), 'bad-response', 200],
  ] as const)('throws a TransportError on %s', async (_name, fetch, kind, status) => {
    const failure = execute(LatestPostsDocument, {}, { url: 'http://gatherql.test/graphql', fetch });
    await expect(failure).rejects.toBeInstanceOf(TransportError);
    await expect(failure).rejects.toMatchObject({ kind, status });
  });

  it('gives up after timeoutMs with a TransportError of kind timeout', async () => {
    const hang: typeof fetch = (_input, init) =>
      new Promise((_resolve, reject) => init!.signal!.addEventListener('abort', () => reject(init!.signal!.reason)));
    await expect(execute(LatestPostsDocument, {}, { url: 'http://gatherql.test/graphql', fetch: hang, timeoutMs: 50 })).rejects.toMatchObject({
      name: 'TransportError',
      kind: 'timeout',
    });
  });
});

import { getIntrospectionQuery } from 'graphql';
import { createSchema, createYoga } from 'graphql-yoga';
import { describe, expect, it } from 'vitest';
import { QUERY_LIMIT_DEFAULTS, useQueryLimits } from '../plugins/use-query-limits.js';
import { useHttpGateway } from './helpers/http.js';

const tooComplex = (limit: string) =>
  expect.objectContaining({
    message: expect.stringContaining(`the ${limit} limit is`),
    extensions: expect.objectContaining({ code: 'QUERY_TOO_COMPLEX', limit }),
  });

/** `{ posts(first: 1) { edges { node { author { posts(first: 1) { … } } } } } }`, exactly `depth` fields deep counting the leaf. */
function nested(depth: number): string {
  const cycle = ['posts(first: 1)', 'edges', 'node', 'author'];
  const leafOf = ['totalCount', 'cursor', 'id', 'id']; // a scalar of the type the innermost field returns
  const wrappers = depth - 1;
  let query = leafOf[(wrappers - 1) % 4]!;
  for (let level = wrappers - 1; level >= 0; level--) query = `${cycle[level % 4]} { ${query} }`;
  return `{ ${query} }`;
}

describe('query limits on the gateway (real HTTP)', () => {
  const suite = useHttpGateway();

  const post = async (query: string, variables?: Record<string, unknown>) => {
    const response = await suite.http.post(query, variables);
    return { status: response.status, body: (await response.json()) as any };
  };

  it.each([
    ['the contract N+1 query', '{ posts(first: 50) { edges { node { author { posts(first: 5) { edges { node { title } } } } } } } }'],
    [
      'a wide page of posts with authors and their posts',
      `{ posts(first: 50) { totalCount pageInfo { hasNextPage endCursor } edges { cursor node { id title content published createdAt updatedAt
        author { id username displayName bio role createdAt postCount posts(first: 5) { totalCount pageInfo { hasNextPage endCursor } edges { cursor node { id title createdAt published } } } } } } } }`,
    ],
    [
      '100 users with 10 posts each',
      '{ users(first: 100) { totalCount edges { node { id username email displayName bio role createdAt postCount posts(first: 10) { totalCount edges { node { id title content createdAt author { username } } } } } } } }',
    ],
    [
      'the introspection query of GraphiQL',
      getIntrospectionQuery({ descriptions: true, specifiedByUrl: true, directiveIsRepeatable: true, schemaDescription: true, inputValueDeprecation: true }),
    ],
    [
      'a fragment-heavy query 10 levels deep',
      `query { ...Q } fragment Q on Query { posts(first: 20) { ...C } }
       fragment C on PostConnection { edges { node { ...P } } } fragment P on Post { title author { ...U } }
       fragment U on User { username posts(first: 3) { edges { node { title author { username } } } } }`,
    ],
    [
      '30 aliases and 50 directives',
      `query($yes: Boolean = true) { ${Array.from({ length: 30 }, (_, i) => `a${i}: viewer { id @include(if: $yes) }`).join(' ')}
       posts(first: 1) { edges { node { ${'title @include(if: $yes) '.repeat(20)} } } } }`,
    ],
  ])('lets %s through', async (_name, query) => {
    const { status, body } = await post(query);
    expect(body.errors).toBeUndefined();
    expect(status).toBe(200);
  });

  it('stops a 60-level query with QUERY_TOO_COMPLEX naming the depth limit, before running it', async () => {
    const { status, body } = await post(nested(60));
    expect(status).toBe(400);
    expect(body.data).toBeUndefined();
    expect(body.errors).toContainEqual(tooComplex('depth'));
    expect(body.errors.find((e: any) => e.extensions.limit === 'depth').message).toBe(
      `Query too complex: the depth limit is ${QUERY_LIMIT_DEFAULTS.maxDepth} (found 60)`,
    );
  });

  it('lets 12 levels through and stops 13', async () => {
    expect((await post(nested(12))).status).toBe(200);
    expect((await post(nested(13))).body.errors).toContainEqual(tooComplex('depth'));
  });

  it('stops 300 aliased fields', async () => {
    const query = `{ ${Array.from({ length: 300 }, (_, i) => `p${i}: posts(first: 1) { totalCount }`).join(' ')} }`;
    const { status, body } = await post(query);
    expect(status).toBe(400);
    expect(body.errors[0].extensions.code).toBe('QUERY_TOO_COMPLEX');
    expect(body.errors[0].message).toMatch(/the (tokens|aliases) limit is \d+/);
  });

  it('stops 31 aliases of a cheap field by the alias limit', async () => {
    const { body } = await post(`{ ${Array.from({ length: 31 }, (_, i) => `v${i}: viewer { id }`).join(' ')} }`);
    expect(body.errors).toEqual([tooComplex('aliases')]);
    expect(body.errors[0].message).toBe('Query too complex: the aliases limit is 30 (found 31)');
  });

  it('lets aliases of __typename through: it costs nothing to resolve, and the token limit bounds how many fit', async () => {
    const { status, body } = await post(`{ ${Array.from({ length: 500 }, (_, i) => `t${i}: __typename`).join(' ')} }`);
    expect(status).toBe(200);
    expect(Object.keys(body.data)).toHaveLength(500);
  });

  it('stops a document of too many tokens while parsing', async () => {
    const { status, body } = await post(`{ ${'__typename '.repeat(2100)}}`);
    expect(status).toBe(400);
    expect(body.errors).toEqual([tooComplex('tokens')]);
  });

  it('stops too many directives', async () => {
    const { body } = await post(`{ ${'__typename @include(if: true) '.repeat(51)}}`);
    expect(body.errors).toContainEqual(tooComplex('directives'));
  });

  it('stops a nested pagination bomb by its cost', async () => {
    const { body } = await post('{ posts(first: 100) { edges { node { author { posts(first: 100) { edges { node { author { username } } } } } } } } }');
    expect(body.errors).toEqual([tooComplex('cost')]);
    expect(body.errors[0].extensions.found).toBeGreaterThan(QUERY_LIMIT_DEFAULTS.maxCost);
  });

  it('counts a page size given by a variable as the size it has: the same bomb through $n is refused, the same query with small pages runs', async () => {
    const bomb =
      'query ($n: Int, $m: Int = 100) { posts(first: $n) { edges { node { author { posts(first: $m) { edges { node { author { username } } } } } } } } }';
    const refused = await post(bomb, { n: 100 });
    expect(refused.status).toBe(400);
    expect(refused.body.errors).toEqual([tooComplex('cost')]);
    expect(refused.body.errors[0].extensions.found).toBeGreaterThan(QUERY_LIMIT_DEFAULTS.maxCost);
    expect(refused.body.data).toBeUndefined();
    // The same document with small pages, and again with the bomb's sizes: each verdict is the sizes'.
    const small = await post(bomb, { n: 2, m: 2 });
    expect(small.status).toBe(200);
    expect(small.body.errors).toBeUndefined();
    expect((await post(bomb, { n: 100 })).status).toBe(400);
    // The shipped client's page of posts passes its size as a variable too.
    const latest = await post('query Latest($first: Int = 10) { posts(first: $first) { edges { node { title author { username } } } } }', { first: 50 });
    expect(latest.body.errors).toBeUndefined();
  });

  // A hostile client picks its own Accept header: a refusal must be a 4xx for every one of them.
  it.each([
    ['depth', nested(13)],
    ['aliases', `{ ${Array.from({ length: 31 }, (_, i) => `v${i}: viewer { id }`).join(' ')} }`],
    ['tokens', `{ ${'__typename '.repeat(2100)}}`],
    ['directives', `{ ${'__typename @include(if: true) '.repeat(51)}}`],
    ['cost', '{ posts(first: 100) { edges { node { author { posts(first: 100) { edges { node { author { username } } } } } } } } }'],
  ])('refuses a query over the %s limit with HTTP 400 whatever the Accept header', async (limit, query) => {
    for (const accept of ['application/json', 'application/graphql-response+json', '*/*', undefined]) {
      const response = await fetch(`${suite.http.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(accept && { accept }) },
        body: JSON.stringify({ query }),
      });
      expect(response.status).toBe(400);
      expect(((await response.json()) as any).errors).toContainEqual(tooComplex(limit));
    }
  });

  it('answers a body over the limit with 413 before parsing it, with or without Content-Length', async () => {
    const big = JSON.stringify({ query: '{ __typename }', variables: { pad: 'x'.repeat(QUERY_LIMIT_DEFAULTS.maxBodyBytes) } });
    const declared = await fetch(`${suite.http.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: big });
    expect(declared.status).toBe(413);
    expect(((await declared.json()) as any).errors[0]).toMatchObject({
      message: `Request body too large: the limit is ${QUERY_LIMIT_DEFAULTS.maxBodyBytes} bytes`,
      extensions: { code: 'BAD_USER_INPUT' },
    });

    // Chunked: no Content-Length, so only counting the bytes read can stop it.
    const bytes = new TextEncoder().encode(big);
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let i = 0; i < bytes.length; i += 64 * 1024) controller.enqueue(bytes.slice(i, i + 64 * 1024));
        controller.close();
      },
    });
    const chunked = await fetch(`${suite.http.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: stream,
      duplex: 'half',
    } as RequestInit);
    expect(chunked.status).toBe(413);
    expect(((await chunked.json()) as any).errors[0].extensions.code).toBe('BAD_USER_INPUT');

    const justUnder = JSON.stringify({ query: '{ __typename }', variables: { pad: 'x'.repeat(QUERY_LIMIT_DEFAULTS.maxBodyBytes - 100) } });
    expect((await fetch(`${suite.http.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: justUnder })).status).toBe(200);
  });

  it('caps batched operations', async () => {
    const batch = (n: number) =>
      fetch(`${suite.http.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(Array.from({ length: n }, () => ({ query: '{ __typename }' }))),
      });
    const ok = await batch(QUERY_LIMIT_DEFAULTS.maxBatch);
    expect(ok.status).toBe(200);
    expect(await ok.json()).toHaveLength(QUERY_LIMIT_DEFAULTS.maxBatch);

    const over = await batch(QUERY_LIMIT_DEFAULTS.maxBatch + 1);
    expect(over.status).toBe(413);
    expect(((await over.json()) as any).errors[0]).toMatchObject({
      message: `Too many operations in one batch: the limit is ${QUERY_LIMIT_DEFAULTS.maxBatch}, found ${QUERY_LIMIT_DEFAULTS.maxBatch + 1}`,
      extensions: { code: 'BAD_USER_INPUT' },
    });
  });

  it.each([
    ['malformed JSON', { 'content-type': 'application/json' }, '{"query": "{ __typename }"', 400],
    ['a wrong content type', { 'content-type': 'text/plain' }, '{ __typename }', 415],
    ['no query', { 'content-type': 'application/json' }, '{}', 400],
  ])('still answers %s with the spec 4xx', async (_name, headers, body, expected) => {
    const response = await fetch(`${suite.http.url}/graphql`, { method: 'POST', headers: { accept: 'application/graphql-response+json', ...headers }, body });
    expect(response.status).toBe(expected);
    // Never an empty body: the client learns what went wrong.
    expect(((await response.json()) as { errors: unknown[] }).errors).toHaveLength(1);
  });

  it('says which media type to send when a POST body is text/plain', async () => {
    const response = await fetch(`${suite.http.url}/graphql`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: '{ __typename }' });
    expect(response.status).toBe(415);
    expect(await response.json()).toEqual({
      errors: [
        { message: 'POST the operation as JSON (content-type: application/json); this body is text/plain', extensions: { code: 'UNSUPPORTED_MEDIA_TYPE' } },
      ],
    });
  });
});

describe('query limits on a field like the contract weather', () => {
  // The contract's weather field, on a schema of its own: the limits must hold for it too.
  const yoga = createYoga({
    schema: createSchema({
      typeDefs: `
        type Query { weather(cities: [String!]!): [WeatherResult!]! }
        union WeatherResult = CityWeather | WeatherError
        type Location { name: String! country: String latitude: Float! longitude: Float! timezone: String }
        type CityWeather { city: String! location: Location! temperatureC: Float! windSpeedKmh: Float! weatherCode: Int! conditions: String! observedAt: String! stale: Boolean! }
        type WeatherError { city: String! code: String! message: String! }`,
      resolvers: {
        Query: { weather: (_: unknown, { cities }: { cities: string[] }) => cities.map((city) => ({ city, code: 'CITY_NOT_FOUND', message: 'no' })) },
        WeatherResult: { __resolveType: () => 'WeatherError' },
      },
    }),
    plugins: [useQueryLimits()],
  });
  const run = async (query: string) => {
    const response = await yoga.fetch('http://yoga/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json' },
      body: JSON.stringify({ query }),
    });
    return { status: response.status, body: (await response.json()) as any };
  };
  const selection =
    '{ __typename ... on CityWeather { city temperatureC windSpeedKmh conditions observedAt stale location { name country latitude longitude timezone } } ... on WeatherError { city code message } }';

  it('lets a 50-city query through', async () => {
    const cities = Array.from({ length: 50 }, (_, i) => `"City number ${i}"`).join(', ');
    const { status, body } = await run(`{ weather(cities: [${cities}]) ${selection} }`);
    expect(body.errors).toBeUndefined();
    expect(status).toBe(200);
    expect(body.data.weather).toHaveLength(50);
  });

  it('stops 300 aliased weather fields', async () => {
    const { status, body } = await run(`{ ${Array.from({ length: 300 }, (_, i) => `w${i}: weather(cities: ["Paris"]) { __typename }`).join(' ')} }`);
    expect(status).toBe(400);
    expect(body.errors[0].extensions.code).toBe('QUERY_TOO_COMPLEX');
  });

  it('stops 31 aliased weather fields by the alias limit even when the document is small', async () => {
    const { body } = await run(`{ ${Array.from({ length: 31 }, (_, i) => `w${i}: weather(cities: ["Paris"]) { __typename }`).join(' ')} }`);
    expect(body.errors).toEqual([tooComplex('aliases')]);
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway, type TestGateway } from './helpers/gateway.js';

describe('GraphiQL', () => {
  let gateway: TestGateway;
  beforeAll(async () => {
    gateway = await startGateway();
  });
  afterAll(() => gateway?.close());

  it('is served to a browser at /graphql with every asset inline, nothing from a CDN', async () => {
    const response = await gateway.yoga.fetch('http://gatherql.test/graphql', { headers: { accept: 'text/html' } });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/text\/html/);
    const page = await response.text();
    expect(page).toContain('<title>gatherql</title>');
    expect(page.length).toBeGreaterThan(100_000); // the inlined GraphiQL bundle
    const external = [...page.matchAll(/<(?:script|link)[^>]+(?:src|href)=["'](https?:)?\/\/[^"']+/g)].map((m) => m[0]);
    expect(external).toEqual([]);
  });

  it('leaves introspection on', async () => {
    const { body } = await gateway.query('{ __schema { queryType { name } } __type(name: "Post") { fields { name } } }');
    expect(body.data.__schema.queryType.name).toBe('Query');
    expect(body.data.__type.fields.map((f: any) => f.name)).toContain('author');
  });
});

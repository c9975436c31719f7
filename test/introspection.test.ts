import { readFileSync } from 'node:fs';
import { buildClientSchema, getIntrospectionQuery, type IntrospectionQuery, lexicographicSortSchema, printSchema } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { schemaPath } from '../scripts/print-schema.js';
import { type ListeningGateway, startListeningGateway } from './helpers/listening-gateway.js';

describe('introspection of the running server', () => {
  let gateway: ListeningGateway;
  beforeAll(async () => {
    gateway = await startListeningGateway();
  });
  afterAll(() => gateway?.close());

  it('describes exactly the committed schema.graphql, which codegen and clients build on', async () => {
    const response = await fetch(gateway.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json' },
      body: JSON.stringify({ query: getIntrospectionQuery({ descriptions: true, specifiedByUrl: true, inputValueDeprecation: true }) }),
    });
    expect(response.status).toBe(200);
    const { data, errors } = (await response.json()) as { data?: IntrospectionQuery; errors?: unknown[] };
    expect(errors).toBeUndefined();
    const served = `${printSchema(lexicographicSortSchema(buildClientSchema(data!)))}\n`;
    expect(served).toBe(readFileSync(schemaPath, 'utf8'));
  });
});

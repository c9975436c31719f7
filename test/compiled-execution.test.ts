import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type GraphQLInputType,
  getNamedType,
  getNullableType,
  isEnumType,
  isInputObjectType,
  isListType,
  isNonNullType,
  Kind,
  parse,
  typeFromAST,
  type VariableDefinitionNode,
} from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { counterValue } from '../metrics.js';
import { schema } from '../schema/index.js';
import { type Simulator, startSimulator } from '../simulator/simulator.js';
import { as } from './helpers/auth.js';
import { toGlobalId } from './helpers/fixtures.js';
import { startGateway, type TestGateway } from './helpers/gateway.js';
import { type SuiteOperation, suiteOperations } from './helpers/suite-documents.js';
import { simulatorEnv, TEST_POLICY } from './helpers/weather.js';

// graphql-jit runs queries only when its answers are graphql-js's, byte for byte: every
// query the repository writes down is run on two gateways over the same data, one of each,
// and the two response bodies must be equal (data, errors with their locations and paths,
// field order, extensions).

const operations = suiteOperations(schema);
const queries = operations.filter((operation) => operation.kind === 'query');

/** Two sets of variable values per operation: plausible ones, and ones that make errors. */
type Flavour = 'plausible' | 'hostile';

function variablesFor(operation: SuiteOperation, flavour: Flavour): Record<string, unknown> {
  const document = parse(operation.document);
  const definition = document.definitions.find((d) => d.kind === Kind.OPERATION_DEFINITION && (d.name?.value ?? null) === operation.operationName);
  const variables: Record<string, unknown> = {};
  if (definition?.kind !== Kind.OPERATION_DEFINITION) return variables;
  for (const variable of definition.variableDefinitions ?? []) {
    const value = variableValue(variable, flavour);
    if (value !== undefined) variables[variable.variable.name.value] = value;
  }
  return variables;
}

function variableValue(variable: VariableDefinitionNode, flavour: Flavour): unknown {
  const type = typeFromAST(schema, variable.type) as GraphQLInputType | undefined;
  if (!type) return undefined;
  // A nullable variable with a default is best left to its default in the plausible set.
  if (flavour === 'plausible' && variable.defaultValue && !isNonNullType(type)) return undefined;
  return sample(type, variable.variable.name.value, flavour);
}

function sample(type: GraphQLInputType, name: string, flavour: Flavour): unknown {
  const nullable = getNullableType(type) as GraphQLInputType;
  if (isListType(nullable)) {
    const item = nullable.ofType as GraphQLInputType;
    if (/cit|name/i.test(name)) return flavour === 'plausible' ? ['Berlin', 'Atlantis', 'Paris', 'Lima'] : ['', 'Paris', ' '];
    return [sample(item, name, flavour), sample(item, name, flavour)];
  }
  const named = getNamedType(nullable);
  if (isEnumType(named)) return named.getValues()[0]!.value;
  if (isInputObjectType(named)) {
    const object: Record<string, unknown> = {};
    for (const [field, definition] of Object.entries(named.getFields())) object[field] = sample(definition.type, field, flavour);
    return object;
  }
  const hostile = flavour === 'hostile';
  switch (named.name) {
    case 'Int':
      return hostile ? -1 : 3;
    case 'Float':
      return hostile ? -1.5 : 1.5;
    case 'Boolean':
      return !hostile;
    case 'ID':
      return hostile ? 'not-an-id' : toGlobalId(/user/i.test(name) ? 'User' : 'Post', 1);
    case 'DateTime':
      return hostile ? 'yesterday' : '2026-11-01T12:00:00.000Z';
    default:
      if (/cit|name/i.test(name) && !/user/i.test(name)) return hostile ? '' : 'Berlin';
      if (/email/i.test(name)) return hostile ? 'not an email' : 'someone@example.com';
      if (/after|cursor/i.test(name)) return hostile ? 'not-a-cursor' : null;
      return hostile ? '' : 'ada';
  }
}

/** The two bodies from the first byte that differs, with some context before it. */
function whereTheyDiffer(expected: string, actual: string): string {
  let at = 0;
  while (at < expected.length && expected[at] === actual[at]) at++;
  const from = Math.max(0, at - 80);
  return `reference: …${expected.slice(from, at + 160)}\ncompiled: …${actual.slice(from, at + 160)}`;
}

describe('compiled execution (graphql-jit)', () => {
  const directory = mkdtempSync(join(tmpdir(), 'gatherql-compiled-'));
  let sim: Simulator;
  let reference: TestGateway;
  let compiled: TestGateway;
  // A clock that stands still: freshness and ages read the same on both gateways.
  const now = Date.UTC(2026, 10, 25, 9);

  beforeAll(async () => {
    sim = await startSimulator();
    // One database file for both: the first seeds it, the second reads the same rows.
    const env = { ...simulatorEnv(sim), DATABASE_URL: `file:${join(directory, 'differential.sqlite')}` };
    const options = (compiledExecution: boolean) => ({
      tuning: { responseTtlMs: 0, shareQueries: false, compiledExecution },
      sources: { now: () => now, policy: TEST_POLICY },
    });
    reference = await startGateway(env, options(false));
    compiled = await startGateway(env, options(true));
  }, 60_000);

  afterAll(async () => {
    await reference?.close();
    await compiled?.close();
    await sim?.close();
    rmSync(directory, { recursive: true, force: true });
  });

  async function body(gateway: TestGateway, operation: SuiteOperation, variables: Record<string, unknown>, headers: Record<string, string>) {
    const response = await gateway.yoga.fetch('http://gatherql.test/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json', ...headers },
      body: JSON.stringify({ query: operation.document, operationName: operation.operationName, variables }),
    });
    return `${response.status} ${response.headers.get('content-type')}\n${await response.text()}`;
  }

  it('finds the queries of the suite, the client and the docs', () => {
    // A corpus that shrank to nothing would pass everything below.
    expect(queries.length).toBeGreaterThanOrEqual(60);
    expect(new Set(queries.map((query) => query.origin)).size).toBeGreaterThanOrEqual(20);
  });

  it('answers every query of the suite byte for byte as graphql-js does, anonymous and signed in', async () => {
    const viewers: Record<string, Record<string, string>> = { anonymous: {}, ada: await as(1), grace: await as(2) };
    const differences: string[] = [];
    for (const operation of queries) {
      for (const flavour of ['plausible', 'hostile'] as const) {
        const variables = variablesFor(operation, flavour);
        for (const [viewer, headers] of Object.entries(viewers)) {
          // The first round fills each gateway's upstream caches: the second reads both from them.
          await body(reference, operation, variables, headers);
          await body(compiled, operation, variables, headers);
          const expected = await body(reference, operation, variables, headers);
          const actual = await body(compiled, operation, variables, headers);
          if (actual !== expected) {
            differences.push(
              `${operation.origin} (${operation.operationName ?? 'anonymous'}, ${flavour}, ${viewer})\n${operation.document}\n${whereTheyDiffer(expected, actual)}`,
            );
          }
        }
      }
    }
    expect(differences.join('\n\n')).toBe('');
    // And the compiled gateway did compile them: every operation the reference ran on
    // graphql-js (the query limits refuse some before they run), and none with @defer or @stream.
    const plans = async (gateway: TestGateway, execution: string) => counterValue(gateway.metrics.executionPlans, { execution });
    expect(await plans(reference, 'compiled')).toBe(0);
    expect(await plans(compiled, 'compiled')).toBe(await plans(reference, 'graphql-js'));
    expect(await plans(compiled, 'compiled')).toBeGreaterThanOrEqual(60);
    expect(await plans(compiled, 'incremental')).toBe(queries.filter((query) => /@(defer|stream)\b/.test(query.document)).length);
  }, 240_000);
});

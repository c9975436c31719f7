import { type Config, loadConfig } from '../../config.js';
import { TEST_AUTH_SECRET } from './auth.js';
import { createGateway, type Gateway, type GatewayOptions } from '../../gateway.js';

export interface GraphQLResponse<T = any> {
  status: number;
  headers: Headers;
  body: { data?: T; errors?: { message: string; path?: (string | number)[]; extensions?: Record<string, any> }[] };
}

export interface TestGateway extends Gateway {
  /** POSTs one operation to /graphql in-process, through yoga.fetch. */
  query<T = any>(query: string, variables?: Record<string, unknown>, headers?: Record<string, string>): Promise<GraphQLResponse<T>>;
}

/**
 * Config from a test's environment, with quiet logs and an in-memory database by default.
 * Rate limiting and the upstream budget are off unless a test turns them on: in-process
 * requests have no client address, so every test of a file would share one budget.
 */
export function testConfig(env: Record<string, string> = {}): Config {
  return loadConfig({
    DATABASE_URL: ':memory:',
    LOG_LEVEL: 'silent',
    AUTH_SECRET: TEST_AUTH_SECRET,
    RATE_LIMIT_PER_MINUTE: '0',
    UPSTREAM_BUDGET_PER_MINUTE: '0',
    ...env,
  });
}

export async function startGateway(env: Record<string, string> = {}, options: GatewayOptions = {}): Promise<TestGateway> {
  const gateway = await createGateway(testConfig(env), options);
  return {
    ...gateway,
    async query(query, variables, headers = {}) {
      const response = await gateway.yoga.fetch('http://gatherql.test/graphql', {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json', ...headers },
        body: JSON.stringify({ query, variables }),
      });
      return { status: response.status, headers: response.headers, body: await response.json() };
    },
  };
}

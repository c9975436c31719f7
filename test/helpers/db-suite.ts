import { afterAll, beforeAll, beforeEach } from 'vitest';
import { type TestDialect, truncateAll } from './databases.js';
import { startGateway, type TestGateway } from './gateway.js';

/**
 * Sets up a gateway on a fresh database of the dialect for one describe block, migrated
 * once and emptied before each test. Call inside describe(); read `.gateway` in tests.
 */
export function useDatabaseGateway(dialect: TestDialect, env: Record<string, string> = {}) {
  const suite = {} as { gateway: TestGateway; url: string };
  beforeAll(async () => {
    suite.url = await dialect.createDatabase();
    suite.gateway = await startGateway({ DATABASE_URL: suite.url, ...env }, { seed: false });
  });
  afterAll(async () => {
    await suite.gateway?.close();
    if (suite.url) await dialect.dropDatabase(suite.url);
  });
  beforeEach(() => truncateAll(suite.gateway.database.db, dialect.name));
  return suite;
}

/**
 * A fresh, empty database of the dialect for one describe block: its URL is `.url` in tests
 * (undefined when the dialect is not available, and the tests then skip). For suites whose
 * gateways come and go per test, on the same database.
 */
export function useDatabase(dialect: TestDialect) {
  const database = {} as { url: string };
  beforeAll(async () => {
    if (dialect.available) database.url = await dialect.createDatabase();
  });
  afterAll(async () => {
    if (database.url) await dialect.dropDatabase(database.url);
  });
  return database;
}

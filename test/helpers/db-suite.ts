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

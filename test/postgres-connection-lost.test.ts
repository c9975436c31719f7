import { sql } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DatabaseHandle, openDatabase } from '../db/connect.js';
import { postgres } from './helpers/databases.js';

// A connection that PostgreSQL drops while the gateway holds it (a restart, a failover, an idle
// timeout) must fail the statements on it, never the process: node-postgres reports the loss on
// the client itself, and an 'error' event with no listener ends a Node process.
describe.skipIf(!postgres.available)('a PostgreSQL connection lost while it is checked out', () => {
  let url: string;
  let database: DatabaseHandle;
  const poolErrors: Error[] = [];
  beforeAll(async () => {
    url = await postgres.createDatabase();
    database = openDatabase(url, { onPoolError: (error) => poolErrors.push(error) });
  });
  afterAll(async () => {
    await database.close();
    await postgres.dropDatabase(url);
  });

  it('fails the transaction that held it, and the next statement gets a new connection', async () => {
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    try {
      const outcome = await database.db
        .transaction()
        .execute(async (trx) => {
          const { rows } = await sql<{ pid: number }>`select pg_backend_pid() as pid`.execute(trx);
          await admin.query('select pg_terminate_backend($1)', [rows[0]!.pid]);
          // The loss arrives on the idle, checked-out client before the next statement is sent.
          await new Promise((resolve) => setTimeout(resolve, 200));
          await sql`select 1`.execute(trx);
          return 'committed';
        })
        .catch((error: Error) => `failed: ${error.message}`);
      expect(outcome).toMatch(/^failed: /);
    } finally {
      await admin.end();
    }
    const { rows } = await sql<{ one: number }>`select 1 as one`.execute(database.db);
    expect(rows).toEqual([{ one: 1 }]);
  });
});

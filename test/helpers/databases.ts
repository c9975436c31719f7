import { randomBytes } from 'node:crypto';
import { type Kysely, sql } from 'kysely';
import pg from 'pg';
import { inject } from 'vitest';
import type { Database } from '../../db/database.js';

export interface TestDialect {
  name: 'sqlite' | 'postgres';
  /** False when the run has no PostgreSQL server (the suite is then skipped, and says so). */
  available: boolean;
  /** A fresh, empty database for one test file. */
  createDatabase(): Promise<string>;
  /** Drops what createDatabase made; call after every pool on it is closed. */
  dropDatabase(url: string): Promise<void>;
}

const postgresUrl = inject('postgresUrl');

async function onAdmin<T>(fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: postgresUrl! });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

export const sqlite: TestDialect = {
  name: 'sqlite',
  available: true,
  createDatabase: async () => ':memory:',
  dropDatabase: async () => {},
};

export const postgres: TestDialect = {
  name: 'postgres',
  available: postgresUrl !== null,
  async createDatabase() {
    const name = `gatherql_test_${randomBytes(6).toString('hex')}`;
    await onAdmin((client) => client.query(`create database ${name}`));
    const url = new URL(postgresUrl!);
    url.pathname = `/${name}`;
    return url.toString();
  },
  async dropDatabase(url) {
    const name = new URL(url).pathname.slice(1);
    await onAdmin((client) => client.query(`drop database if exists ${name} with (force)`));
  },
};

/** The dialects every database suite runs on. */
export const dialects = [sqlite, postgres];

/**
 * Empties every table of data, so that each test starts from nothing (the schema stays). The
 * schedules' book stays too: the running gateway wrote it at start and keeps using it.
 */
export async function truncateAll(db: Kysely<Database>, dialect: TestDialect['name']): Promise<void> {
  if (dialect === 'postgres') {
    await sql`truncate table city_report_rows, city_reports, jobs, posts, profiles, users restart identity cascade`.execute(db);
    return;
  }
  await db.deleteFrom('city_report_rows').execute();
  await db.deleteFrom('city_reports').execute();
  await db.deleteFrom('jobs').execute();
  await db.deleteFrom('posts').execute();
  await db.deleteFrom('profiles').execute();
  await db.deleteFrom('users').execute();
  await sql`delete from sqlite_sequence`.execute(db);
}

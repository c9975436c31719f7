import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { Database } from './database.js';
import { migrateToLatest } from './migrate.js';
import { seedDemoData } from './seed.js';

export interface PrepareOptions {
  /** Seed the demo data into an empty database. */
  seed: boolean;
  hashPassword: (password: string) => Promise<string>;
  logger: Logger;
}

/** Brings the schema up to date and, when asked, seeds an empty database; says so in the log. */
export async function prepareDatabase(db: Kysely<Database>, options: PrepareOptions): Promise<void> {
  const applied = await migrateToLatest(db);
  if (applied.length > 0) options.logger.info({ migrations: applied }, 'database migrated');
  if (!options.seed) return;
  const seeded = await seedDemoData(db, options.hashPassword);
  if (seeded) options.logger.info(seeded, 'empty embedded database: seeded demo data (password of every demo user: see README)');
}

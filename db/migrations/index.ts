import type { Migration } from 'kysely';
import * as usersPosts from './2026-11-25-001-users-posts.js';
import * as backgroundWork from './2026-12-05-001-background-work.js';

/**
 * Every migration, by name; names sort in the order they run. Listed by hand rather than
 * read from the folder (Kysely's FileMigrationProvider): its dynamic import() runs outside
 * any TypeScript loader, and test/migrations.test.ts fails when a file is missing here.
 */
export const migrations: Record<string, Migration> = {
  '2026-11-25-001-users-posts': usersPosts,
  '2026-12-05-001-background-work': backgroundWork,
};

import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type DatabaseHandle, openDatabase } from '../db/connect.js';
import { migrateToLatest } from '../db/migrate.js';
import { DEMO_PASSWORD, seedDemoData } from '../db/seed.js';
import { dialects } from './helpers/databases.js';
import { insertUser } from './helpers/fixtures.js';

for (const dialect of dialects) {
  describe.skipIf(!dialect.available)(`demo data (${dialect.name})`, () => {
    let url: string;
    let handle: DatabaseHandle;
    beforeEach(async () => {
      url = await dialect.createDatabase();
      handle = openDatabase(url);
      await migrateToLatest(handle.db);
    });
    afterEach(async () => {
      await handle?.close();
      await dialect.dropDatabase(url);
    });

    const countUsers = async () => (await handle.db.selectFrom('users').select('id').execute()).length;

    it('hashes the demo password once to seed an empty database, and not at all on a database already seeded', async () => {
      const hashed: string[] = [];
      const hashPassword = async (password: string) => {
        hashed.push(password);
        return `hash of ${password}`;
      };
      expect(await seedDemoData(handle.db, hashPassword)).toEqual({ users: 5, posts: 30, unpublished: 6 });
      expect(hashed).toEqual([DEMO_PASSWORD]);
      // A restart: nothing to seed, so no hash (32 MiB and tens of milliseconds of a core).
      expect(await seedDemoData(handle.db, hashPassword)).toBeNull();
      expect(hashed).toHaveLength(1);
      expect(await countUsers()).toBe(5);
    });

    it('seeds nothing when another process seeded the database while the password was being hashed', async () => {
      const hashPassword = async (password: string) => {
        await insertUser(handle.db, { username: 'seeded-meanwhile' });
        return `hash of ${password}`;
      };
      expect(await seedDemoData(handle.db, hashPassword)).toBeNull();
      expect(await countUsers()).toBe(1);
    });
  });
}

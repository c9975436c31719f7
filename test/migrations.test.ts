import { readdirSync } from 'node:fs';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DatabaseHandle, openDatabase } from '../db/connect.js';
import { migrateToLatest } from '../db/migrate.js';
import { migrations } from '../db/migrations/index.js';
import { dialects } from './helpers/databases.js';
import { insertPost, insertUser } from './helpers/fixtures.js';

describe('migration list', () => {
  it('names every file in db/migrations, in file-name order', () => {
    const folder = fileURLToPath(new URL('../db/migrations', import.meta.url));
    const files = readdirSync(folder)
      .filter((file) => file !== 'index.ts' && file.endsWith('.ts'))
      .map((file) => file.replace(/\.ts$/, ''))
      .sort();
    expect(Object.keys(migrations)).toEqual(files);
  });
});

for (const dialect of dialects) {
  describe.skipIf(!dialect.available)(`migrations (${dialect.name})`, () => {
    let url: string;
    let handle: DatabaseHandle;
    beforeAll(async () => {
      url = await dialect.createDatabase();
      handle = openDatabase(url);
    });
    afterAll(async () => {
      await handle?.close();
      await dialect.dropDatabase(url);
    });

    it('runs once, then has nothing left to do', async () => {
      expect(await migrateToLatest(handle.db)).toEqual(Object.keys(migrations));
      expect(await migrateToLatest(handle.db)).toEqual([]);
    });

    it('decides duplicate usernames case-insensitively in the database itself', async () => {
      await insertUser(handle.db, { username: 'Grace', email: 'g1@example.com' });
      await expect(insertUser(handle.db, { username: 'grace', email: 'g2@example.com' })).rejects.toThrow(/unique/i);
    });

    it('keeps emails unique', async () => {
      await insertUser(handle.db, { username: 'one', email: 'same@example.com' });
      await expect(insertUser(handle.db, { username: 'two', email: 'same@example.com' })).rejects.toThrow(/unique/i);
    });

    it('enforces the author foreign key and the role check', async () => {
      await expect(insertPost(handle.db, { authorId: 424242 })).rejects.toThrow(/foreign key/i);
      await expect(insertUser(handle.db, { username: 'root', role: 'GOD' as never })).rejects.toThrow(/check/i);
    });

    it('deletes a user’s profile and posts with the user', async () => {
      const id = await insertUser(handle.db, { username: 'leaver' });
      await insertPost(handle.db, { authorId: id });
      await handle.db.deleteFrom('users').where('id', '=', id).execute();
      const left = await handle.db.selectFrom('posts').select('id').where('author_id', '=', id).execute();
      const profiles = await handle.db.selectFrom('profiles').select('user_id').where('user_id', '=', id).execute();
      expect(left).toEqual([]);
      expect(profiles).toEqual([]);
    });
  });
}

describe('embedded SQLite file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gatherql-sqlite-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('runs in WAL mode with foreign keys on', async () => {
    const handle = openDatabase(`file:${join(dir, 'wal.sqlite')}`);
    try {
      const { rows: journal } = await sql<{ journal_mode: string }>`pragma journal_mode`.execute(handle.db);
      const { rows: keys } = await sql<{ foreign_keys: number }>`pragma foreign_keys`.execute(handle.db);
      expect(journal[0]?.journal_mode).toBe('wal');
      expect(keys[0]?.foreign_keys).toBe(1);
      expect(handle.embeddedFile).toBe(true);
    } finally {
      await handle.close();
    }
  });
});

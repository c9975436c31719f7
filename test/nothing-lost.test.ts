import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeGlobalID } from '@pothos/plugin-relay';
import { type Kysely, sql } from 'kysely';
import { afterAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../db/connect.js';
import type { Database } from '../db/database.js';
import { migrateToLatest } from '../db/migrate.js';
import { as } from './helpers/auth.js';
import { dialects, type TestDialect } from './helpers/databases.js';
import { useDatabaseGateway } from './helpers/db-suite.js';
import { insertUser, toGlobalId } from './helpers/fixtures.js';
import { startServerProcess } from './helpers/server-process.js';

/**
 * Makes the database itself fail a write to profiles whose display name is 'explode',
 * after the statements before it in the same transaction have run.
 */
async function injectProfileFailure(db: Kysely<Database>, dialect: TestDialect['name']) {
  if (dialect === 'sqlite') {
    for (const event of ['INSERT', 'UPDATE']) {
      await sql
        .raw(
          `create trigger if not exists explode_${event.toLowerCase()} before ${event} on profiles
           when new.display_name = 'explode' begin select raise(abort, 'injected failure'); end`,
        )
        .execute(db);
    }
    return;
  }
  await sql`create or replace function explode() returns trigger language plpgsql as $$
    begin if new.display_name = 'explode' then raise exception 'injected failure'; end if; return new; end $$`.execute(db);
  await sql`create or replace trigger explode before insert or update on profiles for each row execute function explode()`.execute(db);
}

for (const dialect of dialects) {
  describe.skipIf(!dialect.available)(`a write that fails part-way leaves no trace (${dialect.name})`, () => {
    const suite = useDatabaseGateway(dialect);
    const db = () => suite.gateway.database.db;
    const count = async (table: 'users' | 'profiles') =>
      Number(
        (
          await db()
            .selectFrom(table)
            .select((eb) => eb.fn.countAll().as('n'))
            .executeTakeFirstOrThrow()
        ).n,
      );

    it('signUp: when the profile insert fails, the user row is gone too', async () => {
      await injectProfileFailure(db(), dialect.name);
      const { body } = await suite.gateway.query('mutation($input: SignUpInput!) { signUp(input: $input) { __typename } }', {
        input: { username: 'halfway', email: 'halfway@example.com', password: 'long enough password', displayName: 'explode' },
      });
      expect(body.errors?.[0]?.extensions?.code).toBe('INTERNAL_SERVER_ERROR');
      expect(body.errors?.[0]?.message).not.toContain('injected');
      expect(await count('users')).toBe(0);
      expect(await count('profiles')).toBe(0);
    });

    it('bulkUpdateUsers: when the third update fails, the first two are undone', async () => {
      await injectProfileFailure(db(), dialect.name);
      const root = await insertUser(db(), { username: 'root', role: 'ADMIN' });
      const ids = [];
      for (const name of ['one', 'two', 'three']) ids.push(await insertUser(db(), { username: name, displayName: name }));
      const { body } = await suite.gateway.query(
        'mutation($updates: [BulkUserUpdate!]!) { bulkUpdateUsers(updates: $updates) { updatedCount } }',
        {
          updates: [
            { id: toGlobalId('User', ids[0]!), displayName: 'changed', role: 'ADMIN' },
            { id: toGlobalId('User', ids[1]!), displayName: 'changed' },
            { id: toGlobalId('User', ids[2]!), displayName: 'explode' },
          ],
        },
        await as(root),
      );
      expect(body.errors?.[0]?.extensions?.code).toBe('INTERNAL_SERVER_ERROR');
      const rows = await db()
        .selectFrom('users')
        .innerJoin('profiles', 'profiles.user_id', 'users.id')
        .select(['username', 'role', 'display_name'])
        .orderBy('users.id')
        .execute();
      expect(rows).toEqual([
        { username: 'root', role: 'ADMIN', display_name: null },
        { username: 'one', role: 'USER', display_name: 'one' },
        { username: 'two', role: 'USER', display_name: 'two' },
        { username: 'three', role: 'USER', display_name: 'three' },
      ]);
    });
  });

  describe.skipIf(!dialect.available)(`kill -9 during a stream of createPost (${dialect.name})`, () => {
    const dir = mkdtempSync(join(tmpdir(), 'gatherql-kill-'));
    let url: string | undefined;
    afterAll(async () => {
      if (url) await dialect.dropDatabase(url);
      rmSync(dir, { recursive: true, force: true });
    });

    it('keeps every acknowledged post, with its author, and nothing half-written', async () => {
      url = dialect.name === 'sqlite' ? `file:${join(dir, 'kill.sqlite')}` : await dialect.createDatabase();
      const setup = openDatabase(url);
      await migrateToLatest(setup.db);
      const author = await insertUser(setup.db, { username: 'writer' });
      await setup.close();

      const server = await startServerProcess({ DATABASE_URL: url, AUTH_SECRET: 'test-secret-that-is-long-enough-to-sign', RATE_LIMIT_PER_MINUTE: '0' });
      const headers = { 'content-type': 'application/json', ...(await as(author)) };
      const acknowledged: number[] = [];
      let stop = false;
      const writers = Array.from({ length: 8 }, async (_, writer) => {
        for (let i = 0; !stop && i < 10_000; i++) {
          try {
            const response = await fetch(`${server.url}/graphql`, {
              method: 'POST',
              headers,
              body: JSON.stringify({
                query: 'mutation($input: CreatePostInput!) { createPost(input: $input) { ... on PostPayload { post { id } } } }',
                variables: { input: { title: `w${writer} #${i}`, content: 'x'.repeat(500), published: true } },
              }),
            });
            const id = ((await response.json()) as any).data?.createPost?.post?.id;
            if (id) acknowledged.push(Number(decodeGlobalID(id).id));
          } catch {
            return; // the server is gone
          }
        }
      });
      // Kill it mid-stream, once writes are flowing.
      const deadline = Date.now() + 15_000;
      while (acknowledged.length < 50) {
        if (Date.now() > deadline) throw new Error(`only ${acknowledged.length} posts acknowledged in 15 s`);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      server.child.kill('SIGKILL');
      stop = true;
      await Promise.all(writers);
      await server.exited;

      const after = openDatabase(url);
      try {
        const rows = await after.db.selectFrom('posts').select(['id', 'author_id', 'title', 'content']).execute();
        const stored = new Set(rows.map((row) => row.id));
        expect(acknowledged.filter((id) => !stored.has(id))).toEqual([]);
        expect(rows.every((row) => row.author_id === author && row.content.length === 500 && /^w\d #\d+$/.test(row.title))).toBe(true);
        if (dialect.name === 'sqlite') {
          const { rows: check } = await sql<{ integrity_check: string }>`pragma integrity_check`.execute(after.db);
          expect(check[0]?.integrity_check).toBe('ok');
        }
      } finally {
        await after.close();
      }
    });
  });
}

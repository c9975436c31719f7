import type { LogEvent } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DatabaseHandle, openDatabase } from '../db/connect.js';
import { migrateToLatest } from '../db/migrate.js';
import { createLoaders } from '../loaders/index.js';
import { insertPost, insertUser, minutes } from './helpers/fixtures.js';

describe('loaders', () => {
  let handle: DatabaseHandle;
  const sent: { sql: string; parameters: readonly unknown[] }[] = [];
  let ids: { ada: number; grace: number; draft: number; post: number };

  beforeAll(async () => {
    handle = openDatabase(':memory:', {
      onQuery: (event: LogEvent) => sent.push({ sql: event.query.sql, parameters: event.query.parameters }),
    });
    await migrateToLatest(handle.db);
    const at = minutes();
    const ada = await insertUser(handle.db, { username: 'ada', createdAt: at() });
    const grace = await insertUser(handle.db, { username: 'grace', createdAt: at() });
    const post = await insertPost(handle.db, { authorId: ada, createdAt: at() });
    const draft = await insertPost(handle.db, { authorId: ada, published: false, createdAt: at() });
    ids = { ada, grace, draft, post };
    sent.length = 0;
  });
  afterAll(() => handle?.close());

  it('userById: one statement for every key of a tick, values in key order, null where nothing matched', async () => {
    const loaders = createLoaders({ db: handle.db, viewerId: null });
    sent.length = 0;
    const users = await Promise.all([ids.grace, 999, ids.ada, ids.grace].map((id) => loaders.userById.load(id)));
    expect(users.map((user) => user?.username ?? null)).toEqual(['grace', null, 'ada', 'grace']);
    expect(sent).toHaveLength(1);
    expect(sent[0]!.parameters).toEqual([ids.grace, 999, ids.ada]);
  });

  it('postsByAuthorId: one window-function statement for many authors, drafts only for their author', async () => {
    const anonymous = createLoaders({ db: handle.db, viewerId: null });
    sent.length = 0;
    const [adaPosts, gracePosts] = await Promise.all([
      anonymous.postsByAuthorId({ limit: 5, after: null }).load(ids.ada),
      anonymous.postsByAuthorId({ limit: 5, after: null }).load(ids.grace),
    ]);
    expect(sent).toHaveLength(1);
    expect(sent[0]!.sql).toMatch(/row_number\(\) over \(partition by author_id/);
    expect(adaPosts!.map((post) => post.id)).toEqual([ids.post]);
    expect(gracePosts).toEqual([]);

    const asAda = createLoaders({ db: handle.db, viewerId: ids.ada });
    const own = await asAda.postsByAuthorId({ limit: 5, after: null }).load(ids.ada);
    expect(own.map((post) => post.id)).toEqual([ids.draft, ids.post]);
  });

  it('postCountByAuthorId counts published posts only, zero for an author with none', async () => {
    const loaders = createLoaders({ db: handle.db, viewerId: ids.ada });
    sent.length = 0;
    const counts = await Promise.all([ids.ada, ids.grace].map((id) => loaders.postCountByAuthorId.load(id)));
    expect(counts).toEqual([1, 0]);
    expect(sent).toHaveLength(1);
    expect(await loaders.visiblePostCountByAuthorId.load(ids.ada)).toBe(2);
  });
});

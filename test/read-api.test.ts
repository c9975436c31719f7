import { describe, expect, it } from 'vitest';
import { counterValue } from '../metrics.js';
import { dialects } from './helpers/databases.js';
import { useDatabaseGateway } from './helpers/db-suite.js';
import { insertPost, insertUser, minutes, toGlobalId } from './helpers/fixtures.js';

for (const dialect of dialects) {
  describe.skipIf(!dialect.available)(`users and posts, read side (${dialect.name})`, () => {
    const suite = useDatabaseGateway(dialect);
    const db = () => suite.gateway.database.db;
    const statements = () => counterValue(suite.gateway.metrics.dbQueries, { origin: 'request' });

    it('lists published posts newest first with their authors, and counts them', async () => {
      const at = minutes();
      const ada = await insertUser(db(), { username: 'ada', displayName: 'Ada' });
      await insertPost(db(), { authorId: ada, title: 'first', createdAt: at() });
      await insertPost(db(), { authorId: ada, title: 'draft', published: false, createdAt: at() });
      await insertPost(db(), { authorId: ada, title: 'second', createdAt: at() });

      const { body } = await suite.gateway.query(`{
        posts { totalCount edges { node { title published author { username displayName } } } }
      }`);
      expect(body.errors).toBeUndefined();
      expect(body.data.posts.totalCount).toBe(2);
      expect(body.data.posts.edges.map((e: any) => e.node.title)).toEqual(['second', 'first']);
      expect(body.data.posts.edges[0].node.author).toEqual({ username: 'ada', displayName: 'Ada' });
    });

    it('walks every page to the end with no duplicate and no gap, ties on created_at included', async () => {
      const ada = await insertUser(db(), { username: 'ada' });
      const sameInstant = new Date(Date.UTC(2026, 5, 1));
      const at = minutes();
      const expected: string[] = [];
      for (let i = 0; i < 23; i++) {
        // Every third post shares one timestamp, so the id has to break ties.
        const createdAt = i % 3 === 0 ? sameInstant : at();
        await insertPost(db(), { authorId: ada, title: `post ${i}`, createdAt });
      }
      const seen: string[] = [];
      let after: string | null = null;
      let pages = 0;
      for (;;) {
        const { body }: any = await suite.gateway.query(
          `query($after: String) { posts(first: 5, after: $after) { edges { node { title } } pageInfo { hasNextPage hasPreviousPage endCursor } } }`,
          { after },
        );
        expect(body.errors).toBeUndefined();
        pages += 1;
        seen.push(...body.data.posts.edges.map((e: any) => e.node.title));
        expect(body.data.posts.pageInfo.hasPreviousPage).toBe(after !== null);
        if (!body.data.posts.pageInfo.hasNextPage) break;
        after = body.data.posts.pageInfo.endCursor;
      }
      for (let i = 0; i < 23; i++) expected.push(`post ${i}`);
      expect(pages).toBe(5);
      expect(seen).toHaveLength(23);
      expect(new Set(seen).size).toBe(23);
      expect([...seen].sort()).toEqual([...expected].sort());
    });

    it('answers the nested authors-and-their-posts query in 4 statements, whatever the row count', async () => {
      const at = minutes();
      const authors: number[] = [];
      for (let a = 0; a < 10; a++) authors.push(await insertUser(db(), { username: `author${a}`, createdAt: at() }));
      for (let p = 0; p < 60; p++) await insertPost(db(), { authorId: authors[p % 10]!, title: `p${p}`, createdAt: at() });

      const before = await statements();
      const { body } = await suite.gateway.query(`{
        posts(first: 50) { edges { node { author { postCount posts(first: 5) { edges { node { title } } } } } } }
      }`);
      expect(body.errors).toBeUndefined();
      expect(body.data.posts.edges).toHaveLength(50);
      const firstAuthor = body.data.posts.edges[0].node.author;
      expect(firstAuthor.postCount).toBe(6);
      expect(firstAuthor.posts.edges).toHaveLength(5);
      // posts page, authors by id, post counts by author, first five posts per author.
      expect((await statements()) - before).toBe(4);
    });

    it('hides drafts from everyone but their author, in post, node and User.posts', async () => {
      const ada = await insertUser(db(), { username: 'ada' });
      const draft = await insertPost(db(), { authorId: ada, title: 'draft', published: false });
      const published = await insertPost(db(), { authorId: ada, title: 'out' });

      const { body } = await suite.gateway.query(
        `query($draft: ID!, $published: ID!) {
          draft: post(id: $draft) { title }
          draftNode: node(id: $draft) { id }
          published: post(id: $published) { title author { postCount posts { totalCount edges { node { title } } } } }
        }`,
        { draft: toGlobalId('Post', draft), published: toGlobalId('Post', published) },
      );
      expect(body.errors).toBeUndefined();
      expect(body.data.draft).toBeNull();
      expect(body.data.draftNode).toBeNull();
      expect(body.data.published.title).toBe('out');
      expect(body.data.published.author.postCount).toBe(1);
      expect(body.data.published.author.posts.totalCount).toBe(1);
      expect(body.data.published.author.posts.edges.map((e: any) => e.node.title)).toEqual(['out']);
    });

    it('finds users by global id, node and username (case-insensitively); email stays private', async () => {
      const at = minutes();
      const ada = await insertUser(db(), { username: 'Ada', displayName: 'Ada L.', createdAt: at() });
      await insertUser(db(), { username: 'grace', createdAt: at() });
      const id = toGlobalId('User', ada);
      const { body } = await suite.gateway.query(
        `query($id: ID!) {
          user(id: $id) { id username email role }
          node(id: $id) { id ... on User { displayName } }
          userByUsername(username: "ADA") { id }
          missing: userByUsername(username: "nobody") { id }
          users(first: 1) { totalCount edges { node { username } } pageInfo { hasNextPage } }
          viewer { id }
        }`,
        { id },
      );
      expect(body.errors).toBeUndefined();
      expect(body.data.user).toEqual({ id, username: 'Ada', email: null, role: 'USER' });
      expect(body.data.node).toEqual({ id, displayName: 'Ada L.' });
      expect(body.data.userByUsername).toEqual({ id });
      expect(body.data.missing).toBeNull();
      expect(body.data.users).toEqual({ totalCount: 2, edges: [{ node: { username: 'grace' } }], pageInfo: { hasNextPage: true } });
      expect(body.data.viewer).toBeNull();
    });

    it('returns null for an id of the right type that matches nothing', async () => {
      const { body } = await suite.gateway.query(`query($id: ID!) { user(id: $id) { id } post(id: $id) { id } }`, {
        id: toGlobalId('User', 999),
      });
      expect(body.data.user).toBeNull();
      expect(body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT'); // a User id is not a Post id
    });

    it.each([
      ['a page larger than the maximum', `{ posts(first: 101) { totalCount } }`, /first may be at most 100/],
      ['a negative page size', `{ users(first: -1) { totalCount } }`, /^Invalid argument: first: first must be 0 or more$/],
      ['no top authors at all', `{ topAuthors(limit: 0) { postCount } }`, /^Invalid argument: limit: limit must be at least 1$/],
      ['a cursor the API never issued', `{ posts(after: "bm9wZQ") { totalCount } }`, /"after" is not a cursor/],
      ['a forged global id', `{ post(id: "not-an-id") { id } }`, /Invalid global ID|not a valid/i],
      ['a global id with a non-numeric key', `{ post(id: "${Buffer.from('Post:abc').toString('base64')}") { id } }`, /Not a valid Post id/],
    ])('rejects %s with BAD_USER_INPUT and a clear message', async (_name, query, message) => {
      const before = await statements();
      const { status, body } = await suite.gateway.query(query);
      expect(status).toBe(200);
      expect(body.errors).toHaveLength(1);
      expect(body.errors![0]!.extensions?.code).toBe('BAD_USER_INPUT');
      expect(body.errors![0]!.message).toMatch(message);
      expect((await statements()) - before).toBe(0);
    });
  });
}

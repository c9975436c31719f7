import { describe, expect, it } from 'vitest';
import { as } from './helpers/auth.js';
import { dialects } from './helpers/databases.js';
import { useDatabaseGateway } from './helpers/db-suite.js';
import { insertPost, insertUser, minutes, toGlobalId } from './helpers/fixtures.js';

const CREATE = `mutation($input: CreatePostInput!) {
  createPost(input: $input) {
    __typename
    ... on PostPayload { post { id title content published author { username } } }
    ... on ValidationError { fields { path message } }
  }
}`;
const UPDATE = `mutation($id: ID!, $input: UpdatePostInput!) {
  updatePost(id: $id, input: $input) {
    __typename
    ... on PostPayload { post { title published } }
    ... on ValidationError { fields { path message } }
    ... on NotFoundError { id message }
    ... on ForbiddenError { message }
  }
}`;
const DELETE = `mutation($id: ID!) {
  deletePost(id: $id) {
    __typename
    ... on DeletePostPayload { deletedId }
    ... on NotFoundError { id }
    ... on ForbiddenError { message }
  }
}`;

for (const dialect of dialects) {
  describe.skipIf(!dialect.available)(`post writes (${dialect.name})`, () => {
    const suite = useDatabaseGateway(dialect);
    const db = () => suite.gateway.database.db;
    const postCount = async () =>
      Number(
        (
          await db()
            .selectFrom('posts')
            .select((eb) => eb.fn.countAll().as('n'))
            .executeTakeFirstOrThrow()
        ).n,
      );

    it('creates a draft by default, written by the viewer', async () => {
      const ada = await insertUser(db(), { username: 'ada' });
      const { body } = await suite.gateway.query(CREATE, { input: { title: '  Hello  ', content: 'World' } }, await as(ada));
      expect(body.data.createPost.__typename).toBe('PostPayload');
      expect(body.data.createPost.post).toMatchObject({ title: 'Hello', content: 'World', published: false, author: { username: 'ada' } });
      const anonymous = await suite.gateway.query('{ posts { totalCount } }');
      expect(anonymous.body.data.posts.totalCount).toBe(0);
      const own = await suite.gateway.query('{ viewer { posts { totalCount edges { node { title } } } } }', {}, await as(ada));
      expect(own.body.data.viewer.posts.totalCount).toBe(1);
    });

    it('refuses an anonymous createPost with UNAUTHENTICATED and writes nothing', async () => {
      const { body } = await suite.gateway.query(CREATE, { input: { title: 'x', content: 'y' } });
      expect(body.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
      expect(await postCount()).toBe(0);
    });

    it.each([
      [{ title: '   ', content: 'ok' }, [['input', 'title']]],
      [{ title: 'x'.repeat(201), content: 'ok' }, [['input', 'title']]],
      [{ title: 'ok', content: 'x'.repeat(100_001) }, [['input', 'content']]],
      [
        { title: '', content: 'x'.repeat(100_001) },
        [
          ['input', 'title'],
          ['input', 'content'],
        ],
      ],
    ])('refuses invalid post input %# with field paths and writes nothing', async (input, paths) => {
      const ada = await insertUser(db(), { username: 'ada' });
      const { body } = await suite.gateway.query(CREATE, { input }, await as(ada));
      expect(body.data.createPost.__typename).toBe('ValidationError');
      expect(body.data.createPost.fields.map((field: any) => field.path)).toEqual(paths);
      expect(await postCount()).toBe(0);
    });

    it('lets the author update a post, and nobody else (admins included)', async () => {
      const ada = await insertUser(db(), { username: 'ada' });
      const grace = await insertUser(db(), { username: 'grace' });
      const root = await insertUser(db(), { username: 'root', role: 'ADMIN' });
      const id = toGlobalId('Post', await insertPost(db(), { authorId: ada, title: 'before' }));

      const byAuthor = await suite.gateway.query(UPDATE, { id, input: { title: 'after', published: false } }, await as(ada));
      expect(byAuthor.body.data.updatePost).toEqual({ __typename: 'PostPayload', post: { title: 'after', published: false } });

      for (const other of [grace, root]) {
        const { body } = await suite.gateway.query(UPDATE, { id, input: { title: 'hijacked' } }, await as(other));
        // The post is a draft now: for anyone but its author it does not exist.
        expect(body.data.updatePost).toEqual({ __typename: 'NotFoundError', id, message: `No post has the id ${id}` });
      }
      await suite.gateway.query(UPDATE, { id, input: { published: true } }, await as(ada));
      const forbidden = await suite.gateway.query(UPDATE, { id, input: { title: 'hijacked' } }, await as(grace));
      expect(forbidden.body.data.updatePost.__typename).toBe('ForbiddenError');
      const stored = await db().selectFrom('posts').select('title').executeTakeFirstOrThrow();
      expect(stored.title).toBe('after');
    });

    it('refuses a null title in an update and changes nothing', async () => {
      const ada = await insertUser(db(), { username: 'ada' });
      const id = toGlobalId('Post', await insertPost(db(), { authorId: ada, title: 'keep' }));
      const { body } = await suite.gateway.query(UPDATE, { id, input: { title: null, content: 'changed' } }, await as(ada));
      expect(body.data.updatePost).toEqual({ __typename: 'ValidationError', fields: [{ path: ['input', 'title'], message: 'title must not be null' }] });
      const stored = await db().selectFrom('posts').select(['title', 'content']).executeTakeFirstOrThrow();
      expect(stored).toEqual({ title: 'keep', content: 'Some words.' });
    });

    it('lets the author or an admin delete; a deleted post cannot be read, updated or deleted again', async () => {
      const ada = await insertUser(db(), { username: 'ada' });
      const grace = await insertUser(db(), { username: 'grace' });
      const root = await insertUser(db(), { username: 'root', role: 'ADMIN' });
      const first = toGlobalId('Post', await insertPost(db(), { authorId: ada }));
      const second = toGlobalId('Post', await insertPost(db(), { authorId: ada }));

      const forbidden = await suite.gateway.query(DELETE, { id: first }, await as(grace));
      expect(forbidden.body.data.deletePost.__typename).toBe('ForbiddenError');

      const byAuthor = await suite.gateway.query(DELETE, { id: first }, await as(ada));
      expect(byAuthor.body.data.deletePost).toEqual({ __typename: 'DeletePostPayload', deletedId: first });
      const byAdmin = await suite.gateway.query(DELETE, { id: second }, await as(root));
      expect(byAdmin.body.data.deletePost).toEqual({ __typename: 'DeletePostPayload', deletedId: second });

      const read = await suite.gateway.query('query($id: ID!) { post(id: $id) { id } node(id: $id) { id } }', { id: first });
      expect(read.body.data).toEqual({ post: null, node: null });
      const update = await suite.gateway.query(UPDATE, { id: first, input: { title: 'zombie' } }, await as(ada));
      expect(update.body.data.updatePost).toMatchObject({ __typename: 'NotFoundError', id: first });
      const again = await suite.gateway.query(DELETE, { id: first }, await as(ada));
      expect(again.body.data.deletePost).toEqual({ __typename: 'NotFoundError', id: first });
      expect(await postCount()).toBe(0);
    });

    it('answers NotFoundError for an id that names no post, echoing the id', async () => {
      const ada = await insertUser(db(), { username: 'ada' });
      for (const id of [toGlobalId('Post', 999), toGlobalId('User', ada), 'garbage']) {
        const { body } = await suite.gateway.query(DELETE, { id }, await as(ada));
        expect(body.data.deletePost).toEqual({ __typename: 'NotFoundError', id });
      }
    });

    it('shows drafts to their author in post and User.posts, and to nobody else', async () => {
      const ada = await insertUser(db(), { username: 'ada' });
      const grace = await insertUser(db(), { username: 'grace' });
      const draft = toGlobalId('Post', await insertPost(db(), { authorId: ada, title: 'draft', published: false }));
      const query = 'query($id: ID!) { post(id: $id) { title } userByUsername(username: "ada") { posts { totalCount } postCount } }';
      const own = await suite.gateway.query(query, { id: draft }, await as(ada));
      expect(own.body.data).toEqual({ post: { title: 'draft' }, userByUsername: { posts: { totalCount: 1 }, postCount: 0 } });
      const other = await suite.gateway.query(query, { id: draft }, await as(grace));
      expect(other.body.data).toEqual({ post: null, userByUsername: { posts: { totalCount: 0 }, postCount: 0 } });
    });

    it('walks posts to the end with no duplicate and no gap while new posts are written', async () => {
      const ada = await insertUser(db(), { username: 'ada' });
      const at = minutes(Date.UTC(2026, 0, 1));
      const original: string[] = [];
      for (let i = 0; i < 30; i++) {
        await insertPost(db(), { authorId: ada, title: `old ${i}`, createdAt: at() });
        original.push(`old ${i}`);
      }
      const seen: string[] = [];
      let after: string | null = null;
      for (let page = 0; page < 20; page++) {
        const { body }: any = await suite.gateway.query(
          'query($after: String) { posts(first: 7, after: $after) { edges { node { title } } pageInfo { hasNextPage endCursor } } }',
          { after },
        );
        seen.push(...body.data.posts.edges.map((edge: any) => edge.node.title));
        // Someone publishes between every two page reads.
        await suite.gateway.query(CREATE, { input: { title: `new ${page}`, content: '.', published: true } }, await as(ada));
        if (!body.data.posts.pageInfo.hasNextPage) break;
        after = body.data.posts.pageInfo.endCursor;
      }
      const old = seen.filter((title) => title.startsWith('old'));
      expect(new Set(seen).size).toBe(seen.length);
      expect(old).toEqual([...original].reverse());
    });
  });
}

import { describe, expect, it } from 'vitest';
import { counterValue } from '../metrics.js';
import { as } from './helpers/auth.js';
import { dialects } from './helpers/databases.js';
import { useDatabaseGateway } from './helpers/db-suite.js';
import { insertPost, insertUser, minutes, toGlobalId } from './helpers/fixtures.js';

const IMPORT = `mutation($inputs: [SignUpInput!]!) {
  importUsers(inputs: $inputs) {
    __typename
    ... on ImportedUser { user { username email } }
    ... on ValidationError { fields { path message } }
    ... on UsernameTakenError { username }
  }
}`;
const BULK = `mutation($updates: [BulkUserUpdate!]!) { bulkUpdateUsers(updates: $updates) { updatedCount missingIds } }`;

const account = (username: string, overrides: Record<string, unknown> = {}) => ({
  username,
  email: `${username}@example.com`,
  password: 'long enough password',
  ...overrides,
});

for (const dialect of dialects) {
  describe.skipIf(!dialect.available)(`admin operations (${dialect.name})`, () => {
    const suite = useDatabaseGateway(dialect);
    const db = () => suite.gateway.database.db;
    const usernames = async () => (await db().selectFrom('users').select('username').orderBy('id').execute()).map((row) => row.username);

    it('keeps the good accounts of an import and says why each bad one failed, in input order', async () => {
      const root = await insertUser(db(), { username: 'root', role: 'ADMIN' });
      await insertUser(db(), { username: 'existing' });
      const { body } = await suite.gateway.query(
        IMPORT,
        {
          inputs: [
            account('first'),
            account('x', { email: 'nope' }),
            account('First', { email: 'again@example.com' }),
            account('EXISTING', { email: 'e2@example.com' }),
            account('last', { bio: 'hello' }),
          ],
        },
        await as(root),
      );
      expect(body.errors).toBeUndefined();
      expect(body.data.importUsers).toEqual([
        { __typename: 'ImportedUser', user: { username: 'first', email: 'first@example.com' } },
        {
          __typename: 'ValidationError',
          fields: [
            { path: ['inputs', '1', 'username'], message: 'username must be at least 3 characters' },
            { path: ['inputs', '1', 'email'], message: 'email must be an email address' },
          ],
        },
        { __typename: 'UsernameTakenError', username: 'First' },
        { __typename: 'UsernameTakenError', username: 'EXISTING' },
        { __typename: 'ImportedUser', user: { username: 'last', email: 'last@example.com' } },
      ]);
      expect(await usernames()).toEqual(['root', 'existing', 'first', 'last']);
    });

    it('refuses imports and bulk updates from non-admins, and from anonymous requests', async () => {
      const ada = await insertUser(db(), { username: 'ada' });
      const asUser = await suite.gateway.query(IMPORT, { inputs: [account('sneaky')] }, await as(ada));
      expect(asUser.body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
      const anonymous = await suite.gateway.query(BULK, { updates: [{ id: toGlobalId('User', ada), role: 'ADMIN' }] });
      expect(anonymous.body.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
      const promoted = await suite.gateway.query(BULK, { updates: [{ id: toGlobalId('User', ada), role: 'ADMIN' }] }, await as(ada));
      expect(promoted.body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
      expect(await usernames()).toEqual(['ada']);
      const role = await db().selectFrom('users').select('role').executeTakeFirstOrThrow();
      expect(role.role).toBe('USER');
    });

    it('caps an import at 100 accounts', async () => {
      const root = await insertUser(db(), { username: 'root', role: 'ADMIN' });
      const inputs = Array.from({ length: 101 }, (_, i) => account(`user${i}`));
      const { body } = await suite.gateway.query(IMPORT, { inputs }, await as(root));
      expect(body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
      expect(body.errors?.[0]?.message).toMatch(/at most 100/);
      expect(await usernames()).toEqual(['root']);
    });

    it('applies a bulk update in one go and lists the ids that matched no user', async () => {
      const root = await insertUser(db(), { username: 'root', role: 'ADMIN' });
      const ada = await insertUser(db(), { username: 'ada' });
      const grace = await insertUser(db(), { username: 'grace' });
      const post = await insertPost(db(), { authorId: ada });
      const missing = toGlobalId('User', 9999);
      const notAUser = toGlobalId('Post', post);
      const { body } = await suite.gateway.query(
        BULK,
        {
          updates: [
            { id: toGlobalId('User', ada), role: 'ADMIN', displayName: 'Ada' },
            { id: missing, bio: 'ghost' },
            { id: toGlobalId('User', grace), email: 'Grace@Navy.mil', bio: 'Admiral' },
            { id: notAUser, bio: 'not a user' },
          ],
        },
        await as(root),
      );
      expect(body.errors).toBeUndefined();
      expect(body.data.bulkUpdateUsers).toEqual({ updatedCount: 2, missingIds: [missing, notAUser] });
      const rows = await db()
        .selectFrom('users')
        .innerJoin('profiles', 'profiles.user_id', 'users.id')
        .select(['username', 'role', 'email', 'display_name', 'bio'])
        .orderBy('users.id')
        .execute();
      expect(rows).toEqual([
        { username: 'root', role: 'ADMIN', email: 'root@example.com', display_name: null, bio: null },
        { username: 'ada', role: 'ADMIN', email: 'ada@example.com', display_name: 'Ada', bio: null },
        { username: 'grace', role: 'USER', email: 'grace@navy.mil', display_name: null, bio: 'Admiral' },
      ]);
    });

    it.each([
      [
        'an invalid field',
        (ids: number[]) => [
          { id: toGlobalId('User', ids[0]!), displayName: 'Changed' },
          { id: toGlobalId('User', ids[1]!), email: 'nope' },
        ],
        'updates.1.email',
      ],
      [
        'an email that another user has',
        (ids: number[]) => [
          { id: toGlobalId('User', ids[0]!), displayName: 'Changed' },
          { id: toGlobalId('User', ids[1]!), email: 'root@example.com' },
        ],
        'updates.1.email',
      ],
    ])('writes nothing of a bulk update with %s', async (_name, updates, path) => {
      const root = await insertUser(db(), { username: 'root', role: 'ADMIN' });
      const ada = await insertUser(db(), { username: 'ada', displayName: 'Ada' });
      const grace = await insertUser(db(), { username: 'grace' });
      const before = await db().selectFrom('profiles').innerJoin('users', 'users.id', 'profiles.user_id').selectAll().orderBy('users.id').execute();
      const { body } = await suite.gateway.query(BULK, { updates: updates([ada, grace]) }, await as(root));
      expect(body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
      expect(body.errors?.[0]?.message).toContain(path);
      const after = await db().selectFrom('profiles').innerJoin('users', 'users.id', 'profiles.user_id').selectAll().orderBy('users.id').execute();
      expect(after).toEqual(before);
    });

    it('ranks top authors by published posts in one statement, ties to the older account', async () => {
      const at = minutes();
      const old = await insertUser(db(), { username: 'old', createdAt: at() });
      const prolific = await insertUser(db(), { username: 'prolific', createdAt: at() });
      const young = await insertUser(db(), { username: 'young', createdAt: at() });
      await insertUser(db(), { username: 'silent', createdAt: at() });
      for (let i = 0; i < 3; i++) await insertPost(db(), { authorId: prolific });
      await insertPost(db(), { authorId: young });
      await insertPost(db(), { authorId: old });
      // Drafts do not count.
      for (let i = 0; i < 5; i++) await insertPost(db(), { authorId: young, published: false });

      const before = await counterValue(suite.gateway.metrics.dbQueries, { origin: 'request' });
      const { body } = await suite.gateway.query('{ topAuthors(limit: 4) { postCount user { username displayName } } }');
      expect((await counterValue(suite.gateway.metrics.dbQueries, { origin: 'request' })) - before).toBe(1);
      expect(body.data.topAuthors.map((row: any) => [row.user.username, row.postCount])).toEqual([
        ['prolific', 3],
        ['old', 1],
        ['young', 1],
        ['silent', 0],
      ]);
      const limited = await suite.gateway.query('{ topAuthors(limit: 1) { user { username } } }');
      expect(limited.body.data.topAuthors).toEqual([{ user: { username: 'prolific' } }]);
      const tooMany = await suite.gateway.query('{ topAuthors(limit: 1000) { postCount } }');
      expect(tooMany.body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    });
  });
}

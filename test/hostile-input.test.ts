import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { as } from './helpers/auth.js';
import { dialects } from './helpers/databases.js';
import { useDatabaseGateway } from './helpers/db-suite.js';
import { insertPost, insertUser, toGlobalId } from './helpers/fixtures.js';
import type { GraphQLResponse } from './helpers/gateway.js';
import { anyJson, hostileId, hostileString, validEmail } from './helpers/hostile-strings.js';
import { verifyPassword } from '../resolvers/passwords.js';

// Property: whatever a client sends, the answer is a typed result or a typed error, never
// a 5xx or an unexpected (masked) error, and text that was accepted reads back exactly.
const RUNS = 40;

function expectNoFailure(response: GraphQLResponse) {
  expect(response.status).toBeLessThan(500);
  for (const error of response.body.errors ?? []) expect(error.extensions?.code).not.toBe('INTERNAL_SERVER_ERROR');
}

const CREATE = `mutation($input: CreatePostInput!) {
  createPost(input: $input) { __typename ... on PostPayload { post { id title content } } ... on ValidationError { fields { path } } }
}`;
const SIGN_UP = `mutation($input: SignUpInput!) {
  signUp(input: $input) { __typename ... on AuthPayload { user { username email displayName bio } } }
}`;
const UPDATE_PROFILE = `mutation($input: UpdateProfileInput!) {
  updateProfile(input: $input) { __typename ... on UpdateProfilePayload { user { displayName bio email } } }
}`;

const UPDATE_POST = `mutation($id: ID!, $input: UpdatePostInput!) {
  updatePost(id: $id, input: $input) { __typename ... on PostPayload { post { title content } } }
}`;
const LOG_IN = 'mutation($username: String!, $password: String!) { logIn(username: $username, password: $password) { __typename } }';

for (const dialect of dialects) {
  describe.skipIf(!dialect.available)(`hostile input (${dialect.name})`, () => {
    const suite = useDatabaseGateway(dialect);
    const db = () => suite.gateway.database.db;

    it('createPost: a post or a ValidationError, and an accepted post reads back byte for byte', async () => {
      const author = await insertUser(db(), { username: 'fuzzer' });
      const headers = await as(author);
      await fc.assert(
        fc.asyncProperty(hostileString, hostileString, fc.option(fc.boolean()), async (title, content, published) => {
          const response = await suite.gateway.query(CREATE, { input: { title, content, published } }, headers);
          expectNoFailure(response);
          const result = response.body.data.createPost;
          expect(['PostPayload', 'ValidationError']).toContain(result.__typename);
          if (result.__typename !== 'PostPayload') return;
          expect(result.post.title).toBe(title.trim());
          expect(result.post.content).toBe(content);
          const read = await suite.gateway.query('query($id: ID!) { post(id: $id) { title content } }', { id: result.post.id }, headers);
          expect(read.body.data.post).toEqual({ title: title.trim(), content });
        }),
        { numRuns: RUNS },
      );
    });

    it('signUp: an account, a ValidationError or UsernameTakenError; profile text reads back as stored', async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.oneof(hostileString, fc.stringMatching(/^[a-z][a-z0-9_.]{2,20}$/)),
          fc.oneof(hostileString, validEmail),
          fc.oneof(hostileString, fc.constant('a perfectly fine password')),
          fc.option(hostileString),
          fc.option(hostileString),
          async (username, email, password, displayName, bio) => {
            const response = await suite.gateway.query(SIGN_UP, { input: { username, email, password, displayName, bio } });
            expectNoFailure(response);
            const result = response.body.data.signUp;
            expect(['AuthPayload', 'ValidationError', 'UsernameTakenError']).toContain(result.__typename);
            if (result.__typename !== 'AuthPayload') return;
            expect(result.user.username).toBe(username);
            expect(result.user.displayName).toBe(displayName?.trim() || null);
            expect(result.user.bio).toBe(bio?.trim() ? bio : null);
          },
        ),
        { numRuns: RUNS },
      );
    });

    it('updateProfile: a payload or a ValidationError, never a failure', async () => {
      const user = await insertUser(db(), { username: 'profiled' });
      const headers = await as(user);
      await fc.assert(
        fc.asyncProperty(fc.option(hostileString), fc.option(hostileString), fc.option(hostileString), async (displayName, bio, email) => {
          const response = await suite.gateway.query(UPDATE_PROFILE, { input: { displayName, bio, email: email ?? undefined } }, headers);
          expectNoFailure(response);
          expect(['UpdateProfilePayload', 'ValidationError']).toContain(response.body.data.updateProfile.__typename);
        }),
        { numRuns: RUNS },
      );
    });

    it('updatePost: a payload or a typed error for any id and input; accepted text reads back byte for byte', async () => {
      const author = await insertUser(db(), { username: 'editor' });
      const other = await insertUser(db(), { username: 'bystander' });
      const own = toGlobalId('Post', await insertPost(db(), { authorId: author }));
      const theirs = toGlobalId('Post', await insertPost(db(), { authorId: other, title: 'untouched', content: 'as is' }));
      const headers = await as(author);
      await fc.assert(
        fc.asyncProperty(
          fc.oneof(fc.constant(own), fc.constant(theirs), hostileId),
          fc.option(hostileString, { nil: undefined }),
          fc.option(hostileString, { nil: undefined }),
          fc.option(fc.boolean(), { nil: undefined }),
          async (id, title, content, published) => {
            const response = await suite.gateway.query(UPDATE_POST, { id, input: { title, content, published } }, headers);
            expectNoFailure(response);
            const result = response.body.data.updatePost;
            expect(['PostPayload', 'ValidationError', 'NotFoundError', 'ForbiddenError']).toContain(result.__typename);
            if (id === theirs) expect(result.__typename).not.toBe('PostPayload');
            if (result.__typename !== 'PostPayload') return;
            const read = (await suite.gateway.query('query($id: ID!) { post(id: $id) { title content } }', { id }, headers)).body.data.post;
            expect(read).toEqual(result.post && { title: result.post.title, content: result.post.content });
            if (title !== undefined) expect(read.title).toBe(title.trim());
            if (content !== undefined) expect(read.content).toBe(content);
          },
        ),
        { numRuns: RUNS },
      );
      const untouched = await db().selectFrom('posts').select(['title', 'content']).where('author_id', '=', other).execute();
      expect(untouched).toEqual([{ title: 'untouched', content: 'as is' }]);
    });

    it('deletePost: a forged or foreign id deletes nothing and gets a typed error', async () => {
      const author = await insertUser(db(), { username: 'deleter' });
      const other = await insertUser(db(), { username: 'keeper' });
      const theirs = toGlobalId('Post', await insertPost(db(), { authorId: other }));
      const headers = await as(author);
      await fc.assert(
        fc.asyncProperty(fc.oneof(fc.constant(theirs), hostileId), async (id) => {
          const response = await suite.gateway.query('mutation($id: ID!) { deletePost(id: $id) { __typename } }', { id }, headers);
          expectNoFailure(response);
          expect(['NotFoundError', 'ForbiddenError']).toContain(response.body.data.deletePost.__typename);
        }),
        { numRuns: RUNS },
      );
      expect(await db().selectFrom('posts').select('author_id').execute()).toEqual([{ author_id: other }]);
    });

    it('logIn: InvalidCredentialsError for any wrong username or password (or RATE_LIMITED once throttled), never a failure', async () => {
      await suite.gateway.query(SIGN_UP, { input: { username: 'known', email: 'known@example.com', password: 'the right password' } });
      await fc.assert(
        fc.asyncProperty(fc.oneof(hostileString, fc.constantFrom('known', 'KNOWN')), hostileString, async (username, password) => {
          const response = await suite.gateway.query(LOG_IN, { username, password });
          expectNoFailure(response);
          if (response.body.data) expect(response.body.data.logIn.__typename).toBe('InvalidCredentialsError');
          else expect(response.body.errors?.map((error) => error.extensions?.code)).toEqual(['RATE_LIMITED']);
        }),
        // Every attempt costs a password hash (also for unknown names, so that timing tells nothing).
        { numRuns: RUNS / 2, examples: [['nul\u0000inside', 'any password']] },
      );
      // The account is as it was (it may be locked for a while by now: its password is checked directly).
      const stored = await db().selectFrom('users').select('password_hash').where('username', '=', 'known').executeTakeFirstOrThrow();
      expect(await verifyPassword('the right password', stored.password_hash)).toBe(true);
    });

    it('userByUsername: a user or null for any string, never a failure', async () => {
      await insertUser(db(), { username: 'Findable' });
      await fc.assert(
        fc.asyncProperty(fc.oneof(hostileString, fc.constantFrom('findable', 'FINDABLE')), async (username) => {
          const response = await suite.gateway.query('query($u: String!) { userByUsername(username: $u) { username } }', { u: username });
          expectNoFailure(response);
          expect(response.body.data.userByUsername).toEqual(username.toLowerCase() === 'findable' ? { username: 'Findable' } : null);
        }),
        { numRuns: RUNS, examples: [['find\u0000able']] },
      );
    });

    it('answers variables of the wrong type with a 4xx or a typed error, for every operation', async () => {
      const author = await insertUser(db(), { username: 'typist' });
      const post = toGlobalId('Post', await insertPost(db(), { authorId: author }));
      const headers = await as(author);
      const operations = [
        CREATE,
        SIGN_UP,
        UPDATE_PROFILE,
        'mutation($id: ID!, $input: UpdatePostInput!) { updatePost(id: $id, input: $input) { __typename } }',
        'mutation($id: ID!) { deletePost(id: $id) { __typename } }',
        'mutation($username: String!, $password: String!) { logIn(username: $username, password: $password) { __typename } }',
        'mutation($inputs: [SignUpInput!]!) { importUsers(inputs: $inputs) { __typename } }',
        'query($first: Int, $after: String) { posts(first: $first, after: $after) { totalCount } }',
        'query($id: ID!) { node(id: $id) { id } user(id: $id) { id } }',
      ];
      await fc.assert(
        fc.asyncProperty(
          fc.constantFrom(...operations),
          fc.dictionary(fc.constantFrom('input', 'id', 'username', 'password', 'inputs', 'first', 'after'), anyJson),
          async (query, variables) => {
            expectNoFailure(await suite.gateway.query(query, { id: post, ...variables }, headers));
          },
        ),
        { numRuns: RUNS * 2 },
      );
    });
  });
}

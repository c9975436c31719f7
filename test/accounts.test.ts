import { describe, expect, it } from 'vitest';
import { as } from './helpers/auth.js';
import { dialects } from './helpers/databases.js';
import { useDatabaseGateway } from './helpers/db-suite.js';
import { insertUser } from './helpers/fixtures.js';

const SIGN_UP = `mutation($input: SignUpInput!) {
  signUp(input: $input) {
    __typename
    ... on AuthPayload { token user { username email displayName bio role } }
    ... on ValidationError { message fields { path message } }
    ... on UsernameTakenError { message username }
  }
}`;

const LOG_IN = `mutation($username: String!, $password: String!) {
  logIn(username: $username, password: $password) {
    __typename
    ... on AuthPayload { token user { username } }
    ... on Error { message }
  }
}`;

const UPDATE_PROFILE = `mutation($input: UpdateProfileInput!) {
  updateProfile(input: $input) {
    __typename
    ... on UpdateProfilePayload { user { displayName bio email } }
    ... on ValidationError { fields { path message } }
  }
}`;

const signUpInput = (overrides: Record<string, unknown> = {}) => ({
  username: 'ada',
  email: 'Ada@Example.com',
  password: 'correct horse battery',
  displayName: 'Ada Lovelace',
  bio: 'Notes.',
  ...overrides,
});

for (const dialect of dialects) {
  describe.skipIf(!dialect.available)(`accounts (${dialect.name})`, () => {
    const suite = useDatabaseGateway(dialect);
    const count = async (table: 'users' | 'profiles') =>
      Number(
        (
          await suite.gateway.database.db
            .selectFrom(table)
            .select((eb) => eb.fn.countAll().as('n'))
            .executeTakeFirstOrThrow()
        ).n,
      );

    it('signs up with a profile, stores no plain password, and the token signs the viewer in', async () => {
      const { body } = await suite.gateway.query(SIGN_UP, { input: signUpInput() });
      expect(body.errors).toBeUndefined();
      const result = body.data.signUp;
      expect(result.__typename).toBe('AuthPayload');
      expect(result.user).toEqual({ username: 'ada', email: 'ada@example.com', displayName: 'Ada Lovelace', bio: 'Notes.', role: 'USER' });

      const stored = await suite.gateway.database.db.selectFrom('users').select('password_hash').executeTakeFirstOrThrow();
      expect(stored.password_hash).toMatch(/^scrypt\$/);
      expect(stored.password_hash).not.toContain('correct horse');

      const viewer = await suite.gateway.query('{ viewer { username } }', {}, { authorization: `Bearer ${result.token}` });
      expect(viewer.body.data.viewer).toEqual({ username: 'ada' });
    });

    it('lists every bad field with its path and writes nothing', async () => {
      const { body } = await suite.gateway.query(SIGN_UP, {
        input: signUpInput({ username: 'a b', email: 'not-an-email', password: 'short', displayName: 'x'.repeat(101) }),
      });
      const result = body.data.signUp;
      expect(result.__typename).toBe('ValidationError');
      expect(result.fields.map((field: any) => field.path)).toEqual([
        ['input', 'username'],
        ['input', 'email'],
        ['input', 'password'],
        ['input', 'displayName'],
      ]);
      expect(result.fields[2].message).toBe('password must be at least 10 characters');
      expect(await count('users')).toBe(0);
      expect(await count('profiles')).toBe(0);
    });

    it('answers UsernameTakenError for a username taken in another case', async () => {
      await suite.gateway.query(SIGN_UP, { input: signUpInput() });
      const { body } = await suite.gateway.query(SIGN_UP, { input: signUpInput({ username: 'ADA', email: 'other@example.com' }) });
      expect(body.data.signUp).toEqual({ __typename: 'UsernameTakenError', message: 'The username "ADA" is taken', username: 'ADA' });
      expect(await count('users')).toBe(1);
    });

    // Sixteen: as many as the password hasher runs and queues at once (HASHING_LIMITS); more would be refused before the race.
    it('lets exactly one of 16 concurrent sign-ups with one username win', async () => {
      const results = await Promise.all(
        Array.from({ length: 16 }, (_, i) =>
          suite.gateway.query(SIGN_UP, { input: signUpInput({ username: i % 2 ? 'Racer' : 'racer', email: `racer${i}@example.com` }) }),
        ),
      );
      const kinds = results.map((result) => result.body.data?.signUp.__typename ?? result.body.errors?.[0]?.message);
      expect(kinds.filter((kind) => kind === 'AuthPayload')).toHaveLength(1);
      expect(kinds.filter((kind) => kind === 'UsernameTakenError')).toHaveLength(15);
      expect(await count('users')).toBe(1);
      expect(await count('profiles')).toBe(1);
    });

    it('refuses an email that is already registered, as a field error', async () => {
      await suite.gateway.query(SIGN_UP, { input: signUpInput() });
      const { body } = await suite.gateway.query(SIGN_UP, { input: signUpInput({ username: 'grace', email: 'ADA@example.com ' }) });
      expect(body.data.signUp.__typename).toBe('ValidationError');
      expect(body.data.signUp.fields).toEqual([{ path: ['input', 'email'], message: 'email is already registered' }]);
      expect(await count('users')).toBe(1);
      expect(await count('profiles')).toBe(1);
    });

    it('logs in case-insensitively, and answers alike for an unknown user and a wrong password', async () => {
      await suite.gateway.query(SIGN_UP, { input: signUpInput() });
      const ok = await suite.gateway.query(LOG_IN, { username: 'ADA', password: 'correct horse battery' });
      expect(ok.body.data.logIn.__typename).toBe('AuthPayload');
      expect(ok.body.data.logIn.user.username).toBe('ada');

      const wrong = await suite.gateway.query(LOG_IN, { username: 'ada', password: 'wrong horse battery' });
      const unknown = await suite.gateway.query(LOG_IN, { username: 'nobody', password: 'correct horse battery' });
      expect(wrong.body.data.logIn).toEqual({ __typename: 'InvalidCredentialsError', message: 'Unknown username or wrong password' });
      expect(unknown.body.data.logIn).toEqual(wrong.body.data.logIn);
    });

    it('edits the viewer’s own profile and nobody else’s', async () => {
      const ada = await insertUser(suite.gateway.database.db, { username: 'ada', displayName: 'Ada' });
      await insertUser(suite.gateway.database.db, { username: 'grace', email: 'grace@example.com' });
      const { body } = await suite.gateway.query(
        UPDATE_PROFILE,
        { input: { displayName: '  Countess  ', bio: '', email: 'Countess@Example.com' } },
        await as(ada),
      );
      expect(body.data.updateProfile).toEqual({
        __typename: 'UpdateProfilePayload',
        user: { displayName: 'Countess', bio: null, email: 'countess@example.com' },
      });
      const grace = await suite.gateway.query('{ userByUsername(username: "grace") { displayName } }');
      expect(grace.body.data.userByUsername.displayName).toBeNull();
    });

    it('refuses a bad or taken email in a profile edit and changes nothing', async () => {
      const ada = await insertUser(suite.gateway.database.db, { username: 'ada', displayName: 'Ada' });
      await insertUser(suite.gateway.database.db, { username: 'grace', email: 'grace@example.com' });
      for (const email of ['nope', 'grace@example.com', null]) {
        const { body } = await suite.gateway.query(UPDATE_PROFILE, { input: { displayName: 'Changed', email } }, await as(ada));
        expect(body.data.updateProfile.__typename).toBe('ValidationError');
        expect(body.data.updateProfile.fields[0].path).toEqual(['input', 'email']);
      }
      const me = await suite.gateway.query('{ viewer { displayName email } }', {}, await as(ada));
      expect(me.body.data.viewer).toEqual({ displayName: 'Ada', email: 'ada@example.com' });
    });

    it('requires a signed-in viewer to edit a profile', async () => {
      const { body } = await suite.gateway.query(UPDATE_PROFILE, { input: { displayName: 'Ghost' } });
      expect(body.data).toBeNull();
      expect(body.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    });

    it('shows an email to its owner and to admins only', async () => {
      const ada = await insertUser(suite.gateway.database.db, { username: 'ada' });
      const grace = await insertUser(suite.gateway.database.db, { username: 'grace' });
      const root = await insertUser(suite.gateway.database.db, { username: 'root', role: 'ADMIN' });
      const query = '{ userByUsername(username: "ada") { email } }';
      const email = async (headers: Record<string, string>) => (await suite.gateway.query(query, {}, headers)).body.data.userByUsername.email;
      expect(await email(await as(ada))).toBe('ada@example.com');
      expect(await email(await as(root))).toBe('ada@example.com');
      expect(await email(await as(grace))).toBeNull();
      expect(await email({})).toBeNull();
    });
  });
}

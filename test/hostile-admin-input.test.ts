import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { localIdOf } from '../schema/ids.js';
import { as } from './helpers/auth.js';
import { dialects } from './helpers/databases.js';
import { useDatabaseGateway } from './helpers/db-suite.js';
import { insertUser, toGlobalId } from './helpers/fixtures.js';
import type { GraphQLResponse } from './helpers/gateway.js';
import { hostileId, hostileString, validEmail } from './helpers/hostile-strings.js';

// Property, for the admin mutations: any list, of any length, of any input gets a typed
// answer per item (importUsers) or one answer for the batch (bulkUpdateUsers), never a 5xx
// or a masked error; what was accepted reads back byte for byte, and a refused bulk update
// writes nothing.

/** Each run hashes the passwords of the valid accounts it imports: keep the count modest. */
const RUNS = 15;

function expectNoFailure(response: GraphQLResponse) {
  expect(response.status).toBeLessThan(500);
  for (const error of response.body.errors ?? []) expect(error.extensions?.code).not.toBe('INTERNAL_SERVER_ERROR');
}

const IMPORT = `mutation($inputs: [SignUpInput!]!) {
  importUsers(inputs: $inputs) { __typename ... on ImportedUser { user { username displayName bio } } }
}`;
const NAMES = ['one', 'two', 'three'];
const BULK = 'mutation($updates: [BulkUserUpdate!]!) { bulkUpdateUsers(updates: $updates) { updatedCount missingIds } }';

/** Mostly a valid value, sometimes a hostile one: so that accepted items, the ones whose text must survive, are common. */
const mostly = <T>(valid: fc.Arbitrary<T>) => fc.oneof({ weight: 4, arbitrary: valid }, { weight: 1, arbitrary: hostileString });
/** Profile text: hostile strings, and any Unicode text (valid, and must read back as sent, edge spaces of a bio included). */
const text = fc.option(
  fc
    .tuple(fc.constantFrom('', ' ', '\n', ' \t'), fc.oneof(hostileString, fc.string({ unit: 'grapheme', maxLength: 80 })), fc.constantFrom('', ' ', '\n'))
    .map(([before, middle, after]) => `${before}${middle}${after}`),
  { nil: undefined },
);
const account = fc.record({
  username: mostly(fc.stringMatching(/^[a-z][a-z0-9_.]{2,20}$/)),
  email: mostly(validEmail),
  password: mostly(fc.constant('a perfectly fine password')),
  displayName: text,
  bio: text,
});
/** Short lists of anything, or far more items than the cap (refused before any is looked at). */
const lists = <T>(item: fc.Arbitrary<T>, cap: number) =>
  fc.oneof(
    { weight: 5, arbitrary: fc.array(item, { maxLength: 6 }) },
    { weight: 1, arbitrary: fc.tuple(item, fc.integer({ min: cap + 1, max: 2_000 })).map(([one, n]) => Array.from({ length: n }, () => one)) },
  );

for (const dialect of dialects) {
  describe.skipIf(!dialect.available)(`hostile admin input (${dialect.name})`, () => {
    const suite = useDatabaseGateway(dialect);
    const db = () => suite.gateway.database.db;

    it('importUsers: one typed result per item, or BAD_USER_INPUT for over 100; imported text reads back as stored', async () => {
      const headers = await as(await insertUser(db(), { username: 'root', role: 'ADMIN' }));
      await fc.assert(
        fc.asyncProperty(lists(account, 100), async (inputs) => {
          const response = await suite.gateway.query(IMPORT, { inputs }, headers);
          expectNoFailure(response);
          if (inputs.length > 100) {
            expect(response.body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
            return;
          }
          const results = response.body.data.importUsers as any[];
          expect(results).toHaveLength(inputs.length);
          for (const [i, result] of results.entries()) {
            expect(['ImportedUser', 'ValidationError', 'UsernameTakenError']).toContain(result.__typename);
            if (result.__typename !== 'ImportedUser') continue;
            const { username, displayName, bio } = inputs[i]!;
            expect(result.user).toEqual({ username, displayName: displayName?.trim() || null, bio: bio?.trim() ? bio : null });
            const stored = await db()
              .selectFrom('users')
              .innerJoin('profiles', 'profiles.user_id', 'users.id')
              .select(['display_name', 'bio'])
              .where('username', '=', username)
              .executeTakeFirstOrThrow();
            expect(stored).toEqual({ display_name: result.user.displayName, bio: result.user.bio });
          }
        }),
        { numRuns: RUNS },
      );
    });

    it('bulkUpdateUsers: all written and read back byte for byte, or BAD_USER_INPUT and nothing written', async () => {
      const root = await insertUser(db(), { username: 'root', role: 'ADMIN' });
      const headers = await as(root);
      const ids: string[] = [];
      for (const username of NAMES) ids.push(toGlobalId('User', await insertUser(db(), { username })));
      const update = fc.record(
        {
          // Not the admin's own id: demoting the admin would end the test, not prove anything.
          id: fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...ids) }, { weight: 1, arbitrary: hostileId.filter((id) => localIdOf(id, 'User') !== root) }),
          displayName: fc.option(text),
          bio: fc.option(text),
          email: mostly(validEmail),
          role: fc.constantFrom('USER', 'ADMIN'),
        },
        { requiredKeys: ['id'] },
      );
      const profiles = () =>
        db()
          .selectFrom('users')
          .innerJoin('profiles', 'profiles.user_id', 'users.id')
          .select(['users.id', 'email', 'role', 'display_name', 'bio'])
          .orderBy('users.id')
          .execute();

      await fc.assert(
        fc.asyncProperty(lists(update, 100), async (updates) => {
          const before = await profiles();
          const response = await suite.gateway.query(BULK, { updates }, headers);
          expectNoFailure(response);
          const after = await profiles();
          if (response.body.errors) {
            expect(response.body.errors[0]!.extensions?.code).toBe('BAD_USER_INPUT');
            expect(after).toEqual(before);
            return;
          }
          // Later updates of one user win, field by field, as they were applied in order.
          // A forged id may still name a user ("User:02" is user 2): go by what it decodes to.
          const expected = new Map(before.map((row) => [row.id, { ...row }]));
          for (const { id, displayName, bio } of updates) {
            const row = expected.get(localIdOf(id, 'User') ?? -1);
            if (!row) continue;
            if (displayName !== undefined) row.display_name = displayName?.trim() || null;
            if (bio !== undefined) row.bio = bio?.trim() ? bio : null;
          }
          const text = (rows: typeof before) => rows.map(({ id, display_name, bio }) => ({ id, display_name, bio }));
          expect(text(after)).toEqual(text([...expected.values()]));
        }),
        { numRuns: RUNS * 2 },
      );
    });
  });
}

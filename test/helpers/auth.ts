import { signToken, tokenKey } from '../../resolvers/auth.js';

/** The AUTH_SECRET of test gateways (see testConfig). */
export const TEST_AUTH_SECRET = 'test-secret-that-is-long-enough-to-sign';

/** Headers that sign a request in as the given user. */
export async function as(userId: number): Promise<Record<string, string>> {
  return { authorization: `Bearer ${await signToken(tokenKey(TEST_AUTH_SECRET), { id: userId })}` };
}

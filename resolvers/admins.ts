import type { Kysely } from 'kysely';
import type { Database } from '../db/database.js';
import { selectCredentials, insertUserWithProfile, updateUserRow } from '../db/users.js';
import { ValidationError } from './errors.js';
import { hashPassword } from './passwords.js';
import { email as emailSchema, password as passwordSchema, parseInput, username as usernameSchema } from './validation.js';

export interface AdminAccount {
  username: string;
  /** Needed only to create an account; an existing one keeps its email. */
  email: string | null;
  /** Needed only to create an account; an existing one keeps its password. */
  password: string | null;
}

/**
 * Makes `username` an admin: promotes an existing account (case-insensitive match) or
 * creates a new one. For operators (scripts/create-admin.ts), not for the API.
 */
export async function createOrPromoteAdmin(db: Kysely<Database>, account: AdminAccount): Promise<'created' | 'promoted'> {
  const username = parseInput(usernameSchema, account.username, ['username']);
  const existing = await selectCredentials(db, username);
  if (existing) {
    await db.transaction().execute((trx) => updateUserRow(trx, existing.id, { role: 'ADMIN' }));
    return 'promoted';
  }
  if (account.email === null) throw new ValidationError([{ path: ['email'], message: 'email is needed to create an account' }]);
  if (account.password === null) throw new ValidationError([{ path: ['password'], message: 'password is needed to create an account' }]);
  const email = parseInput(emailSchema, account.email, ['email']);
  const password = parseInput(passwordSchema, account.password, ['password']);
  const passwordHash = await hashPassword(password);
  await db.transaction().execute((trx) => insertUserWithProfile(trx, { username, email, passwordHash, role: 'ADMIN', displayName: null, bio: null }));
  return 'created';
}

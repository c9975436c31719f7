/** Which unique key of users a failed write collided with, on either dialect. */
export type UserUniqueKey = 'username' | 'email';

/**
 * Reads a unique-constraint violation off a driver error: PostgreSQL reports SQLSTATE
 * 23505 with the index name, SQLite an extended code and the index or column in its message.
 * Returns null for any other error, which the caller should rethrow.
 */
export function userUniqueViolation(error: unknown): UserUniqueKey | null {
  if (typeof error !== 'object' || error === null) return null;
  const { code, constraint, message } = error as { code?: unknown; constraint?: unknown; message?: unknown };
  const text = `${typeof constraint === 'string' ? constraint : ''} ${typeof message === 'string' ? message : ''}`;
  if (code !== '23505' && code !== 'SQLITE_CONSTRAINT_UNIQUE') return null;
  if (text.includes('users_username_lower_key')) return 'username';
  if (text.includes('users_email_key') || text.includes('users.email')) return 'email';
  return null;
}

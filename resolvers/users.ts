import type { UserRecord } from '../db/records.js';
import { type AuthorCount, countUsers, selectTopAuthors, selectUserByUsername, selectUsers } from '../db/users.js';
import type { DomainContext } from './context.js';
import { type Connection, type PageArgs, paginate } from './pagination.js';
import { couldBeUsername } from './validation.js';

export function findUser(ctx: DomainContext, id: number): Promise<UserRecord | null> {
  return ctx.loaders.userById.load(id);
}

/** For node look-ups: a null id (one that cannot exist) answers null. */
export function findUsers(ctx: DomainContext, ids: readonly (number | null)[]): Promise<(UserRecord | null)[]> {
  return Promise.all(ids.map((id) => (id === null ? null : findUser(ctx, id))));
}

export async function findUserByUsername(ctx: DomainContext, username: string): Promise<UserRecord | null> {
  if (!couldBeUsername(username)) return null;
  const user = await selectUserByUsername(ctx.db, username);
  if (!user) return null;
  ctx.loaders.userById.prime(user.id, user);
  return user;
}

/** Users, newest account first. */
export async function listUsers(ctx: DomainContext, args: PageArgs): Promise<Connection<UserRecord>> {
  const connection = await paginate(
    args,
    (limit) => selectUsers(ctx.db, limit, args.after),
    () => countUsers(ctx.db),
  );
  for (const { node } of connection.edges) ctx.loaders.userById.prime(node.id, node);
  return connection;
}

/** The signed-in user, or null when anonymous (or when the account no longer exists). */
export async function findViewer(ctx: DomainContext): Promise<UserRecord | null> {
  return ctx.viewer ? findUser(ctx, ctx.viewer.id) : null;
}

/** Email is private: visible to the user themself and to admins. */
export function visibleEmail(ctx: DomainContext, user: UserRecord): string | null {
  return ctx.viewer && (ctx.viewer.id === user.id || ctx.viewer.role === 'ADMIN') ? user.email : null;
}

/** The most rows topAuthors answers. */
export const MAX_TOP_AUTHORS = 100;

/** Users by number of published posts (one statement); each user primes the loader. */
export async function topAuthors(ctx: DomainContext, limit: number): Promise<AuthorCount[]> {
  const rows = await selectTopAuthors(ctx.db, limit);
  for (const { user } of rows) ctx.loaders.userById.prime(user.id, user);
  return rows;
}

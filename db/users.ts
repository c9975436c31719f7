import { type Kysely, sql } from 'kysely';
import type { Database } from './database.js';
import { runPrepared } from './prepared.js';
import { type Keyset, type UserRecord, timestamp, toDate } from './records.js';

/** A user row with its profile: what toUser reads. */
const userColumns = [
  'users.id',
  'users.username',
  'users.email',
  'users.role',
  'users.created_at',
  'users.updated_at',
  'profiles.display_name',
  'profiles.bio',
] as const;

/** The same columns for statements written as SQL (the profile's two by their own names). */
const USER_COLUMNS = sql.raw(userColumns.join(', '));

function usersWithProfiles(db: Kysely<Database>) {
  return db.selectFrom('users').leftJoin('profiles', 'profiles.user_id', 'users.id').select(userColumns);
}

type UserSelection = Awaited<ReturnType<ReturnType<typeof usersWithProfiles>['executeTakeFirstOrThrow']>>;

function toUser(row: UserSelection): UserRecord {
  return {
    id: row.id,
    username: row.username,
    email: row.email,
    role: row.role,
    displayName: row.display_name ?? null,
    bio: row.bio ?? null,
    createdAt: toDate(row.created_at),
    updatedAt: toDate(row.updated_at),
  };
}

/**
 * Written as SQL, not with the query builder, and compiled once per number of ids
 * (runPrepared): every author of every page of posts is read through it, and building and
 * compiling the statement cost more than running it.
 */
export async function selectUsersByIds(db: Kysely<Database>, ids: readonly number[]): Promise<UserRecord[]> {
  if (ids.length === 0) return [];
  const statement = () =>
    sql<UserSelection>`select ${USER_COLUMNS} from users left join profiles on profiles.user_id = users.id where users.id in (${sql.join(ids)})`;
  const { rows } = await runPrepared(db, `users by ${ids.length} ids`, statement, [...ids]);
  return rows.map(toUser);
}

/** Case-insensitive, as the unique index is. */
export async function selectUserByUsername(db: Kysely<Database>, username: string): Promise<UserRecord | undefined> {
  const row = await usersWithProfiles(db).where(sql`lower(users.username)`, '=', username.toLowerCase()).executeTakeFirst();
  return row && toUser(row);
}

/** Users newest first, `limit` rows after the keyset position. */
export async function selectUsers(db: Kysely<Database>, limit: number, after: Keyset | null): Promise<UserRecord[]> {
  let query = usersWithProfiles(db).orderBy('users.created_at', 'desc').orderBy('users.id', 'desc').limit(limit);
  if (after) {
    query = query.where((eb) => eb(eb.refTuple('users.created_at', 'users.id'), '<', eb.tuple(timestamp(after.createdAt), after.id)));
  }
  return (await query.execute()).map(toUser);
}

export async function countUsers(db: Kysely<Database>): Promise<number> {
  const { count } = await db
    .selectFrom('users')
    .select((eb) => eb.fn.countAll<number>().as('count'))
    .executeTakeFirstOrThrow();
  return Number(count);
}

/** Fields of a new account; the email is stored as given (callers lower-case it). */
export interface NewUser {
  username: string;
  email: string;
  passwordHash: string;
  role?: 'USER' | 'ADMIN';
  displayName: string | null;
  bio: string | null;
}

/** Writes a user and its profile. Run it in a transaction: two statements, one account. */
export async function insertUserWithProfile(db: Kysely<Database>, user: NewUser): Promise<number> {
  const now = timestamp();
  const { id } = await db
    .insertInto('users')
    .values({
      username: user.username,
      email: user.email,
      password_hash: user.passwordHash,
      role: user.role ?? 'USER',
      created_at: now,
      updated_at: now,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  await db.insertInto('profiles').values({ user_id: id, display_name: user.displayName, bio: user.bio, updated_at: now }).execute();
  return id;
}

/** The stored password hash and id for a username (case-insensitive), for logging in. */
export async function selectCredentials(db: Kysely<Database>, username: string) {
  return db.selectFrom('users').select(['id', 'password_hash']).where(sql`lower(username)`, '=', username.toLowerCase()).executeTakeFirst();
}

export interface UserChanges {
  email?: string;
  role?: 'USER' | 'ADMIN';
  passwordHash?: string;
  displayName?: string | null;
  bio?: string | null;
}

/**
 * Applies changes to a user and its profile. Returns false when no user has the id.
 * Several statements: run it in a transaction.
 */
export async function updateUserRow(db: Kysely<Database>, id: number, changes: UserChanges): Promise<boolean> {
  const now = timestamp();
  const result = await db
    .updateTable('users')
    .set({
      updated_at: now,
      ...(changes.email !== undefined && { email: changes.email }),
      ...(changes.role !== undefined && { role: changes.role }),
      ...(changes.passwordHash !== undefined && { password_hash: changes.passwordHash }),
    })
    .where('id', '=', id)
    .executeTakeFirst();
  if (Number(result.numUpdatedRows) === 0) return false;
  if (changes.displayName !== undefined || changes.bio !== undefined) {
    await db
      .updateTable('profiles')
      .set({
        updated_at: now,
        ...(changes.displayName !== undefined && { display_name: changes.displayName }),
        ...(changes.bio !== undefined && { bio: changes.bio }),
      })
      .where('user_id', '=', id)
      .execute();
  }
  return true;
}

export interface AuthorCount {
  user: UserRecord;
  postCount: number;
}

/**
 * Users by number of published posts, most first, ties to the older account; one
 * statement (a LEFT JOIN keeps authors with no post, counted as zero).
 */
export async function selectTopAuthors(db: Kysely<Database>, limit: number): Promise<AuthorCount[]> {
  const rows = await db
    .selectFrom('users')
    .leftJoin('profiles', 'profiles.user_id', 'users.id')
    .leftJoin('posts', (join) => join.onRef('posts.author_id', '=', 'users.id').on('posts.published', '=', true))
    .select(userColumns)
    .select((eb) => eb.fn.count<number>('posts.id').as('post_count'))
    .groupBy([...userColumns])
    .orderBy('post_count', 'desc')
    .orderBy('users.created_at', 'asc')
    .orderBy('users.id', 'asc')
    .limit(limit)
    .execute();
  return rows.map((row) => ({ user: toUser(row), postCount: Number(row.post_count) }));
}

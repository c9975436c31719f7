import { type Kysely, sql } from 'kysely';
import type { Database } from './database.js';
import { type Keyset, type UserRecord, timestamp, toDate } from './records.js';

function selectUsers(db: Kysely<Database>) {
  return db
    .selectFrom('users')
    .leftJoin('profiles', 'profiles.user_id', 'users.id')
    .select([
      'users.id',
      'users.username',
      'users.email',
      'users.role',
      'users.created_at',
      'users.updated_at',
      'profiles.display_name',
      'profiles.bio',
    ]);
}

type UserSelection = Awaited<ReturnType<ReturnType<typeof selectUsers>['executeTakeFirstOrThrow']>>;

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

export async function findUsersByIds(db: Kysely<Database>, ids: readonly number[]): Promise<UserRecord[]> {
  if (ids.length === 0) return [];
  const rows = await selectUsers(db).where('users.id', 'in', ids).execute();
  return rows.map(toUser);
}

/** Case-insensitive, as the unique index is. */
export async function findUserByUsername(db: Kysely<Database>, username: string): Promise<UserRecord | undefined> {
  const row = await selectUsers(db)
    .where(sql`lower(users.username)`, '=', username.toLowerCase())
    .executeTakeFirst();
  return row && toUser(row);
}

/** Users newest first, `limit` rows after the keyset position. */
export async function listUsers(db: Kysely<Database>, limit: number, after: Keyset | null): Promise<UserRecord[]> {
  let query = selectUsers(db).orderBy('users.created_at', 'desc').orderBy('users.id', 'desc').limit(limit);
  if (after) {
    query = query.where((eb) =>
      eb(eb.refTuple('users.created_at', 'users.id'), '<', eb.tuple(timestamp(after.createdAt), after.id)),
    );
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

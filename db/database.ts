import type { ColumnType, Generated, Selectable } from 'kysely';

/**
 * A timestamp column. PostgreSQL returns `timestamptz(3)` as a Date, SQLite keeps
 * the ISO-8601 text we wrote; both are written as ISO-8601 strings.
 */
export type Timestamp = ColumnType<Date | string, string, string>;

/** PostgreSQL answers `boolean`; SQLite stores 0/1. Both accept a boolean on write. */
export type BooleanColumn = ColumnType<boolean | number, boolean, boolean>;

export type Role = 'USER' | 'ADMIN';

export interface UsersTable {
  id: Generated<number>;
  /** As the user typed it; uniqueness is on lower(username). */
  username: string;
  /** Stored lower-cased; unique. */
  email: string;
  password_hash: string;
  role: ColumnType<Role, Role | undefined, Role>;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface ProfilesTable {
  user_id: number;
  display_name: string | null;
  bio: string | null;
  updated_at: Timestamp;
}

export interface PostsTable {
  id: Generated<number>;
  author_id: number;
  title: string;
  content: string;
  published: BooleanColumn;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface Database {
  users: UsersTable;
  profiles: ProfilesTable;
  posts: PostsTable;
}

/** A post as a SELECT of all its columns returns it, on either dialect. */
export type PostRow = Selectable<PostsTable>;

import type { Kysely } from 'kysely';
import type { Database, Role } from '../../db/database.js';
import { encodeGlobalID } from '@pothos/plugin-relay';
import { timestamp } from '../../db/records.js';

/** A hash no password matches; tests that log in pass a real one. */
const UNUSABLE_HASH = 'scrypt$32768$8$1$AAAA$AAAA';

export interface UserFixture {
  username: string;
  email?: string;
  role?: Role;
  displayName?: string | null;
  bio?: string | null;
  createdAt?: Date;
  passwordHash?: string;
}

export async function insertUser(db: Kysely<Database>, user: UserFixture): Promise<number> {
  const created = timestamp(user.createdAt ?? new Date());
  const { id } = await db
    .insertInto('users')
    .values({
      username: user.username,
      email: user.email ?? `${user.username.toLowerCase()}@example.com`,
      password_hash: user.passwordHash ?? UNUSABLE_HASH,
      role: user.role ?? 'USER',
      created_at: created,
      updated_at: created,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  await db
    .insertInto('profiles')
    .values({ user_id: id, display_name: user.displayName ?? null, bio: user.bio ?? null, updated_at: created })
    .execute();
  return id;
}

export interface PostFixture {
  authorId: number;
  title?: string;
  content?: string;
  published?: boolean;
  createdAt?: Date;
}

export async function insertPost(db: Kysely<Database>, post: PostFixture): Promise<number> {
  const created = timestamp(post.createdAt ?? new Date());
  const { id } = await db
    .insertInto('posts')
    .values({
      author_id: post.authorId,
      title: post.title ?? 'A post',
      content: post.content ?? 'Some words.',
      published: post.published ?? true,
      created_at: created,
      updated_at: created,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return id;
}

/** A clock for fixtures: each call is one minute after the previous, from a fixed start. */
export function minutes(start = Date.UTC(2026, 10, 1, 12)): () => Date {
  let next = start;
  return () => {
    next += 60_000;
    return new Date(next);
  };
}

/** The global id the API shows for a row. */
export function toGlobalId(typename: 'User' | 'Post', id: number): string {
  return encodeGlobalID(typename, id);
}

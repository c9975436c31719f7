import type { Kysely } from 'kysely';
import type { Database } from './database.js';
import { timestamp } from './records.js';

/** The password of every demo account; the README says so, and production never seeds. */
export const DEMO_PASSWORD = 'gatherql-demo';

const demoUsers = [
  { username: 'ada', displayName: 'Ada Lovelace', bio: 'Notes on the Analytical Engine.' },
  { username: 'grace', displayName: 'Grace Hopper', bio: 'Compilers, and nanoseconds on a string.' },
  { username: 'linus', displayName: 'Linus Torvalds', bio: null },
  { username: 'margaret', displayName: 'Margaret Hamilton', bio: 'Software engineering, from Apollo on.' },
  { username: 'ken', displayName: null, bio: null },
] as const;

const topics = ['weather', 'caching', 'batching', 'SQL', 'GraphQL', 'timeouts'];

export interface SeedSummary {
  users: number;
  posts: number;
  unpublished: number;
}

/**
 * Fills an empty database with demo users and posts, in one transaction. Does nothing
 * (and returns null) when there is already a user, so a restart never seeds twice.
 */
export async function seedDemoData(db: Kysely<Database>, hashPassword: (password: string) => Promise<string>): Promise<SeedSummary | null> {
  // Every start of the embedded default comes here: a database already seeded is told apart
  // before the hash, which holds 32 MiB and a core for tens of milliseconds (passwords.ts).
  if (await anyUser(db)) return null;
  const passwordHash = await hashPassword(DEMO_PASSWORD);
  return db.transaction().execute(async (trx) => {
    // Asked again inside: another process (a worker, a second start) may have seeded since.
    if (await anyUser(trx)) return null;

    const start = Date.UTC(2026, 0, 5, 9, 0, 0);
    const hour = 3_600_000;
    const userIds: number[] = [];
    for (const [index, user] of demoUsers.entries()) {
      const created = timestamp(new Date(start + index * hour));
      const { id } = await trx
        .insertInto('users')
        .values({
          username: user.username,
          email: `${user.username}@example.com`,
          password_hash: passwordHash,
          created_at: created,
          updated_at: created,
        })
        .returning('id')
        .executeTakeFirstOrThrow();
      await trx.insertInto('profiles').values({ user_id: id, display_name: user.displayName, bio: user.bio, updated_at: created }).execute();
      userIds.push(id);
    }

    const posts = Array.from({ length: 30 }, (_, index) => {
      const created = timestamp(new Date(start + (24 + index * 7) * hour));
      const topic = topics[index % topics.length]!;
      return {
        author_id: userIds[index % userIds.length]!,
        title: `On ${topic}, part ${Math.floor(index / topics.length) + 1}`,
        content: `Demo post ${index + 1} about ${topic}.`,
        // Every fifth post is a draft, so that visibility rules have something to hide.
        published: index % 5 !== 4,
        created_at: created,
        updated_at: created,
      };
    });
    await trx.insertInto('posts').values(posts).execute();
    return { users: userIds.length, posts: posts.length, unpublished: posts.filter((post) => !post.published).length };
  });
}

async function anyUser(db: Kysely<Database>): Promise<boolean> {
  return (await db.selectFrom('users').select('id').limit(1).executeTakeFirst()) !== undefined;
}

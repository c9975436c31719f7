import { type ExpressionBuilder, type Kysely, sql } from 'kysely';
import type { Database, PostRow } from './database.js';
import { runPrepared } from './prepared.js';
import { type Keyset, type PostRecord, timestamp, toDate } from './records.js';

const postColumns = ['id', 'author_id', 'title', 'content', 'published', 'created_at', 'updated_at'] as const;
/** The same columns for statements written as SQL. */
const POST_COLUMNS = sql.raw(postColumns.join(', '));

function toPost(row: PostRow): PostRecord {
  return {
    id: row.id,
    authorId: row.author_id,
    title: row.title,
    content: row.content,
    published: Boolean(row.published),
    createdAt: toDate(row.created_at),
    updatedAt: toDate(row.updated_at),
  };
}

/** Published posts, plus the viewer's own unpublished ones. */
function visibleTo(viewerId: number | null) {
  return (eb: ExpressionBuilder<Database, 'posts'>) =>
    viewerId === null ? eb('posts.published', '=', true) : eb.or([eb('posts.published', '=', true), eb('posts.author_id', '=', viewerId)]);
}

function before(after: Keyset) {
  return (eb: ExpressionBuilder<Database, 'posts'>) => eb(eb.refTuple('posts.created_at', 'posts.id'), '<', eb.tuple(timestamp(after.createdAt), after.id));
}

export async function selectPostsByIds(db: Kysely<Database>, ids: readonly number[]): Promise<PostRecord[]> {
  if (ids.length === 0) return [];
  const rows = await db.selectFrom('posts').select(postColumns).where('id', 'in', ids).execute();
  return rows.map(toPost);
}

/**
 * Published posts, newest first, `limit` rows after the keyset position. Written as SQL, not
 * with the query builder, and compiled once per shape (runPrepared): every page of posts runs
 * it, and building and compiling it each time cost more than SQLite took to run it
 * (BENCHMARKS.md, A/B).
 */
export async function selectPublishedPosts(db: Kysely<Database>, limit: number, after: Keyset | null): Promise<PostRecord[]> {
  const createdAt = after && timestamp(after.createdAt);
  const statement = () => {
    const keyset = after ? sql` and (created_at, id) < (${createdAt}, ${after.id})` : sql``;
    return sql<PostRow>`select ${POST_COLUMNS} from posts where published = ${true}${keyset} order by created_at desc, id desc limit ${limit}`;
  };
  const { rows } = after
    ? await runPrepared(db, 'published posts after a keyset', statement, [true, createdAt, after.id, limit])
    : await runPrepared(db, 'published posts', statement, [true, limit]);
  return rows.map(toPost);
}

export async function countPublishedPosts(db: Kysely<Database>): Promise<number> {
  const { count } = await db
    .selectFrom('posts')
    .select((eb) => eb.fn.countAll<number>().as('count'))
    .where('published', '=', true)
    .executeTakeFirstOrThrow();
  return Number(count);
}

/**
 * The first `limit` posts of each author that the viewer may see, newest first, in one
 * statement: a window function numbers each author's rows, so the statement count does
 * not grow with the number of authors.
 */
export async function selectPostsOfAuthors(
  db: Kysely<Database>,
  authorIds: readonly number[],
  options: { limit: number; after: Keyset | null; viewerId: number | null },
): Promise<PostRecord[]> {
  if (authorIds.length === 0) return [];
  let ranked = db
    .selectFrom('posts')
    .select(postColumns)
    .select(sql<number>`row_number() over (partition by author_id order by created_at desc, id desc)`.as('position'))
    .where('author_id', 'in', authorIds)
    .where(visibleTo(options.viewerId));
  if (options.after) ranked = ranked.where(before(options.after));
  const rows = await db
    .selectFrom(ranked.as('ranked'))
    .select(postColumns)
    .where('position', '<=', options.limit)
    .orderBy('author_id')
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .execute();
  return rows.map(toPost);
}

/** Number of posts per author; published only, or all the viewer may see. */
export async function countPostsOfAuthors(
  db: Kysely<Database>,
  authorIds: readonly number[],
  viewerId: number | null,
  publishedOnly: boolean,
): Promise<Map<number, number>> {
  if (authorIds.length === 0) return new Map();
  const rows = await db
    .selectFrom('posts')
    .select(['author_id', (eb) => eb.fn.countAll<number>().as('count')])
    .where('author_id', 'in', authorIds)
    .where(publishedOnly ? visibleTo(null) : visibleTo(viewerId))
    .groupBy('author_id')
    .execute();
  return new Map(rows.map((row) => [row.author_id, Number(row.count)]));
}

export interface NewPost {
  authorId: number;
  title: string;
  content: string;
  published: boolean;
}

export async function insertPost(db: Kysely<Database>, post: NewPost): Promise<PostRecord> {
  const now = timestamp();
  const row = await db
    .insertInto('posts')
    .values({ author_id: post.authorId, title: post.title, content: post.content, published: post.published, created_at: now, updated_at: now })
    .returning(postColumns)
    .executeTakeFirstOrThrow();
  return toPost(row);
}

export interface PostChanges {
  title?: string;
  content?: string;
  published?: boolean;
}

/** Returns the updated post, or undefined when it no longer exists. */
export async function updatePostRow(db: Kysely<Database>, id: number, changes: PostChanges): Promise<PostRecord | undefined> {
  const row = await db
    .updateTable('posts')
    .set({ ...changes, updated_at: timestamp() })
    .where('id', '=', id)
    .returning(postColumns)
    .executeTakeFirst();
  return row && toPost(row);
}

/** True when a row was deleted. */
export async function deletePostRow(db: Kysely<Database>, id: number): Promise<boolean> {
  const result = await db.deleteFrom('posts').where('id', '=', id).executeTakeFirst();
  return Number(result.numDeletedRows) > 0;
}

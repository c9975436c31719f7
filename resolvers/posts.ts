import { countPublishedPosts, selectPublishedPosts } from '../db/posts.js';
import type { PostRecord } from '../db/records.js';
import type { LiveStream } from '../events/event-queue.js';
import type { DomainContext } from './context.js';
import { type Connection, type PageArgs, paginate, toConnection } from './pagination.js';

/** A post exists for a reader when it is published or the reader wrote it. */
export function canRead(ctx: DomainContext, post: PostRecord): boolean {
  return post.published || post.authorId === ctx.viewer?.id;
}

export async function findPost(ctx: DomainContext, id: number): Promise<PostRecord | null> {
  const post = await ctx.loaders.postById.load(id);
  return post && canRead(ctx, post) ? post : null;
}

/** For node look-ups: a null id (one that cannot exist) answers null. */
export async function findPosts(ctx: DomainContext, ids: readonly (number | null)[]): Promise<(PostRecord | null)[]> {
  return Promise.all(ids.map((id) => (id === null ? null : findPost(ctx, id))));
}

/** Published posts, newest first. */
export async function listPublishedPosts(ctx: DomainContext, args: PageArgs): Promise<Connection<PostRecord>> {
  const connection = await paginate(
    args,
    (limit) => selectPublishedPosts(ctx.db, limit, args.after),
    () => countPublishedPosts(ctx.db),
  );
  for (const { node } of connection.edges) ctx.loaders.postById.prime(node.id, node);
  return connection;
}

/** An author's posts that the viewer may see, newest first; batched across authors. */
export async function listPostsOfAuthor(ctx: DomainContext, authorId: number, args: PageArgs): Promise<Connection<PostRecord>> {
  const rows = args.first === 0 ? [] : await ctx.loaders.postsByAuthorId({ limit: args.first + 1, after: args.after }).load(authorId);
  return toConnection(rows, args, () => ctx.loaders.visiblePostCountByAuthorId.load(authorId));
}

export function countPublishedPostsOfAuthor(ctx: DomainContext, authorId: number): Promise<number> {
  return ctx.loaders.postCountByAuthorId.load(authorId);
}

/**
 * The posts that become published from now on, whichever instance writes them (see
 * createPost, updatePost). Answers once every instance's events reach the subscription, so
 * that a client told it is subscribed misses no post published after.
 */
export async function watchPublishedPosts(ctx: Pick<DomainContext, 'events'>): Promise<LiveStream<PostRecord>> {
  const posts = ctx.events.subscribe('post-published');
  await posts.ready;
  return posts;
}

import { deletePostRow, insertPost, updatePostRow } from '../db/posts.js';
import type { PostRecord } from '../db/records.js';
import { type DomainContext, requireViewer } from './context.js';
import { ForbiddenError, NotFoundError } from './errors.js';
import { canRead } from './posts.js';
import { createPostInput, parseInput, updatePostInput } from './validation.js';

/** A post reference as the client sent it (for NotFoundError) and its database id, if it can have one. */
export interface PostRef {
  ref: string;
  id: number | null;
}

/** Creates a post by the viewer; a published one is told to the subscribers of postPublished on every instance. */
export async function createPost(ctx: DomainContext, input: unknown): Promise<{ post: PostRecord }> {
  const viewer = requireViewer(ctx);
  const fields = parseInput(createPostInput, input, ['input']);
  const post = await insertPost(ctx.db, { authorId: viewer.id, ...fields });
  ctx.loaders.postById.prime(post.id, post);
  if (post.published) ctx.events.publish('post-published', post);
  return { post };
}

/**
 * The post a write targets. Someone else's draft does not exist for the viewer (not
 * found, as when reading it); someone else's published post is forbidden.
 */
async function target(ctx: DomainContext, ref: PostRef, mayActOnOthers: boolean): Promise<PostRecord> {
  const viewer = requireViewer(ctx);
  const post = ref.id === null ? null : await ctx.loaders.postById.load(ref.id);
  if (!post || (!canRead(ctx, post) && !mayActOnOthers)) throw new NotFoundError(ref.ref, 'No post');
  if (post.authorId !== viewer.id && !mayActOnOthers) throw new ForbiddenError('Only the author may change this post');
  return post;
}

/** Only the author edits a post; a draft it publishes is told to the subscribers of postPublished. */
export async function updatePost(ctx: DomainContext, ref: PostRef, input: unknown): Promise<{ post: PostRecord }> {
  const current = await target(ctx, ref, false);
  const changes = parseInput(updatePostInput, input, ['input']);
  const post = await updatePostRow(ctx.db, current.id, changes);
  if (!post) throw new NotFoundError(ref.ref, 'No post');
  ctx.loaders.postById.clear(post.id).prime(post.id, post);
  // A draft that becomes published is news; an edit of a published post is not.
  if (post.published && !current.published) ctx.events.publish('post-published', post);
  return { post };
}

/** The author or an admin deletes a post. */
export async function deletePost(ctx: DomainContext, ref: PostRef): Promise<{ deletedPostId: number }> {
  const post = await target(ctx, ref, requireViewer(ctx).role === 'ADMIN');
  if (!(await deletePostRow(ctx.db, post.id))) throw new NotFoundError(ref.ref, 'No post');
  ctx.loaders.postById.clear(post.id);
  return { deletedPostId: post.id };
}

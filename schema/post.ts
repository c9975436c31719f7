import type { PostRecord } from '../db/records.js';
import { countPublishedPostsOfAuthor, findPost, findPosts, listPostsOfAuthor, listPublishedPosts } from '../resolvers/posts.js';
import { findUser } from '../resolvers/users.js';
import { builder } from './builder.js';
import { pageArgs, toPageArgs } from './pagination.js';
import { localId, parseLocalId } from './ids.js';
import { DateTime } from './scalars.js';
import { User } from './user.js';
import { VIEWER_SCOPE } from './viewer-scope.js';

export const Post = builder.node(builder.objectRef<PostRecord>('Post'), {
  id: { resolve: (post) => post.id },
  loadMany: (ids, ctx) => findPosts(ctx, ids.map(parseLocalId)),
  fields: (t) => ({
    title: t.exposeString('title'),
    content: t.exposeString('content'),
    published: t.exposeBoolean('published'),
    createdAt: t.expose('createdAt', { type: DateTime }),
    updatedAt: t.expose('updatedAt', { type: DateTime }),
    author: t.field({
      type: User,
      // A post's author always exists (foreign key, cascading delete).
      resolve: async (post, _args, ctx) => (await findUser(ctx, post.authorId))!,
    }),
  }),
});

export const PostConnection = builder.connectionObject({ type: Post, name: 'PostConnection' });

builder.objectFields(User, (t) => ({
  posts: t.field({
    type: PostConnection,
    description: 'Published posts, plus unpublished ones when the viewer is this user.',
    extensions: VIEWER_SCOPE,
    args: pageArgs,
    resolve: (user, args, ctx) => listPostsOfAuthor(ctx, user.id, toPageArgs(args)),
  }),
  postCount: t.int({
    description: 'Number of published posts.',
    resolve: (user, _args, ctx) => countPublishedPostsOfAuthor(ctx, user.id),
  }),
}));

builder.queryFields((t) => ({
  post: t.field({
    type: Post,
    nullable: true,
    description: 'A published post, or an unpublished one whose author is the viewer.',
    extensions: VIEWER_SCOPE,
    args: { id: t.arg.globalID({ required: true, for: Post }) },
    resolve: (_root, args, ctx) => findPost(ctx, localId(args.id)),
  }),
  posts: t.field({
    type: PostConnection,
    description: 'Published posts, newest first.',
    args: pageArgs,
    resolve: (_root, args, ctx) => listPublishedPosts(ctx, toPageArgs(args)),
  }),
}));

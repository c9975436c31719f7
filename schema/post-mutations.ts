import { encodeGlobalID } from '@pothos/plugin-relay';
import type { PostRecord } from '../db/records.js';
import { createPost, deletePost, updatePost } from '../resolvers/post-writes.js';
import { ForbiddenError, NotFoundError, ValidationError } from '../resolvers/errors.js';
import { builder } from './builder.js';
// Registers the error classes as GraphQL types before the unions below name them.
import './errors.js';
import { localIdOf } from './ids.js';
import { Post } from './post.js';

export const CreatePostInput = builder.inputType('CreatePostInput', {
  fields: (t) => ({
    title: t.string({ required: true, description: '1-200 characters after trimming.' }),
    content: t.string({ required: true, description: 'At most 100,000 characters.' }),
    published: t.boolean({ defaultValue: false }),
  }),
});

export const UpdatePostInput = builder.inputType('UpdatePostInput', {
  fields: (t) => ({
    title: t.string(),
    content: t.string(),
    published: t.boolean(),
  }),
});

export const PostPayload = builder.objectRef<{ post: PostRecord }>('PostPayload').implement({
  fields: (t) => ({ post: t.field({ type: Post, resolve: (payload) => payload.post }) }),
});

export const DeletePostPayload = builder.objectRef<{ deletedPostId: number }>('DeletePostPayload').implement({
  fields: (t) => ({ deletedId: t.id({ resolve: (payload) => encodeGlobalID('Post', payload.deletedPostId) }) }),
});

const CreatePostResult = builder.errorUnion('CreatePostResult', {
  types: [PostPayload, ValidationError],
  resolveType: () => 'PostPayload',
});

const UpdatePostResult = builder.errorUnion('UpdatePostResult', {
  types: [PostPayload, ValidationError, NotFoundError, ForbiddenError],
  resolveType: () => 'PostPayload',
});

const DeletePostResult = builder.errorUnion('DeletePostResult', {
  types: [DeletePostPayload, NotFoundError, ForbiddenError],
  resolveType: () => 'DeletePostPayload',
});

/** A post id as the client sent it, and the database id if it can name a post. */
const postRef = (id: string | number) => ({ ref: String(id), id: localIdOf(String(id), 'Post') });

builder.mutationFields((t) => ({
  createPost: t.field({
    type: CreatePostResult,
    description: 'Signed-in users only; the author is the viewer.',
    authScopes: { signedIn: true },
    args: { input: t.arg({ type: CreatePostInput, required: true }) },
    resolve: (_root, args, ctx) => createPost(ctx, args.input),
  }),
  updatePost: t.field({
    type: UpdatePostResult,
    description: 'Only the post’s author.',
    authScopes: { signedIn: true },
    args: { id: t.arg.id({ required: true }), input: t.arg({ type: UpdatePostInput, required: true }) },
    resolve: (_root, args, ctx) => updatePost(ctx, postRef(args.id), args.input),
  }),
  deletePost: t.field({
    type: DeletePostResult,
    description: 'Only the post’s author (or an admin).',
    authScopes: { signedIn: true },
    args: { id: t.arg.id({ required: true }) },
    resolve: (_root, args, ctx) => deletePost(ctx, postRef(args.id)),
  }),
}));

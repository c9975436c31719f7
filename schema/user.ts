import type { UserRecord } from '../db/records.js';
import { findUser, findUserByUsername, findUsers, findViewer, listUsers, visibleEmail } from '../resolvers/users.js';
import { builder } from './builder.js';
import { pageArgs, toPageArgs } from './pagination.js';
import { localId, parseLocalId } from './ids.js';
import { DateTime } from './scalars.js';
import { VIEWER_SCOPE } from './viewer-scope.js';

export const Role = builder.enumType('Role', { values: ['USER', 'ADMIN'] as const });

export const User = builder.node(builder.objectRef<UserRecord>('User'), {
  id: { resolve: (user) => user.id },
  loadMany: (ids, ctx) => findUsers(ctx, ids.map(parseLocalId)),
  fields: (t) => ({
    username: t.exposeString('username'),
    email: t.string({
      nullable: true,
      description: 'Visible to the user themself and to admins; null for everyone else.',
      extensions: VIEWER_SCOPE,
      resolve: (user, _args, ctx) => visibleEmail(ctx, user),
    }),
    displayName: t.exposeString('displayName', { nullable: true }),
    bio: t.exposeString('bio', { nullable: true }),
    role: t.field({ type: Role, resolve: (user) => user.role }),
    createdAt: t.expose('createdAt', { type: DateTime }),
  }),
});

export const UserConnection = builder.connectionObject({ type: User, name: 'UserConnection' });

builder.queryFields((t) => ({
  viewer: t.field({
    type: User,
    nullable: true,
    description: 'The signed-in user, from the bearer token; null when anonymous.',
    extensions: VIEWER_SCOPE,
    resolve: (_root, _args, ctx) => findViewer(ctx),
  }),
  user: t.field({
    type: User,
    nullable: true,
    args: { id: t.arg.globalID({ required: true, for: User }) },
    resolve: (_root, args, ctx) => findUser(ctx, localId(args.id)),
  }),
  userByUsername: t.field({
    type: User,
    nullable: true,
    args: { username: t.arg.string({ required: true }) },
    resolve: (_root, args, ctx) => findUserByUsername(ctx, args.username),
  }),
  users: t.field({
    type: UserConnection,
    args: pageArgs,
    resolve: (_root, args, ctx) => listUsers(ctx, toPageArgs(args)),
  }),
}));

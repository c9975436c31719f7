import type { UserRecord } from '../db/records.js';
import { importUsers } from '../resolvers/accounts.js';
import { bulkUpdateUsers } from '../resolvers/profiles.js';
import { SignUpInput } from './auth.js';
import { UsernameTakenError, ValidationError } from '../resolvers/errors.js';
import { builder } from './builder.js';
// Registers the error classes as GraphQL types before the unions below name them.
import './errors.js';
import { localIdOf } from './ids.js';
import { Role, User } from './user.js';

export const ImportedUser = builder.objectRef<{ user: UserRecord }>('ImportedUser').implement({
  fields: (t) => ({ user: t.field({ type: User, resolve: (result) => result.user }) }),
});

const ImportUserResult = builder.errorUnion('ImportUserResult', {
  types: [ImportedUser, ValidationError, UsernameTakenError],
  resolveType: () => 'ImportedUser',
});

export const BulkUserUpdate = builder.inputType('BulkUserUpdate', {
  fields: (t) => ({
    id: t.id({ required: true }),
    displayName: t.string(),
    bio: t.string(),
    email: t.string(),
    role: t.field({ type: Role }),
  }),
});

export const BulkUpdateUsersPayload = builder.objectRef<{ updatedCount: number; missingIds: string[] }>('BulkUpdateUsersPayload').implement({
  fields: (t) => ({
    updatedCount: t.exposeInt('updatedCount'),
    missingIds: t.exposeIDList('missingIds', { description: 'Ids that matched no user; nothing else was skipped.' }),
  }),
});

builder.mutationFields((t) => ({
  importUsers: t.field({
    type: [ImportUserResult],
    description: 'Admin only: create many accounts; one result per input, in input order.',
    authScopes: { admin: true },
    args: { inputs: t.arg({ type: [SignUpInput], required: true }) },
    resolve: (_root, args, ctx) => importUsers(ctx, args.inputs),
  }),
  bulkUpdateUsers: t.field({
    type: BulkUpdateUsersPayload,
    description: 'Admin only: update several users in one transaction.',
    authScopes: { admin: true },
    args: { updates: t.arg({ type: [BulkUserUpdate], required: true }) },
    resolve: (_root, args, ctx) =>
      bulkUpdateUsers(
        ctx,
        args.updates.map(({ id, ...changes }) => ({ ref: String(id), id: localIdOf(String(id), 'User'), changes })),
      ),
  }),
}));

import type { UserRecord } from '../db/records.js';
import { updateProfile } from '../resolvers/profiles.js';
import { ValidationError } from '../resolvers/errors.js';
import { builder } from './builder.js';
// Registers the error classes as GraphQL types before the unions below name them.
import './errors.js';
import { User } from './user.js';

export const UpdateProfileInput = builder.inputType('UpdateProfileInput', {
  fields: (t) => ({
    displayName: t.string(),
    bio: t.string(),
    email: t.string(),
  }),
});

export const UpdateProfilePayload = builder.objectRef<{ user: UserRecord }>('UpdateProfilePayload').implement({
  fields: (t) => ({ user: t.field({ type: User, resolve: (payload) => payload.user }) }),
});

const UpdateProfileResult = builder.errorUnion('UpdateProfileResult', {
  types: [UpdateProfilePayload, ValidationError],
  resolveType: () => 'UpdateProfilePayload',
});

builder.mutationField('updateProfile', (t) =>
  t.field({
    type: UpdateProfileResult,
    description: 'Signed-in users only: edit one’s own profile.',
    authScopes: { signedIn: true },
    args: { input: t.arg({ type: UpdateProfileInput, required: true }) },
    resolve: (_root, args, ctx) => updateProfile(ctx, args.input),
  }),
);

import type { AuthPayload as AuthPayloadShape } from '../resolvers/accounts.js';
import { logIn, signUp } from '../resolvers/accounts.js';
import { InvalidCredentialsError, UsernameTakenError, ValidationError } from '../resolvers/errors.js';
import { builder } from './builder.js';
// Registers the error classes as GraphQL types before the unions below name them.
import './errors.js';
import { User } from './user.js';

export const SignUpInput = builder.inputType('SignUpInput', {
  fields: (t) => ({
    username: t.string({ required: true, description: "3-32 characters: letters, digits, '_' and '.'; unique, case-insensitively." }),
    email: t.string({ required: true }),
    password: t.string({ required: true, description: 'At least 10 characters.' }),
    displayName: t.string(),
    bio: t.string(),
  }),
});

export const AuthPayload = builder.objectRef<AuthPayloadShape>('AuthPayload').implement({
  fields: (t) => ({
    token: t.exposeString('token', { description: 'Bearer token for the Authorization header.' }),
    user: t.field({ type: User, resolve: (payload) => payload.user }),
  }),
});

const SignUpResult = builder.errorUnion('SignUpResult', {
  types: [AuthPayload, ValidationError, UsernameTakenError],
  resolveType: () => 'AuthPayload',
});

const LogInResult = builder.errorUnion('LogInResult', {
  types: [AuthPayload, InvalidCredentialsError],
  resolveType: () => 'AuthPayload',
});

builder.mutationFields((t) => ({
  signUp: t.field({
    type: SignUpResult,
    description: 'Create an account (with its profile, in one transaction) and sign in.',
    args: { input: t.arg({ type: SignUpInput, required: true }) },
    resolve: (_root, args, ctx) => signUp(ctx, args.input),
  }),
  logIn: t.field({
    type: LogInResult,
    args: { username: t.arg.string({ required: true }), password: t.arg.string({ required: true }) },
    resolve: (_root, args, ctx) => logIn(ctx, args.username, args.password),
  }),
}));

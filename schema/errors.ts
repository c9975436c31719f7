import { ForbiddenError, InvalidCredentialsError, NotFoundError, UsernameTakenError, ValidationError } from '../resolvers/errors.js';
import { builder } from './builder.js';
import { ErrorInterface } from './error-interface.js';

// The error classes of resolvers/errors.ts as GraphQL types. A field that lists one in
// its result union returns it as data; every other error stays a masked failure.

export const FieldError = builder.objectRef<{ path: string[]; message: string }>('FieldError').implement({
  fields: (t) => ({
    path: t.exposeStringList('path', {
      description: 'Path of the offending input field, e.g. ["input", "email"] or ["inputs", "3", "username"].',
    }),
    message: t.exposeString('message'),
  }),
});

builder.objectType(ValidationError, {
  name: 'ValidationError',
  interfaces: [ErrorInterface],
  fields: (t) => ({ fields: t.field({ type: [FieldError], resolve: (error) => error.fields }) }),
});

builder.objectType(UsernameTakenError, {
  name: 'UsernameTakenError',
  interfaces: [ErrorInterface],
  fields: (t) => ({ username: t.exposeString('username') }),
});

builder.objectType(InvalidCredentialsError, {
  name: 'InvalidCredentialsError',
  interfaces: [ErrorInterface],
});

builder.objectType(NotFoundError, {
  name: 'NotFoundError',
  interfaces: [ErrorInterface],
  fields: (t) => ({ id: t.exposeID('id') }),
});

builder.objectType(ForbiddenError, {
  name: 'ForbiddenError',
  interfaces: [ErrorInterface],
});

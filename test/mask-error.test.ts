import { PothosValidationError } from '@pothos/core';
import { InputValidationError } from '@pothos/plugin-validation';
import { GraphQLError } from 'graphql';
import { describe, expect, it } from 'vitest';
import { RequestError } from '../resolvers/errors.js';
import { expectedError, maskError, masksAsInternal } from '../responses/mask-error.js';

// What a client sees of an error: the code's own refusals keep their message and get a code,
// everything else is INTERNAL_SERVER_ERROR with Yoga's message (and is logged with its stack).

const inField = (originalError: Error) => new GraphQLError(originalError.message, { originalError, path: ['posts', 0, 'author'] });

describe('the errors a client sees', () => {
  it('keeps a RequestError’s message, its details as extensions, and its code over any code in the details', () => {
    const error = expectedError(new RequestError('FORBIDDEN', 'Only admins may do this', { code: 'OTHER', role: 'USER' }));
    expect(error).toBeInstanceOf(GraphQLError);
    expect(error).toMatchObject({ message: 'Only admins may do this', extensions: { code: 'FORBIDDEN', role: 'USER' } });
    expect(maskError(new RequestError('UNAUTHENTICATED', 'Sign in first'), 'Unexpected error.')).toMatchObject({
      message: 'Sign in first',
      extensions: { code: 'UNAUTHENTICATED' },
    });
  });

  it('keeps where in the answer a field’s error happened', () => {
    const error = expectedError(inField(new RequestError('BAD_USER_INPUT', 'No')));
    expect(error?.path).toEqual(['posts', 0, 'author']);
    expect(error?.extensions).toEqual({ code: 'BAD_USER_INPUT' });
  });

  it('names each invalid argument of an input validation failure, by its path', () => {
    const failure = new InputValidationError({
      issues: [
        { code: 'custom', path: ['input', { key: 'email' }], message: 'Invalid email' },
        { code: 'custom', path: [], message: 'Too many posts' },
        { code: 'custom', message: 'No path at all' },
      ],
    } as never);
    expect(expectedError(inField(failure))).toMatchObject({
      message: 'Invalid argument: input.email: Invalid email; Too many posts; No path at all',
      path: ['posts', 0, 'author'],
      extensions: {
        code: 'BAD_USER_INPUT',
        issues: [
          { path: ['input', 'email'], message: 'Invalid email' },
          { path: [], message: 'Too many posts' },
          { path: [], message: 'No path at all' },
        ],
      },
    });
  });

  it('keeps the message of input that Pothos refused to parse (a forged global ID)', () => {
    expect(expectedError(inField(new PothosValidationError('Invalid global ID: x')))).toMatchObject({
      message: 'Invalid global ID: x',
      path: ['posts', 0, 'author'],
      extensions: { code: 'BAD_USER_INPUT' },
    });
  });

  it('masks anything else as an internal error, and says which errors it masks', () => {
    const crash = new TypeError('Cannot read properties of undefined (reading "id") at /srv/app/secret.ts');
    expect(expectedError(crash)).toBeNull();
    const masked = maskError(inField(crash), 'Unexpected error.');
    expect(masked).toMatchObject({ message: 'Unexpected error.', extensions: { code: 'INTERNAL_SERVER_ERROR' } });
    expect(masked.message).not.toContain('secret');
    expect(masksAsInternal(crash)).toBe(true);
    expect(masksAsInternal(inField(crash))).toBe(true);
    // The code's own refusals, and GraphQL's errors about the document, reach the client as they are.
    expect(masksAsInternal(new RequestError('FORBIDDEN', 'No'))).toBe(false);
    expect(masksAsInternal(new PothosValidationError('Invalid global ID: x'))).toBe(false);
    expect(masksAsInternal(new GraphQLError('Cannot query field "nope" on type "Query".'))).toBe(false);
  });
});

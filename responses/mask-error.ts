import { PothosValidationError } from '@pothos/core';
import { InputValidationError } from '@pothos/plugin-validation';
import { GraphQLError } from 'graphql';
import { createGraphQLError, maskError as yogaMaskError } from 'graphql-yoga';
import { RequestError } from '../resolvers/errors.js';

/**
 * The client-facing form of an error that the code raised on purpose (a RequestError, an
 * input validation failure), with `extensions.code`; null for anything unexpected.
 */
export function expectedError(error: unknown): GraphQLError | null {
  const original = error instanceof GraphQLError ? error.originalError : error;
  const at = error instanceof GraphQLError ? { nodes: error.nodes, source: error.source, positions: error.positions, path: error.path } : {};

  if (original instanceof RequestError) {
    return createGraphQLError(original.message, { ...at, extensions: { ...original.details, code: original.code } });
  }
  if (original instanceof InputValidationError) {
    const issues = original.issues.map((issue) => ({
      path: (issue.path ?? []).map((part) => String(typeof part === 'object' ? part.key : part)),
      message: issue.message,
    }));
    const text = issues.map((issue) => (issue.path.length ? `${issue.path.join('.')}: ${issue.message}` : issue.message)).join('; ');
    return createGraphQLError(`Invalid argument: ${text}`, { ...at, extensions: { code: 'BAD_USER_INPUT', issues } });
  }
  // Pothos raises these for malformed input it parses itself, such as a forged global ID.
  if (original instanceof PothosValidationError) {
    return createGraphQLError(original.message, { ...at, extensions: { code: 'BAD_USER_INPUT' } });
  }
  return null;
}

/**
 * Decides what a client sees of an error. Request-level problems that the code raised
 * on purpose keep their message and get `extensions.code`; everything else is masked
 * as INTERNAL_SERVER_ERROR by Yoga (the request log records the original, see use-request-log.ts).
 */
export function maskError(error: unknown, message: string, isDev?: boolean): Error {
  return expectedError(error) ?? yogaMaskError(error, message, isDev);
}

/** True for an error that the client will see only as INTERNAL_SERVER_ERROR: one to log with its stack. */
export function masksAsInternal(error: unknown): boolean {
  return expectedError(error) === null && yogaMaskError(error, 'Unexpected error.') !== error;
}
